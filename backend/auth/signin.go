package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
)

// BeginSignIn starts a usernameless sign-in: the browser offers whichever
// discoverable passkey of this site the person picks.
func (s *Service) BeginSignIn(ctx context.Context) (*Options, error) {
	assertion, sess, err := s.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, fmt.Errorf("begin sign-in: %w", err)
	}
	return s.beginCeremony(ctx, ceremonySignIn, nil, ceremonyData{Session: *sess}, assertion)
}

// FinishSignIn verifies the assertion, checks and stores the sign counter
// and starts a new session, all in one transaction. It returns the account
// and the session cookie value.
func (s *Service) FinishSignIn(ctx context.Context, ceremonyID string, credential []byte, device Device) (*Account, string, error) {
	_, d, err := s.consume(ctx, ceremonyID, ceremonySignIn)
	if err != nil {
		return nil, "", err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(credential)
	if err != nil {
		return nil, "", verificationFailed(err)
	}
	db := s.db.WithContext(ctx)
	var (
		account   *Account
		oldCounts = map[string]int64{}
	)
	lookup := func(rawID, userHandle []byte) (webauthn.User, error) {
		var a Account
		if err := db.Where("webauthn_id = ?", userHandle).Take(&a).Error; err != nil {
			return nil, err
		}
		if err := loadCredentials(db, &a); err != nil {
			return nil, err
		}
		for _, c := range a.credentials {
			oldCounts[passkeyID(c.ID)] = int64(c.Authenticator.SignCount)
		}
		account = &a
		return &a, nil
	}
	_, cred, err := s.wa.ValidatePasskeyLogin(lookup, d.Session, parsed)
	if err != nil {
		if account == nil {
			return nil, "", apperr.New(apperr.Unauthorized, "this passkey is not registered here: create an account first")
		}
		return nil, "", verificationFailed(err)
	}
	if cred.Authenticator.CloneWarning {
		return nil, "", apperr.New(apperr.Unauthorized, "this passkey's signature counter went backwards, so it may have been copied: sign-in refused")
	}
	token, err := s.signInWith(ctx, account, device, func(tx *gorm.DB) error {
		return s.recordPasskeyUse(tx, cred, oldCounts[passkeyID(cred.ID)])
	})
	if err != nil {
		return nil, "", err
	}
	return account, token, nil
}

// recordPasskeyUse stores the new sign counter, on the condition that nobody
// changed it since it was read, so two sign-ins racing with one counter
// value cannot both succeed.
func (s *Service) recordPasskeyUse(tx *gorm.DB, cred *webauthn.Credential, oldCount int64) error {
	raw, err := json.Marshal(cred)
	if err != nil {
		return fmt.Errorf("encode credential: %w", err)
	}
	res := tx.Model(&Passkey{}).
		Where("id = ? AND sign_count = ?", passkeyID(cred.ID), oldCount).
		Updates(map[string]any{"sign_count": int64(cred.Authenticator.SignCount), "credential": string(raw), "last_used_at": s.now()})
	if res.Error != nil {
		return fmt.Errorf("record passkey use: %w", res.Error)
	}
	if res.RowsAffected != 1 {
		return apperr.New(apperr.Unauthorized, "this passkey was used at the same moment elsewhere: sign-in refused, try again")
	}
	return nil
}

// BeginAddPasskey starts registering another passkey for a signed-in
// account; the passkeys it already has are excluded. The session (its
// cookie value sessionToken) must have verified its user with a passkey
// within FreshFor — at sign-in or by BeginReverify/FinishReverify —
// otherwise it is Forbidden: a session cookie alone never adds a passkey.
func (s *Service) BeginAddPasskey(ctx context.Context, a *Account, sessionToken string) (*Options, error) {
	if err := s.requireFreshSession(ctx, a.ID, sessionToken); err != nil {
		return nil, err
	}
	return s.beginRegistration(ctx, a, ceremonyPasskey, ceremonyData{})
}

// beginRegistration starts a ceremony of kind that registers a passkey for
// a, excluding the passkeys it already has; d carries what the finish step
// must check besides the WebAuthn session.
func (s *Service) beginRegistration(ctx context.Context, a *Account, kind string, d ceremonyData) (*Options, error) {
	if err := loadCredentials(s.db.WithContext(ctx), a); err != nil {
		return nil, err
	}
	exclude := make([]protocol.CredentialDescriptor, 0, len(a.credentials))
	for _, c := range a.credentials {
		exclude = append(exclude, c.Descriptor())
	}
	creation, sess, err := s.wa.BeginRegistration(a, passkeyRegistration, webauthn.WithExclusions(exclude))
	if err != nil {
		return nil, fmt.Errorf("begin %s: %w", kind, err)
	}
	d.Session = *sess
	return s.beginCeremony(ctx, kind, &a.ID, d, creation)
}

// BeginReverify starts a ceremony in which the signed-in account confirms,
// with one of its passkeys and user verification, that it is still its
// owner at this browser; FinishReverify makes the session fresh again.
func (s *Service) BeginReverify(ctx context.Context, a *Account) (*Options, error) {
	if err := loadCredentials(s.db.WithContext(ctx), a); err != nil {
		return nil, err
	}
	if len(a.credentials) == 0 {
		return nil, apperr.New(apperr.Conflict, "your account has no passkey to confirm with: ask an admin for a recovery link")
	}
	assertion, sess, err := s.wa.BeginLogin(a, webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, fmt.Errorf("begin reverify: %w", err)
	}
	return s.beginCeremony(ctx, ceremonyReverify, &a.ID, ceremonyData{Session: *sess}, assertion)
}

// FinishReverify verifies the assertion (one of a's passkeys, user
// verified, sign counter moving forward) and, in one transaction, stores
// the counter and marks the session behind sessionToken verified now. A
// ceremony begun by another account is Forbidden.
func (s *Service) FinishReverify(ctx context.Context, a *Account, sessionToken, ceremonyID string, credential []byte) error {
	c, d, err := s.consume(ctx, ceremonyID, ceremonyReverify)
	if err != nil {
		return err
	}
	if c.AccountID == nil || *c.AccountID != a.ID {
		return apperr.New(apperr.Forbidden, "this passkey request belongs to another account")
	}
	as, err := s.VerifyAssertion(ctx, a.ID, d.Session, credential)
	if err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.RecordAssertion(tx, as); err != nil {
			return err
		}
		return s.markSessionVerified(tx, a.ID, sessionToken)
	})
}

