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
	"github.com/livemall/livemall/backend/auth"
)

// signCeremony is an order signature in flight: the order's hash and the
// nonce the challenge was made of. It is used once, verified or not.
type signCeremony struct {
	ID        string     `gorm:"column:id;primaryKey"`
	OrderID   string     `gorm:"column:order_id"`
	AccountID string     `gorm:"column:account_id"`
	OrderHash string     `gorm:"column:order_hash"` // hex
	Nonce     string     `gorm:"column:nonce"`      // base64url
	Session   string     `gorm:"column:session"`    // webauthn.SessionData as JSON
	CreatedAt time.Time  `gorm:"column:created_at"`
	ExpiresAt time.Time  `gorm:"column:expires_at"`
	UsedAt    *time.Time `gorm:"column:used_at"`
}

// TableName tells GORM where signing ceremonies live.
func (signCeremony) TableName() string { return "order_sign_ceremonies" }

// OrderSignature is the evidence that a member signed an order with a
// passkey: the assertion as the browser sent it and what its challenge was
// made of.
type OrderSignature struct {
	OrderID           string    `gorm:"column:order_id;primaryKey"`
	AccountID         string    `gorm:"column:account_id"`
	CeremonyID        string    `gorm:"column:ceremony_id"`
	OrderHash         string    `gorm:"column:order_hash"`
	Nonce             string    `gorm:"column:nonce"`
	CredentialID      string    `gorm:"column:credential_id"`
	AuthenticatorData string    `gorm:"column:authenticator_data"` // base64url
	Signature         string    `gorm:"column:signature"`          // base64url
	ClientDataJSON    string    `gorm:"column:client_data_json"`
	Assertion         string    `gorm:"column:assertion"` // the credential JSON as received
	SignedAt          time.Time `gorm:"column:signed_at"`
}

// TableName tells GORM where order signatures live.
func (OrderSignature) TableName() string { return "order_signatures" }

// Signatures lets members sign their orders with a passkey: a WebAuthn
// assertion over SHA-256(order hash ‖ nonce).
type Signatures struct {
	db   *gorm.DB
	auth *auth.Service
	// TTL is how long a begun signature may be finished.
	TTL time.Duration
}

// NewSignatures returns the signing service; passkeys come from a.
func NewSignatures(db *gorm.DB, a *auth.Service) *Signatures {
	return &Signatures{db: db, auth: a, TTL: 5 * time.Minute}
}

// SignBegun is what the browser needs to sign: the ceremony to send back,
// the WebAuthn request options and the hash of the order being signed.
type SignBegun struct {
	Ceremony  string `json:"ceremony"`
	Options   any    `json:"options"`
	OrderHash string `json:"orderHash"`
}

// signedLine and signedOrder are the canonical form of an order that its
// hash covers; the field order is fixed by the structs.
type signedLine struct {
	ProductID      int64  `json:"productId"`
	SKU            string `json:"sku"`
	Name           string `json:"name"`
	UnitPriceMinor int64  `json:"unitPriceMinor"`
	Quantity       int    `json:"quantity"`
}

type signedOrder struct {
	Format        string       `json:"format"`
	OrderID       string       `json:"orderId"`
	Lines         []signedLine `json:"lines"`
	SubtotalMinor int64        `json:"subtotalMinor"`
	TaxMinor      int64        `json:"taxMinor"`
	TotalMinor    int64        `json:"totalMinor"`
	Currency      string       `json:"currency"`
}

