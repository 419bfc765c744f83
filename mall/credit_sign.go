package mall

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
)

// creditCeremony is a credit application's signature in flight, used once.
type creditCeremony struct {
	ID            string     `gorm:"column:id;primaryKey"`
	ApplicationID string     `gorm:"column:application_id"`
	AccountID     string     `gorm:"column:account_id"`
	FormHash      string     `gorm:"column:form_hash"` // hex
	Nonce         string     `gorm:"column:nonce"`     // base64url
	Session       string     `gorm:"column:session"`   // webauthn.SessionData as JSON
	CreatedAt     time.Time  `gorm:"column:created_at"`
	ExpiresAt     time.Time  `gorm:"column:expires_at"`
	UsedAt        *time.Time `gorm:"column:used_at"`
}

// TableName tells GORM where credit signing ceremonies live.
func (creditCeremony) TableName() string { return "credit_sign_ceremonies" }

// CreditSignature is the evidence that a member signed their credit
// application's answers with a passkey.
type CreditSignature struct {
	ApplicationID     string    `gorm:"column:application_id;primaryKey"`
	AccountID         string    `gorm:"column:account_id"`
	CeremonyID        string    `gorm:"column:ceremony_id"`
	FormHash          string    `gorm:"column:form_hash"`
	Nonce             string    `gorm:"column:nonce"`
	CredentialID      string    `gorm:"column:credential_id"`
	AuthenticatorData string    `gorm:"column:authenticator_data"`
	Signature         string    `gorm:"column:signature"`
	ClientDataJSON    string    `gorm:"column:client_data_json"`
	Assertion         string    `gorm:"column:assertion"`
	SignedAt          time.Time `gorm:"column:signed_at"`
}

// TableName tells GORM where credit signatures live.
func (CreditSignature) TableName() string { return "credit_signatures" }

// signedCredit is the canonical form of an application that its hash
// covers; the field order is fixed by the struct.
type signedCredit struct {
	Format              string `json:"format"`
	ApplicationID       string `json:"applicationId"`
	StoreID             int64  `json:"storeId"`
	AccountID           string `json:"accountId"`
	FullName            string `json:"fullName"`
	Employer            string `json:"employer"`
	MonthlyIncomeMinor  int64  `json:"monthlyIncomeMinor"`
	RequestedLimitMinor int64  `json:"requestedLimitMinor"`
	Currency            string `json:"currency"`
}

// CreditFormHash returns the SHA-256 of the application's answers as they
// are stored now.
func CreditFormHash(app *CreditApplication) []byte {
	raw, _ := json.Marshal(signedCredit{Format: "livemall-credit-v1", ApplicationID: app.ID, StoreID: app.StoreID, AccountID: app.AccountID,
		FullName: app.FullName, Employer: app.Employer, MonthlyIncomeMinor: app.MonthlyIncomeMinor, RequestedLimitMinor: app.RequestedLimitMinor,
		Currency: Currency})
	h := sha256.Sum256(raw)
	return h[:]
}

// BeginSigning starts the member's passkey signature of their filled-in
// application: the options ask their passkeys to sign SHA-256(hash of the
// answers ‖ nonce) with user verification.
func (cr *Credit) BeginSigning(ctx context.Context, accountID, id string) (*SignBegun, error) {
	app, err := cr.ApplicationOf(ctx, accountID, id)
	if err != nil {
		return nil, err
	}
	if err := editable(app); err != nil {
		return nil, err
	}
	if app.Step != CreditFilled {
		return nil, apperr.New(apperr.Conflict, "fill in the whole application before you sign it")
	}
	hash := CreditFormHash(app)
	nonce := make([]byte, 32)
	rand.Read(nonce)
	opts, sess, err := cr.auth.BeginAssertion(ctx, accountID, signChallenge(hash, nonce))
	if err != nil {
		return nil, err
	}
	rawSess, err := json.Marshal(sess)
	if err != nil {
		return nil, fmt.Errorf("encode signing session: %w", err)
	}
	now := cr.Now().UTC()
	db := cr.db.WithContext(ctx)
	if err := db.Where("expires_at < ?", now).Delete(&creditCeremony{}).Error; err != nil {
		return nil, fmt.Errorf("sweep credit signing ceremonies: %w", err)
	}
	c := creditCeremony{ID: newID("csig"), ApplicationID: app.ID, AccountID: accountID, FormHash: hex.EncodeToString(hash),
		Nonce: base64.RawURLEncoding.EncodeToString(nonce), Session: string(rawSess), CreatedAt: now, ExpiresAt: now.Add(cr.SignTTL)}
	if err := db.Create(&c).Error; err != nil {
		return nil, fmt.Errorf("store credit signing ceremony: %w", err)
	}
	return &SignBegun{Ceremony: c.ID, Options: opts, OrderHash: c.FormHash}, nil
}

