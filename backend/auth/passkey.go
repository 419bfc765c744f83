package auth

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"gorm.io/gorm"
)

// Passkey is a registered WebAuthn credential of an account.
type Passkey struct {
	ID         string     `gorm:"column:id;primaryKey"`
	AccountID  string     `gorm:"column:account_id"`
	Credential string     `gorm:"column:credential"`
	SignCount  int64      `gorm:"column:sign_count"`
	CreatedAt  time.Time  `gorm:"column:created_at"`
	LastUsedAt *time.Time `gorm:"column:last_used_at"`
}

// TableName tells GORM where passkeys live.
func (Passkey) TableName() string { return "passkeys" }

// passkeyID is the base64url form of a credential ID, the passkeys key.
func passkeyID(credentialID []byte) string {
	return base64.RawURLEncoding.EncodeToString(credentialID)
}

// newPasskey wraps a credential that go-webauthn just verified.
func newPasskey(accountID string, c *webauthn.Credential, now time.Time) (*Passkey, error) {
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode credential: %w", err)
	}
	return &Passkey{ID: passkeyID(c.ID), AccountID: accountID, Credential: string(raw), SignCount: int64(c.Authenticator.SignCount), CreatedAt: now}, nil
}

// loadCredentials fills a's credentials from its passkeys.
func loadCredentials(tx *gorm.DB, a *Account) error {
	var rows []Passkey
	if err := tx.Where("account_id = ?", a.ID).Order("created_at").Find(&rows).Error; err != nil {
		return fmt.Errorf("load passkeys: %w", err)
	}
	a.credentials = a.credentials[:0]
	for _, r := range rows {
		var c webauthn.Credential
		if err := json.Unmarshal([]byte(r.Credential), &c); err != nil {
			return fmt.Errorf("decode passkey %s: %w", r.ID, err)
		}
		c.Authenticator.SignCount = uint32(r.SignCount)
		a.credentials = append(a.credentials, c)
	}
	return nil
}
