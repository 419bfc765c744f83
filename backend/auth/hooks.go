package auth

import (
	"context"

	"gorm.io/gorm"
)

// Hooks let other slices take part in auth's work without auth knowing
// them: the directory gives every new account its number and records which
// device a member signed in on. Each hook that gets a tx runs inside auth's
// transaction, so the account and what the hook writes commit together.
type Hooks struct {
	// CheckSignUp runs when a sign-up begins, to refuse early (for example a
	// vanity number that is taken).
	CheckSignUp func(ctx context.Context, n NewAccount) error
	// AccountCreated runs in the transaction that creates an account.
	AccountCreated func(tx *gorm.DB, a *Account, n NewAccount) error
	// SignedIn runs in the transaction that starts a session, with the id
	// of the device the session is bound to.
	SignedIn func(tx *gorm.DB, a *Account, deviceID string) error
	// SessionStarted runs after a session bound to a device has committed
	// (sign-in or sign-up), to tell those who keep copies of who is signed
	// in on the device; it cannot undo the sign-in.
	SessionStarted func(ctx context.Context, accountID, deviceID string)
	// SignedUp runs after a member's sign-up has committed (to send the
	// email verification); it cannot undo the sign-up.
	SignedUp func(ctx context.Context, a *Account)
	// SignedOut runs when a session bound to a device ends.
	SignedOut func(ctx context.Context, accountID, deviceID string) error
	// Renamed runs in the transaction that changes an account's name, with
	// the account as renamed (to keep copies of the name current).
	Renamed func(tx *gorm.DB, a *Account) error
}

func (s *Service) accountCreated(tx *gorm.DB, a *Account, n NewAccount) error {
	if s.hooks.AccountCreated == nil {
		return nil
	}
	return s.hooks.AccountCreated(tx, a, n)
}

func (s *Service) runSignedIn(tx *gorm.DB, a *Account, device string) error {
	if s.hooks.SignedIn == nil {
		return nil
	}
	return s.hooks.SignedIn(tx, a, device)
}

func (s *Service) runRenamed(tx *gorm.DB, a *Account) error {
	if s.hooks.Renamed == nil {
		return nil
	}
	return s.hooks.Renamed(tx, a)
}
