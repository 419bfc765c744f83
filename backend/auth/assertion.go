package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
)

// Assertion is a verified WebAuthn assertion of an account's passkey over a
// challenge the caller chose (an order's hash): what was signed, by which
// passkey, as the browser sent it.
type Assertion struct {
	// CredentialID is the passkey's id, base64url.
	CredentialID string
	// AuthenticatorData, Signature and ClientDataJSON are the raw response
	// fields, the evidence that can be checked again later.
	AuthenticatorData []byte
	Signature         []byte
	ClientDataJSON    []byte

	cred     *webauthn.Credential
	oldCount int64
}

// BeginAssertion returns request options for navigator.credentials.get that
// ask the account's own passkeys (user verification required) to sign
// challenge, and the session data VerifyAssertion needs. The caller keeps the
// session data server-side, once. An account without passkeys is a Conflict.
func (s *Service) BeginAssertion(ctx context.Context, accountID string, challenge []byte) (*protocol.CredentialAssertion, *webauthn.SessionData, error) {
	a, err := s.FindAccountByID(ctx, accountID)
	if err != nil {
		return nil, nil, err
	}
	if err := loadCredentials(s.db.WithContext(ctx), a); err != nil {
		return nil, nil, err
	}
	if len(a.credentials) == 0 {
		return nil, nil, apperr.New(apperr.Conflict, "your account has no passkey to sign with: add one first")
	}
	return s.wa.BeginLogin(a, webauthn.WithChallenge(challenge), webauthn.WithUserVerification(protocol.VerificationRequired))
}

// VerifyAssertion checks a credential (the browser's JSON) against session,
// whose challenge the caller rebuilt: the passkey must be one of accountID's,
// the signature valid and user verification done. Nothing is stored: the
// caller records the use with RecordAssertion in its own transaction.
func (s *Service) VerifyAssertion(ctx context.Context, accountID string, session webauthn.SessionData, credential []byte) (*Assertion, error) {
	session.UserVerification = protocol.VerificationRequired
	parsed, err := protocol.ParseCredentialRequestResponseBytes(credential)
	if err != nil {
		return nil, verificationFailed(err)
	}
	a, err := s.FindAccountByID(ctx, accountID)
	if err != nil {
		return nil, err
	}
	if err := loadCredentials(s.db.WithContext(ctx), a); err != nil {
		return nil, err
	}
	var oldCount int64 = -1
	for _, c := range a.credentials {
		if passkeyID(c.ID) == passkeyID(parsed.RawID) {
			oldCount = int64(c.Authenticator.SignCount)
		}
	}
	if oldCount < 0 {
		return nil, apperr.New(apperr.Invalid, "this passkey is not one of your account's")
	}
	cred, err := s.wa.ValidateLogin(a, session, parsed)
	if err != nil {
		return nil, verificationFailed(err)
	}
	if cred.Authenticator.CloneWarning {
		return nil, apperr.New(apperr.Invalid, "this passkey's signature counter went backwards, so it may have been copied: refused")
	}
	r := parsed.Raw.AssertionResponse
	return &Assertion{CredentialID: passkeyID(cred.ID), AuthenticatorData: r.AuthenticatorData, Signature: r.Signature,
		ClientDataJSON: r.ClientDataJSON, cred: cred, oldCount: oldCount}, nil
}

// RecordAssertion stores the passkey's new sign counter in tx, so that the
// same counter cannot be used twice; it belongs in the transaction that acts
// on the signature.
func (s *Service) RecordAssertion(tx *gorm.DB, a *Assertion) error {
	if a == nil || a.cred == nil {
		return errors.New("record assertion: not a verified assertion")
	}
	if err := s.recordPasskeyUse(tx, a.cred, a.oldCount); err != nil {
		return fmt.Errorf("record assertion: %w", err)
	}
	return nil
}