// useCreditCeremony spends the application's ceremony (see
// spendCeremony); a foreign or expired one is refused.
func (cr *Credit) useCreditCeremony(ctx context.Context, id, accountID, appID string) (*creditCeremony, error) {
	now := cr.Now().UTC()
	c, err := spendCeremony[creditCeremony](ctx, cr.db, id, now)
	if err != nil {
		return nil, err
	}
	if c.AccountID != accountID || c.ApplicationID != appID || !now.Before(c.ExpiresAt) {
		return nil, errCeremonyRefused
	}
	return c, nil
}

// FinishSigning verifies the member's assertion over their answers and
// marks the application signed, ready for the agent to submit. Answers
// changed since BeginSigning are refused. The evidence, the passkey's
// counter and the step to signed are one transaction.
func (cr *Credit) FinishSigning(ctx context.Context, accountID, id, ceremonyID string, credential []byte) (*CreditApplication, error) {
	c, err := cr.useCreditCeremony(ctx, ceremonyID, accountID, id)
	if err != nil {
		return nil, err
	}
	app, err := cr.ApplicationOf(ctx, accountID, id)
	if err != nil {
		return nil, err
	}
	if hex.EncodeToString(CreditFormHash(app)) != c.FormHash {
		return nil, apperr.New(apperr.Conflict, "the application changed after you started signing: review it and sign again")
	}
	nonce, err := base64.RawURLEncoding.DecodeString(c.Nonce)
	if err != nil {
		return nil, fmt.Errorf("decode signing nonce: %w", err)
	}
	var sess webauthn.SessionData
	if err := json.Unmarshal([]byte(c.Session), &sess); err != nil {
		return nil, fmt.Errorf("decode signing session: %w", err)
	}
	hash, _ := hex.DecodeString(c.FormHash)
	sess.Challenge = base64.RawURLEncoding.EncodeToString(signChallenge(hash, nonce))
	asserted, err := cr.auth.VerifyAssertion(ctx, accountID, sess, credential)
	if err != nil {
		return nil, err
	}
	err = cr.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var now CreditApplication
		if err := tx.Where("id = ?", id).Take(&now).Error; err != nil {
			return err
		}
		if hex.EncodeToString(CreditFormHash(&now)) != c.FormHash {
			return apperr.New(apperr.Conflict, "the application changed while you signed it: review it and sign again")
		}
		if err := cr.auth.RecordAssertion(tx, asserted); err != nil {
			return err
		}
		sig := CreditSignature{ApplicationID: id, AccountID: accountID, CeremonyID: c.ID, FormHash: c.FormHash, Nonce: c.Nonce,
			CredentialID: asserted.CredentialID, AuthenticatorData: base64.RawURLEncoding.EncodeToString(asserted.AuthenticatorData),
			Signature: base64.RawURLEncoding.EncodeToString(asserted.Signature), ClientDataJSON: string(asserted.ClientDataJSON),
			Assertion: string(credential), SignedAt: cr.Now().UTC()}
		if err := tx.Create(&sig).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return apperr.New(apperr.Conflict, "this application is signed already")
			}
			return err
		}
		return guardedUpdate(tx, id, []CreditStep{CreditFilled}, map[string]any{"step": CreditSigned, "updated_at": sig.SignedAt})
	})
	if err != nil {
		return nil, err
	}
	if app, err = cr.ApplicationOf(ctx, accountID, id); err != nil {
		return nil, err
	}
	cr.tell(ctx, app)
	return app, nil
}

// CreditSignatureOf returns the evidence of a signed application, or
// NotFound.
func (cr *Credit) CreditSignatureOf(ctx context.Context, id string) (*CreditSignature, error) {
	var s CreditSignature
	err := cr.db.WithContext(ctx).Where("application_id = ?", id).Take(&s).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "credit application %q is not signed", id)
	}
	return &s, err
}
