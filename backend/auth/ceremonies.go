package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
)

// passkeyRegistration asks for a discoverable credential (so that sign-in
// needs no username) with user verification.
var passkeyRegistration = webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
	ResidentKey:        protocol.ResidentKeyRequirementRequired,
	RequireResidentKey: protocol.ResidentKeyRequired(),
	UserVerification:   protocol.VerificationRequired,
})

// Options is what a begin step hands the browser: the ceremony id to send
// back and the WebAuthn options for navigator.credentials.
type Options struct {
	Ceremony string `json:"ceremony"`
	Options  any    `json:"options"`
}

// verificationFailed turns a go-webauthn error into a user-facing one.
func verificationFailed(err error) error {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return apperr.New(apperr.Invalid, "the passkey could not be verified: %s", pe.Details)
	}
	return apperr.New(apperr.Invalid, "the passkey could not be verified: %v", err)
}

// consume takes the ceremony in a transaction of its own, so that it is used
// up even when the verification that follows fails.
func (s *Service) consume(ctx context.Context, id, kind string) (*ceremony, *ceremonyData, error) {
	var (
		c *ceremony
		d *ceremonyData
	)
	var refused error
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		c, d, err = s.takeCeremony(tx, id, kind)
		if apperr.Code(err) == apperr.Invalid {
			// Commit the deletion of an expired or mismatched ceremony.
			refused = err
			return nil
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return c, d, refused
}

// BeginSignUp validates the new member's profile and starts the ceremony
// that creates their first passkey. The account is created only when the
// ceremony finishes.
func (s *Service) BeginSignUp(ctx context.Context, n NewAccount) (*Options, error) {
	n.Role = RoleMember
	n.StoreID = nil
	if err := validateNewAccount(&n, s.now()); err != nil {
		return nil, err
	}
	if s.hooks.CheckSignUp != nil {
		if err := s.hooks.CheckSignUp(ctx, n); err != nil {
			return nil, err
		}
	}
	if _, err := s.FindAccountByEmail(ctx, n.Email); err == nil {
		return nil, apperr.New(apperr.Conflict, "an account with email %s already exists: sign in instead", n.Email)
	} else if !apperr.Is(err, apperr.NotFound) {
		return nil, err
	}
	a := s.newAccount(n)
	creation, sess, err := s.wa.BeginRegistration(a, passkeyRegistration)
	if err != nil {
		return nil, fmt.Errorf("begin sign-up: %w", err)
	}
	return s.beginCeremony(ctx, ceremonySignUp, nil, ceremonyData{Session: *sess, SignUp: &n, UserHandle: a.UserHandle}, creation)
}

// FinishSignUp verifies the new passkey and, in one transaction, creates the
// member (with the hooks' work: their number), stores the passkey and starts
// a session bound to device. It returns the account and
// the session cookie value.
func (s *Service) FinishSignUp(ctx context.Context, ceremonyID string, credential []byte, device Device) (*Account, string, error) {
	_, d, err := s.consume(ctx, ceremonyID, ceremonySignUp)
	if err != nil {
		return nil, "", err
	}
	if d.SignUp == nil {
		return nil, "", apperr.New(apperr.Invalid, "this passkey request is not a sign-up")
	}
	a := s.newAccount(*d.SignUp)
	a.UserHandle = d.UserHandle
	cred, err := s.verifyRegistration(a, d.Session, credential)
	if err != nil {
		return nil, "", err
	}
	token, err := s.signInWith(ctx, a, device, func(tx *gorm.DB) error {
		if err := insertAccount(tx, a); err != nil {
			return err
		}
		if err := s.accountCreated(tx, a, *d.SignUp); err != nil {
			return err
		}
		return insertPasskey(tx, a.ID, cred, s.now())
	})
	if err != nil {
		return nil, "", err
	}
	return a, token, nil
}

// signInWith runs work and starts a session for a on device in one
// transaction, with the signed-in hooks. It returns the session cookie value.
func (s *Service) signInWith(ctx context.Context, a *Account, device Device, work func(tx *gorm.DB) error) (string, error) {
	var token string
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := work(tx); err != nil {
			return err
		}
		var err error
		if token, err = s.startSession(tx, a.ID, device); err != nil {
			return err
		}
		return s.runSignedIn(tx, a, device.ID)
	})
	if err == nil && device.ID != "" && s.hooks.SessionStarted != nil {
		s.hooks.SessionStarted(ctx, a.ID, device.ID)
	}
	return token, err
}

// verifyRegistration parses and checks an attestation response.
func (s *Service) verifyRegistration(a *Account, sess webauthn.SessionData, credential []byte) (*webauthn.Credential, error) {
	parsed, err := protocol.ParseCredentialCreationResponseBytes(credential)
	if err != nil {
		return nil, verificationFailed(err)
	}
	cred, err := s.wa.CreateCredential(a, sess, parsed)
	if err != nil {
		return nil, verificationFailed(err)
	}
	return cred, nil
}

// insertPasskey stores a verified credential; one registered before is a
// Conflict.
func insertPasskey(tx *gorm.DB, accountID string, cred *webauthn.Credential, now time.Time) error {
	p, err := newPasskey(accountID, cred, now)
	if err != nil {
		return err
	}
	if err := tx.Create(p).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return apperr.New(apperr.Conflict, "this passkey is already registered")
		}
		return fmt.Errorf("store passkey: %w", err)
	}
	return nil
}

// finishLink is the common end of the two ceremonies a link starts
// (enrollment and recovery): it uses up the ceremony of the given kind,
// checks that it was begun for this link (linkHash of its data is the
// token's hash; otherwise Invalid, naming the link kind), verifies the new
// passkey and, in one transaction holding the account's lock, runs redeem
// (the link's own rule), stores the passkey and starts a session on the
// browser's device.
func (s *Service) finishLink(ctx context.Context, kind string, linkHash func(*ceremonyData) string, linkName, token, ceremonyID string, credential []byte, device Device,
	redeem func(tx *gorm.DB, a *Account, cred *webauthn.Credential, now time.Time) error) (*Account, string, error) {
	c, d, err := s.consume(ctx, ceremonyID, kind)
	if err != nil {
		return nil, "", err
	}
	if h := linkHash(d); h == "" || h != hashToken(token) || c.AccountID == nil {
		return nil, "", apperr.New(apperr.Invalid, "this passkey request belongs to another %s link", linkName)
	}
	a, err := s.FindAccountByID(ctx, *c.AccountID)
	if err != nil {
		return nil, "", err
	}
	cred, err := s.verifyRegistration(a, d.Session, credential)
	if err != nil {
		return nil, "", err
	}
	session, err := s.signInWith(ctx, a, device, func(tx *gorm.DB) error {
		if err := lockAccount(tx, a.ID); err != nil {
			return err
		}
		now := s.now()
		if err := redeem(tx, a, cred, now); err != nil {
			return err
		}
		return insertPasskey(tx, a.ID, cred, now)
	})
	if err != nil {
		return nil, "", err
	}
	return a, session, nil
}
