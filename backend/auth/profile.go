package auth

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/livemall/livemall/backend/apperr"
)

// validateNewAccount normalises n in place (trimmed text, lower-case email)
// and refuses it with a message naming the broken rule.
func validateNewAccount(n *NewAccount, now time.Time) error {
	n.Name = strings.TrimSpace(n.Name)
	n.Email = strings.ToLower(strings.TrimSpace(n.Email))
	n.Address = strings.TrimSpace(n.Address)
	n.BirthDate = strings.TrimSpace(n.BirthDate)
	if !n.Role.Valid() {
		return apperr.New(apperr.Invalid, "role %q is not one of member, agent, supervisor, admin", n.Role)
	}
	if err := validateName(n.Name); err != nil {
		return err
	}
	if err := validateEmail(n.Email); err != nil {
		return err
	}
	if n.Role.IsStaff() != (n.StoreID != nil) {
		if n.Role.IsStaff() {
			return apperr.New(apperr.Invalid, "a %s must belong to a store", n.Role)
		}
		return apperr.New(apperr.Invalid, "a %s does not belong to a store", n.Role)
	}
	if n.Role == RoleMember {
		if err := validateBirthDate(n.BirthDate, now); err != nil {
			return err
		}
		if n.Address == "" && !n.ByOperator {
			return apperr.New(apperr.Invalid, "postal address is required")
		}
	} else if n.BirthDate != "" {
		if err := validateBirthDate(n.BirthDate, now); err != nil {
			return err
		}
	}
	if utf8.RuneCountInString(n.Address) > 300 {
		return apperr.New(apperr.Invalid, "postal address is longer than 300 characters")
	}
	return nil
}

// validateName accepts a trimmed display name of 1 to 100 characters.
func validateName(name string) error {
	if name == "" {
		return apperr.New(apperr.Invalid, "name is required")
	}
	if utf8.RuneCountInString(name) > 100 {
		return apperr.New(apperr.Invalid, "name is longer than 100 characters")
	}
	return nil
}

// validateEmail accepts a bare address like ana@example.com.
func validateEmail(email string) error {
	if email == "" {
		return apperr.New(apperr.Invalid, "email is required")
	}
	if len(email) > 254 {
		return apperr.New(apperr.Invalid, "email is longer than 254 characters")
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || !strings.Contains(email[strings.LastIndex(email, "@"):], ".") {
		return apperr.New(apperr.Invalid, "email %q is not a valid address like name@example.com", email)
	}
	return nil
}

// validateBirthDate accepts YYYY-MM-DD in the past, at most 130 years ago.
func validateBirthDate(s string, now time.Time) error {
	if s == "" {
		return apperr.New(apperr.Invalid, "birth date is required")
	}
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		return apperr.New(apperr.Invalid, "birth date %q must be a date written YYYY-MM-DD", s)
	}
	if d.After(now) {
		return apperr.New(apperr.Invalid, "birth date %s is in the future", s)
	}
	if d.Before(now.AddDate(-130, 0, 0)) {
		return apperr.New(apperr.Invalid, "birth date %s is more than 130 years ago", s)
	}
	return nil
}
