// Package agentdesk is the contact center: the store staff (agents and
// supervisors), and, as it grows, their states, queues and routing,
// engagements and the desk UI.
package agentdesk

import (
	"context"
	"strings"

	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/mall"
)

// Staff manages the people who work in the stores' desks.
type Staff struct {
	auth    *auth.Service
	catalog *mall.Catalog
}

// NewStaff returns the staff service.
func NewStaff(a *auth.Service, c *mall.Catalog) *Staff { return &Staff{auth: a, catalog: c} }

// NewStaffMember describes an agent or supervisor to add.
type NewStaffMember struct {
	StoreSlug  string
	Email      string
	Name       string // optional: derived from the email when empty
	Supervisor bool
}

// AddedStaffMember is a created staff account and its one-time enrollment
// token, which the person redeems to register their passkey.
type AddedStaffMember struct {
	Account         *auth.Account
	Store           *mall.Store
	EnrollmentToken string
}

// AddStaffMember creates an agent (or supervisor) of the store and issues
// an enrollment token. An unknown store is NotFound; an email in use is a
// Conflict.
func (s *Staff) AddStaffMember(ctx context.Context, n NewStaffMember) (*AddedStaffMember, error) {
	slug, err := mall.ParseSlug(n.StoreSlug)
	if err != nil {
		return nil, err
	}
	store, err := s.catalog.StoreBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	role := auth.RoleAgent
	if n.Supervisor {
		role = auth.RoleSupervisor
	}
	name := strings.TrimSpace(n.Name)
	if name == "" {
		name = nameFromEmail(n.Email)
	}
	a, err := s.auth.CreateAccount(ctx, auth.NewAccount{Role: role, Name: name, Email: n.Email, StoreID: &store.ID})
	if err != nil {
		return nil, err
	}
	token, err := s.auth.IssueEnrollment(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	return &AddedStaffMember{Account: a, Store: store, EnrollmentToken: token}, nil
}

// nameFromEmail turns "jane.doe@x" into "Jane Doe".
func nameFromEmail(email string) string {
	local, _, _ := strings.Cut(strings.TrimSpace(email), "@")
	words := strings.FieldsFunc(local, func(r rune) bool { return r == '.' || r == '_' || r == '-' || r == '+' })
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	if len(words) == 0 {
		return "Staff member"
	}
	return strings.Join(words, " ")
}
