// Package directory is the phone layer: permanent numbers, members'
// directory settings, devices, live presence, the merged directory and the
// resolver that answers for every number.
package directory

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
)

// demoMember is a member of the demo. Ages are relative to today so that
// the under-18 member stays under 18 whenever the demo is seeded.
type demoMember struct {
	name, email, address string
	age                  int // in whole years on the day of seeding
	interests            []string
}

var demoMembers = []demoMember{
	{"Ana Souza", "ana@demo.livemall.example", "Rua das Flores 12, 1200-195 Lisboa, Portugal", 34, []string{"cooking", "wine", "travel"}},
	{"Ben Okafor", "ben@demo.livemall.example", "14 Harbour Street, Leith, Edinburgh EH6 6QN, United Kingdom", 52, []string{"hiking", "photography"}},
	{"Clara Weiss", "clara@demo.livemall.example", "Kastanienallee 7, 10435 Berlin, Germany", 23, []string{"fashion", "music"}},
	{"Dev Patel", "dev@demo.livemall.example", "221 Maple Avenue, Toronto ON M4B 1B3, Canada", 19, []string{"gadgets", "gaming"}},
	{"Emma Lindqvist", "emma@demo.livemall.example", "Storgatan 3, 111 51 Stockholm, Sweden", 16, []string{"toys", "music"}},
	{"Farid Haddad", "farid@demo.livemall.example", "8 Rue Oberkampf, 75011 Paris, France", 67, []string{"cigars", "wine", "cooking"}},
}

// SeedDemoMembers creates the demo members, one of them under 18, each with
// a number, a verified email and interests, so the directory has people in
// it. It is idempotent: members that exist already are left as they are.
func SeedDemoMembers(ctx context.Context, db *gorm.DB, a *auth.Service, v *EmailVerifier, now time.Time) (created int, err error) {
	for _, m := range demoMembers {
		if _, err := a.FindAccountByEmail(ctx, m.email); err == nil {
			continue
		} else if !apperr.Is(err, apperr.NotFound) {
			return created, err
		}
		born := now.AddDate(-m.age, -2, -3).Format("2006-01-02")
		acc, err := a.CreateAccount(ctx, auth.NewAccount{Role: auth.RoleMember, Name: m.name, Email: m.email, BirthDate: born, Address: m.address})
		if err != nil {
			return created, fmt.Errorf("seed %s: %w", m.email, err)
		}
		interests, err := joinInterests(m.interests)
		if err != nil {
			return created, err
		}
		err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := v.MarkVerified(ctx, tx, acc.ID); err != nil {
				return err
			}
			return tx.Model(&Profile{}).Where("account_id = ?", acc.ID).Update("interests", interests).Error
		})
		if err != nil {
			return created, fmt.Errorf("seed %s profile: %w", m.email, err)
		}
		created++
	}
	return created, nil
}