// OrderHash returns the SHA-256 of the order's canonical form as it is in
// tx now: its id, its lines by product id (id, SKU, name, unit price,
// quantity), its totals and currency.
func OrderHash(tx *gorm.DB, orderID string) ([]byte, error) {
	var o Order
	if err := tx.Where("id = ?", orderID).Take(&o).Error; err != nil {
		return nil, fmt.Errorf("hash order: %w", err)
	}
	lines, err := linesIn(tx, orderID)
	if err != nil {
		return nil, fmt.Errorf("hash order: %w", err)
	}
	c := signedOrder{Format: "livemall-order-v1", OrderID: o.ID, Lines: []signedLine{}, SubtotalMinor: o.SubtotalMinor,
		TaxMinor: o.TaxMinor, TotalMinor: o.TotalMinor, Currency: o.Currency}
	for _, l := range lines {
		c.Lines = append(c.Lines, signedLine{ProductID: l.ProductID, SKU: l.SKU, Name: l.Name, UnitPriceMinor: l.UnitPriceMinor, Quantity: l.Quantity})
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256(raw)
	return h[:], nil
}

// signChallenge is the challenge a signature answers: SHA-256(hash ‖ nonce).
func signChallenge(orderHash, nonce []byte) []byte {
	h := sha256.New()
	h.Write(orderHash)
	h.Write(nonce)
	return h.Sum(nil)
}

// mustBeSigned refuses to pay an order that needs a signature it lacks.
func mustBeSigned(o *Order) error {
	if o.NeedsSignature && o.State != OrderSigned {
		return apperr.New(apperr.Conflict, "this order must be signed with your passkey before you pay")
	}
	return nil
}

// readyToSign refuses orders that cannot be signed now.
func readyToSign(o *Order) error {
	switch {
	case o.State == OrderAwaitingVerification:
		return apperr.New(apperr.Conflict, "a sales agent must verify your age before you can sign this order")
	case o.State == OrderSigned:
		return apperr.New(apperr.Conflict, "this order is signed already: pay it")
	case o.State != OrderDraft:
		return apperr.New(apperr.Conflict, "this order is %s and cannot be signed", humanState(o.State))
	case !o.NeedsSignature:
		return apperr.New(apperr.Conflict, "this order needs no signature: pay it")
	}
	return nil
}

// BeginSigning starts signing the member's order: a fresh nonce and the
// order's hash are stored in a single-use ceremony, and the options ask the
// member's passkeys to sign SHA-256(hash ‖ nonce) with user verification.
// The caller has checked that the order is the member's.
func (sg *Signatures) BeginSigning(ctx context.Context, accountID string, o *Order) (*SignBegun, error) {
	if err := readyToSign(o); err != nil {
		return nil, err
	}
	db := sg.db.WithContext(ctx)
	hash, err := OrderHash(db, o.ID)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, 32)
	rand.Read(nonce)
	opts, sess, err := sg.auth.BeginAssertion(ctx, accountID, signChallenge(hash, nonce))
	if err != nil {
		return nil, err
	}
	rawSess, err := json.Marshal(sess)
	if err != nil {
		return nil, fmt.Errorf("encode signing session: %w", err)
	}
	now := time.Now().UTC()
	if err := db.Where("expires_at < ?", now).Delete(&signCeremony{}).Error; err != nil {
		return nil, fmt.Errorf("sweep signing ceremonies: %w", err)
	}
	c := signCeremony{ID: newID("sig"), OrderID: o.ID, AccountID: accountID, OrderHash: hex.EncodeToString(hash),
		Nonce: base64.RawURLEncoding.EncodeToString(nonce), Session: string(rawSess), CreatedAt: now, ExpiresAt: now.Add(sg.TTL)}
	if err := db.Create(&c).Error; err != nil {
		return nil, fmt.Errorf("store signing ceremony: %w", err)
	}
	return &SignBegun{Ceremony: c.ID, Options: opts, OrderHash: c.OrderHash}, nil
}

// useCeremony spends the order's ceremony (see spendCeremony); a foreign
// or expired one is refused.
func (sg *Signatures) useCeremony(ctx context.Context, id, accountID, orderID string) (*signCeremony, error) {
	now := time.Now().UTC()
	c, err := spendCeremony[signCeremony](ctx, sg.db, id, now)
	if err != nil {
		return nil, err
	}
	if c.AccountID != accountID || c.OrderID != orderID || !now.Before(c.ExpiresAt) {
		return nil, errCeremonyRefused
	}
	return c, nil
}