// FinishAddPasskey verifies and stores another passkey for a. A ceremony
// begun by another account is refused.
func (s *Service) FinishAddPasskey(ctx context.Context, a *Account, ceremonyID string, credential []byte) (*Passkey, error) {
	c, d, err := s.consume(ctx, ceremonyID, ceremonyPasskey)
	if err != nil {
		return nil, err
	}
	if c.AccountID == nil || *c.AccountID != a.ID {
		return nil, apperr.New(apperr.Forbidden, "this passkey request belongs to another account")
	}
	cred, err := s.verifyRegistration(a, d.Session, credential)
	if err != nil {
		return nil, err
	}
	if err := insertPasskey(s.db.WithContext(ctx), a.ID, cred, s.now()); err != nil {
		return nil, err
	}
	var p Passkey
	if err := s.db.WithContext(ctx).Where("id = ?", passkeyID(cred.ID)).Take(&p).Error; err != nil {
		return nil, err
	}
	return &p, nil
}

// ListPasskeys returns the account's passkeys, oldest first.
func (s *Service) ListPasskeys(ctx context.Context, accountID string) ([]Passkey, error) {
	var ps []Passkey
	err := s.db.WithContext(ctx).Where("account_id = ?", accountID).Order("created_at").Find(&ps).Error
	return ps, err
}

// EnrollmentAccount returns the account an unused enrollment token belongs
// to, or NotFound.
func (s *Service) EnrollmentAccount(ctx context.Context, token string) (*Account, error) {
	_, a, err := s.findEnrollment(s.db.WithContext(ctx), token)
	return a, err
}

// BeginEnrollment starts registering the first passkey of the account the
// enrollment token belongs to.
func (s *Service) BeginEnrollment(ctx context.Context, token string) (*Options, error) {
	e, a, err := s.findEnrollment(s.db.WithContext(ctx), token)
	if err != nil {
		return nil, err
	}
	creation, sess, err := s.wa.BeginRegistration(a, passkeyRegistration)
	if err != nil {
		return nil, fmt.Errorf("begin enrollment: %w", err)
	}
	return s.beginCeremony(ctx, ceremonyEnroll, &a.ID, ceremonyData{Session: *sess, EnrollmentHash: e.TokenHash}, creation)
}

// FinishEnrollment verifies the passkey and, in one transaction, uses up the
// link and every other enrollment link of the account, stores the passkey
// and starts a session. An account that gained a passkey meanwhile (another
// link, a recovery) is a Conflict with AlreadyEnrolledMessage.
func (s *Service) FinishEnrollment(ctx context.Context, token, ceremonyID string, credential []byte, device Device) (*Account, string, error) {
	link := func(d *ceremonyData) string { return d.EnrollmentHash }
	return s.finishLink(ctx, ceremonyEnroll, link, "enrollment", token, ceremonyID, credential, device,
		func(tx *gorm.DB, a *Account, _ *webauthn.Credential, _ time.Time) error {
			if has, err := hasPasskey(tx, a.ID); err != nil {
				return err
			} else if has {
				return errAlreadyEnrolled()
			}
			return s.redeemEnrollment(tx, hashToken(token), a.ID)
		})
}
