package agentdesk

import (
	"context"
	"fmt"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/mall"
)

// DemoStaffEmail returns the email of a demo store's agent or supervisor.
func DemoStaffEmail(storeSlug string, supervisor bool) string {
	if supervisor {
		return "supervisor." + storeSlug + "@demo.livemall.example"
	}
	return "agent." + storeSlug + "@demo.livemall.example"
}

// demoNames are the demo staff, one agent and one supervisor per store in
// skyline order; stores beyond the list get generic names.
var demoNames = [][2]string{
	{"Alex Moreau", "Priya Natarajan"},
	{"Jonas Berg", "Maria Alvarez"},
	{"Chen Wei", "Oluwaseun Adeyemi"},
	{"Sofia Rossi", "Henrik Larsen"},
	{"Kenji Sato", "Amelia Clarke"},
	{"Lucas Martin", "Fatima Zahra"},
	{"Noah Fischer", "Isla McKenzie"},
	{"Elena Petrova", "Tomás Silva"},
}

// SeedDemoStaff gives every demo store one agent and one supervisor. It is
// idempotent: staff that exist already are left as they are.
func (s *Staff) SeedDemoStaff(ctx context.Context, stores []mall.SeededStore) (created int, err error) {
	for i, st := range stores {
		for _, supervisor := range []bool{false, true} {
			email := DemoStaffEmail(st.Slug, supervisor)
			if _, err := s.auth.FindAccountByEmail(ctx, email); err == nil {
				continue
			} else if !apperr.Is(err, apperr.NotFound) {
				return created, err
			}
			name := fmt.Sprintf("%s staff", st.Name)
			if i < len(demoNames) {
				name = demoNames[i][0]
				if supervisor {
					name = demoNames[i][1]
				}
			}
			role := auth.RoleAgent
			if supervisor {
				role = auth.RoleSupervisor
			}
			id := st.ID
			if _, err := s.auth.CreateAccount(ctx, auth.NewAccount{Role: role, Name: name, Email: email, StoreID: &id}); err != nil && !apperr.Is(err, apperr.Conflict) {
				return created, fmt.Errorf("seed %s: %w", email, err)
			}
			created++
		}
	}
	return created, nil
}