// errCeremonyRefused answers every signing request that is unknown, used,
// expired or someone else's, alike.
var errCeremonyRefused = apperr.New(apperr.Invalid, "this signing request is unknown, expired or already used: start signing again")

// spendCeremony marks the passkey signing ceremony id (an order's or a
// credit application's, C being its row type) used, in a transaction of
// its own, so that it is spent even when the assertion that follows fails.
// An unknown or already used ceremony is refused; the caller checks whose
// it is and that it has not expired.
func spendCeremony[C any](ctx context.Context, db *gorm.DB, id string, now time.Time) (*C, error) {
	if id == "" || len(id) > 64 {
		return nil, errCeremonyRefused
	}
	var c C
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", id).Take(&c).Error; err != nil {
			return err
		}
		res := tx.Model(new(C)).Where("id = ? AND used_at IS NULL", id).Update("used_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return errCeremonyRefused
		}
		return nil
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, errCeremonyRefused
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// FinishSigning verifies the member's assertion and signs the order. The
// order's hash is computed again from the database: an order whose lines or
// totals changed since BeginSigning is refused, and the challenge is rebuilt
// from the new hash, so a stale assertion cannot verify either. The
// evidence, the passkey's counter and the move to signed are one
// transaction. The caller has checked that the order is the member's.
func (sg *Signatures) FinishSigning(ctx context.Context, accountID, orderID, ceremonyID string, credential []byte) (*Order, error) {
	c, err := sg.useCeremony(ctx, ceremonyID, accountID, orderID)
	if err != nil {
		return nil, err
	}
	db := sg.db.WithContext(ctx)
	hash, err := OrderHash(db, orderID)
	if err != nil {
		return nil, err
	}
	if hex.EncodeToString(hash) != c.OrderHash {
		return nil, apperr.New(apperr.Conflict, "the order changed after you started signing: review it and sign again")
	}
	nonce, err := base64.RawURLEncoding.DecodeString(c.Nonce)
	if err != nil {
		return nil, fmt.Errorf("decode signing nonce: %w", err)
	}
	var sess webauthn.SessionData
	if err := json.Unmarshal([]byte(c.Session), &sess); err != nil {
		return nil, fmt.Errorf("decode signing session: %w", err)
	}
	sess.Challenge = base64.RawURLEncoding.EncodeToString(signChallenge(hash, nonce))
	asserted, err := sg.auth.VerifyAssertion(ctx, accountID, sess, credential)
	if err != nil {
		return nil, err
	}
	var o Order
	err = db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", orderID).Take(&o).Error; err != nil {
			return err
		}
		if err := readyToSign(&o); err != nil {
			return err
		}
		again, err := OrderHash(tx, orderID)
		if err != nil {
			return err
		}
		if hex.EncodeToString(again) != c.OrderHash {
			return apperr.New(apperr.Conflict, "the order changed while you signed it: review it and sign again")
		}
		if err := sg.auth.RecordAssertion(tx, asserted); err != nil {
			return err
		}
		sig := OrderSignature{OrderID: orderID, AccountID: accountID, CeremonyID: c.ID, OrderHash: c.OrderHash, Nonce: c.Nonce,
			CredentialID: asserted.CredentialID, AuthenticatorData: base64.RawURLEncoding.EncodeToString(asserted.AuthenticatorData),
			Signature: base64.RawURLEncoding.EncodeToString(asserted.Signature), ClientDataJSON: string(asserted.ClientDataJSON),
			Assertion: string(credential), SignedAt: time.Now().UTC()}
		if err := tx.Create(&sig).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return apperr.New(apperr.Conflict, "this order is signed already")
			}
			return err
		}
		return move(tx, &o, OrderSigned, "member:"+accountID, "signed with a passkey")
	})
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// SignatureOf returns the evidence of a signed order, or NotFound.
func (sg *Signatures) SignatureOf(ctx context.Context, orderID string) (*OrderSignature, error) {
	var s OrderSignature
	err := sg.db.WithContext(ctx).Where("order_id = ?", orderID).Take(&s).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "order %q is not signed", orderID)
	}
	return &s, err
}
