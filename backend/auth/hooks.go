package auth

import (
	"context"
	"regexp"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
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
	// SignedIn runs in the transaction that starts a session, with the
	// device id the browser sent (empty when it sent none).
	SignedIn func(tx *gorm.DB, a *Account, deviceID string) error
	// SignedUp runs after a member's sign-up has committed (to send the
	// email verification); it cannot undo the sign-up.
	SignedUp func(ctx context.Context, a *Account)
	// SignedOut runs when a session ends on a device.
	SignedOut func(ctx context.Context, accountID, deviceID string) error
}

// SetHooks installs the hooks; call it before serving.
func (s *Service) SetHooks(h Hooks) { s.hooks = h }

// DeviceHeader carries the browser's device id on API requests.
const DeviceHeader = "X-Device-ID"

var deviceIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{8,64}$`)

// ParseDeviceID checks a device id sent by a browser; empty is allowed and
// means "no device".
func ParseDeviceID(s string) (string, error) {
	if s == "" || deviceIDPattern.MatchString(s) {
		return s, nil
	}
	return "", apperr.New(apperr.Invalid, "device id must be 8 to 64 letters, digits, dashes or underscores")
}

// deviceID returns the request's device id header, checked.
func deviceID(c *fiber.Ctx) (string, error) { return ParseDeviceID(c.Get(DeviceHeader)) }

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
