package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/apperr"
)

var today = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func member(mod func(*NewAccount)) NewAccount {
	n := NewAccount{Role: RoleMember, Name: "Ana", Email: "ana@example.com", BirthDate: "1990-05-17", Address: "Main St 1"}
	if mod != nil {
		mod(&n)
	}
	return n
}

func TestValidateNewAccountRefusesBadInput(t *testing.T) {
	store := int64(1)
	tests := []struct {
		name string
		in   NewAccount
		want string
	}{
		{"unknown role", member(func(n *NewAccount) { n.Role = "owner" }), `role "owner"`},
		{"no name", member(func(n *NewAccount) { n.Name = " " }), "name is required"},
		{"long name", member(func(n *NewAccount) { n.Name = strings.Repeat("é", 101) }), "longer than 100"},
		{"no email", member(func(n *NewAccount) { n.Email = "" }), "email is required"},
		{"email without @", member(func(n *NewAccount) { n.Email = "ana.example.com" }), "not a valid address"},
		{"email with name part", member(func(n *NewAccount) { n.Email = "Ana <ana@example.com>" }), "not a valid address"},
		{"email without a dot in the domain", member(func(n *NewAccount) { n.Email = "ana@localhost" }), "not a valid address"},
		{"email too long", member(func(n *NewAccount) { n.Email = strings.Repeat("a", 250) + "@x.io" }), "longer than 254"},
		{"no birth date", member(func(n *NewAccount) { n.BirthDate = "" }), "birth date is required"},
		{"birth date format", member(func(n *NewAccount) { n.BirthDate = "17.05.1990" }), "YYYY-MM-DD"},
		{"impossible date", member(func(n *NewAccount) { n.BirthDate = "1990-02-30" }), "YYYY-MM-DD"},
		{"future birth date", member(func(n *NewAccount) { n.BirthDate = "2027-01-01" }), "in the future"},
		{"ancient birth date", member(func(n *NewAccount) { n.BirthDate = "1890-01-01" }), "130 years"},
		{"no address", member(func(n *NewAccount) { n.Address = "" }), "postal address is required"},
		{"long address", member(func(n *NewAccount) { n.Address = strings.Repeat("a", 301) }), "longer than 300"},
		{"member with a store", member(func(n *NewAccount) { n.StoreID = &store }), "does not belong to a store"},
		{"agent without a store", NewAccount{Role: RoleAgent, Name: "A", Email: "a@b.co"}, "must belong to a store"},
		{"admin with a store", NewAccount{Role: RoleAdmin, Name: "A", Email: "a@b.co", StoreID: &store}, "does not belong to a store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateNewAccount(&tt.in, today)
			if apperr.Code(err) != apperr.Invalid || !strings.Contains(apperr.Message(err), tt.want) {
				t.Fatalf("err = %v, want invalid with %q", err, tt.want)
			}
		})
	}
	ok := member(func(n *NewAccount) { n.Email = "  Ana@Example.COM "; n.Name = " Ana " })
	if err := validateNewAccount(&ok, today); err != nil || ok.Email != "ana@example.com" || ok.Name != "Ana" {
		t.Fatalf("valid member: %+v %v", ok, err)
	}
	agent := NewAccount{Role: RoleAgent, Name: "Al", Email: "al@store.example", StoreID: &store}
	if err := validateNewAccount(&agent, today); err != nil {
		t.Fatalf("valid agent: %v", err)
	}
}

func FuzzValidateNewAccount(f *testing.F) {
	f.Add("Ana", "ana@example.com", "1990-05-17", "Main St 1")
	f.Add("", "@", "2026-13-01", "")
	f.Add("\u0000", "a@b.c", "0000-01-01", "x")
	f.Fuzz(func(t *testing.T, name, email, birth, address string) {
		n := NewAccount{Role: RoleMember, Name: name, Email: email, BirthDate: birth, Address: address}
		err := validateNewAccount(&n, today)
		if err != nil {
			if apperr.Code(err) != apperr.Invalid {
				t.Fatalf("non-invalid error %v", err)
			}
			return
		}
		d, perr := time.Parse("2006-01-02", n.BirthDate)
		if n.Name == "" || n.Address == "" || perr != nil || d.After(today) || !strings.Contains(n.Email, "@") {
			t.Fatalf("accepted %+v", n)
		}
	})
}
