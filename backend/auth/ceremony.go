package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
)

// Ceremony kinds; a ceremony begun as one kind cannot be finished as another.
const (
	ceremonySignUp  = "signup"
	ceremonySignIn  = "signin"
	ceremonyPasskey = "passkey"
	ceremonyEnroll  = "enroll"
	// ceremonyRecover registers a passkey through a recovery link.
	ceremonyRecover = "recover"
	// ceremonyReverify confirms a signed-in user with a passkey.
	ceremonyReverify = "reverify"
)

// ceremony is a WebAuthn ceremony in flight: its challenge is kept here,
// server-side, until the request that finishes it deletes it.
type ceremony struct {
	ID        string    `gorm:"column:id;primaryKey"`
	Kind      string    `gorm:"column:kind"`
	AccountID *string   `gorm:"column:account_id"`
	Data      string    `gorm:"column:data"`
	ExpiresAt time.Time `gorm:"column:expires_at"`
}

// TableName tells GORM where ceremonies live.
func (ceremony) TableName() string { return "ceremonies" }

// ceremonyData is what a ceremony remembers between begin and finish.
type ceremonyData struct {
	Session webauthn.SessionData `json:"session"`
	// SignUp holds the profile of an account that does not exist yet.
	SignUp *NewAccount `json:"signUp,omitempty"`
	// UserHandle is the handle the sign-up ceremony registered.
	UserHandle []byte `json:"userHandle,omitempty"`
	// EnrollmentHash is the enrollment link an enroll ceremony redeems.
	EnrollmentHash string `json:"enrollmentHash,omitempty"`
	// RecoveryHash is the recovery link a recover ceremony redeems.
	RecoveryHash string `json:"recoveryHash,omitempty"`
}

// beginCeremony stores a new ceremony and returns its id with the browser's
// options. Expired ceremonies are swept on the way, so the table does not grow.
func (s *Service) beginCeremony(ctx context.Context, kind string, accountID *string, d ceremonyData, browser any) (*Options, error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode ceremony: %w", err)
	}
	now := s.now()
	c := ceremony{ID: randomToken(24), Kind: kind, AccountID: accountID, Data: string(raw), ExpiresAt: now.Add(s.cfg.CeremonyTTL)}
	db := s.db.WithContext(ctx)
	if err := db.Where("expires_at < ?", now).Delete(&ceremony{}).Error; err != nil {
		return nil, fmt.Errorf("sweep ceremonies: %w", err)
	}
	if err := db.Create(&c).Error; err != nil {
		return nil, fmt.Errorf("store ceremony: %w", err)
	}
	return &Options{Ceremony: c.ID, Options: browser}, nil
}

// takeCeremony deletes the ceremony in tx and returns what it remembered. A
// ceremony is usable once: a second finish, an unknown id, another kind or
// an expired ceremony is refused.
func (s *Service) takeCeremony(tx *gorm.DB, id, kind string) (*ceremony, *ceremonyData, error) {
	refused := apperr.New(apperr.Invalid, "this passkey request is unknown, expired or already used: start again")
	if id == "" || len(id) > 64 {
		return nil, nil, refused
	}
	var c ceremony
	err := tx.Where("id = ?", id).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, refused
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load ceremony: %w", err)
	}
	res := tx.Where("id = ?", id).Delete(&ceremony{})
	if res.Error != nil {
		return nil, nil, fmt.Errorf("consume ceremony: %w", res.Error)
	}
	if res.RowsAffected != 1 || c.Kind != kind || !s.now().Before(c.ExpiresAt) {
		return nil, nil, refused
	}
	var d ceremonyData
	if err := json.Unmarshal([]byte(c.Data), &d); err != nil {
		return nil, nil, fmt.Errorf("decode ceremony: %w", err)
	}
	return &c, &d, nil
}
