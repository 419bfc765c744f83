package directory

import (
	"context"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/auth"
)

// TestDirectoryShowsAMembersNewName: the listing reads the name the
// directory keeps on the profile, and auth's rename reaches it in the same
// transaction, so the search finds the new name and no longer the old one.
func TestDirectoryShowsAMembersNewName(t *testing.T) {
	ctx := context.Background()
	f := newNumbersFixture(t, 200000000000)
	s := &Service{db: f.numbers.db, Numbers: f.numbers, accounts: auth.NewAccounts(f.numbers.db)}
	a, nums := f.member(t, "ada@example.com", "")
	if err := emailUpsertVerified(f.numbers.db, a.ID, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	names := func(query string) []string {
		t.Helper()
		list, _, err := s.List(ctx, ListFilter{Query: query})
		if err != nil {
			t.Fatalf("list %q: %v", query, err)
		}
		out := []string{}
		for _, l := range list {
			if l.AccountID != a.ID {
				t.Fatalf("list %q: %+v is not the one member", query, l)
			}
			if l.Number != nums[0].Number {
				t.Fatalf("list %q: number %v, want %v", query, l.Number, nums[0].Number)
			}
			out = append(out, l.Name)
		}
		return out
	}
	if got := names("ada@"); len(got) != 1 || got[0] != "ada@example.com" {
		t.Fatalf("before the rename the listing shows %q, want the sign-up name", got)
	}
	if _, err := f.auth.Rename(ctx, a.ID, "  Ada Lovelace "); err != nil {
		t.Fatal(err)
	}
	if got := names("lovelace"); len(got) != 1 || got[0] != "Ada Lovelace" {
		t.Fatalf("after the rename a search for the new name shows %q, want [Ada Lovelace]", got)
	}
	if got := names("ada@"); len(got) != 0 {
		t.Fatalf("after the rename a search for the old name still shows %q", got)
	}

	// A rename that breaks the rules changes nothing.
	if _, err := f.auth.Rename(ctx, a.ID, "  "); err == nil {
		t.Fatal("an empty name was accepted")
	}
	if _, err := f.auth.Rename(ctx, "ac-none", "Bob"); err == nil {
		t.Fatal("renaming an unknown account worked")
	}
	if got := names(""); len(got) != 1 || got[0] != "Ada Lovelace" {
		t.Fatalf("after refused renames the listing shows %q", got)
	}

	// Staff have no name in the directory: they are never listed.
	db := f.numbers.db
	if err := db.Exec("INSERT INTO stores (slug, name, brand_color, tagline, building_floors, building_width, building_roof, opening_hours, tax_rate_bp, skyline_position, created_at) VALUES ('s', 'S', '#112233', 't', 3, 2, 'flat', '9-5', 2000, 1, CURRENT_TIMESTAMP)").Error; err != nil {
		t.Fatal(err)
	}
	var storeID int64
	db.Raw("SELECT id FROM stores WHERE slug = 's'").Scan(&storeID)
	agent, err := f.auth.CreateAccount(ctx, auth.NewAccount{Role: auth.RoleAgent, Name: "Alex Agent", Email: "alex@example.com", StoreID: &storeID})
	if err != nil {
		t.Fatal(err)
	}
	if err := emailUpsertVerified(db, agent.ID, time.Now().UTC()); err != nil { // a profile, as a verified member has
		t.Fatal(err)
	}
	if _, err := f.auth.Rename(ctx, agent.ID, "Alex Berg"); err != nil {
		t.Fatal(err)
	}
	if got := names("al"); len(got) != 0 {
		t.Fatalf("an agent is listed: %q", got)
	}
}
