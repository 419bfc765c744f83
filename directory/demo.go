// Package directory is the phone layer: members and, as it grows, their
// numbers, devices, presence, dialing and mailboxes.
package directory

import (
	"context"
	"fmt"
	"time"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
)

// demoMember is a member of the demo. Ages are relative to today so that
// the under-18 member stays under 18 whenever the demo is seeded.
type demoMember struct {
	name, email, address string
	age                  int // in whole years on the day of seeding
}

var demoMembers = []demoMember{
	{"Ana Souza", "ana@demo.livemall.example", "Rua das Flores 12, 1200-195 Lisboa, Portugal", 34},
	{"Ben Okafor", "ben@demo.livemall.example", "14 Harbour Street, Leith, Edinburgh EH6 6QN, United Kingdom", 52},
	{"Clara Weiss", "clara@demo.livemall.example", "Kastanienallee 7, 10435 Berlin, Germany", 23},
	{"Dev Patel", "dev@demo.livemall.example", "221 Maple Avenue, Toronto ON M4B 1B3, Canada", 19},
	{"Emma Lindqvist", "emma@demo.livemall.example", "Storgatan 3, 111 51 Stockholm, Sweden", 16},
	{"Farid Haddad", "farid@demo.livemall.example", "8 Rue Oberkampf, 75011 Paris, France", 67},
}

// SeedDemoMembers creates the demo members, one of them under 18. It is
// idempotent: members that exist already are left as they are.
func SeedDemoMembers(ctx context.Context, a *auth.Service, now time.Time) (created int, err error) {
	for _, m := range demoMembers {
		if _, err := a.FindAccountByEmail(ctx, m.email); err == nil {
			continue
		} else if !apperr.Is(err, apperr.NotFound) {
			return created, err
		}
		born := now.AddDate(-m.age, -2, -3).Format("2006-01-02")
		if _, err := a.CreateAccount(ctx, auth.NewAccount{Role: auth.RoleMember, Name: m.name, Email: m.email, BirthDate: born, Address: m.address}); err != nil && !apperr.Is(err, apperr.Conflict) {
			return created, fmt.Errorf("seed %s: %w", m.email, err)
		}
		created++
	}
	return created, nil
}
