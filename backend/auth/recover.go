package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/go-webauthn/webauthn/webauthn"
	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
)

// Recovery is a recovery link an operator issued so that a person who lost
// their passkeys can register a new one: valid for RecoveryTTL (one hour),
// used once. The rows are kept as the audit of who let whom add a passkey.
type Recovery struct {
	ID        string `gorm:"column:id;primaryKey"`
	TokenHash string `gorm:"column:token_hash"`
	AccountID string `gorm:"column:account_id"`
	// IssuedBy names the operator who issued the link, as
	// `livemall account recover` recorded them.
	IssuedBy  string     `gorm:"column:issued_by"`
	CreatedAt time.Time  `gorm:"column:created_at"`
	ExpiresAt time.Time  `gorm:"column:expires_at"`
	UsedAt    *time.Time `gorm:"column:used_at"`
	// PasskeyID is the passkey the link added, once used.
	PasskeyID *string `gorm:"column:passkey_id"`
}

// TableName tells GORM where recoveries live.
func (Recovery) TableName() string { return "account_recoveries" }

// errRecoveryGone is the answer for a recovery token that is unknown,
// expired or used.
func errRecoveryGone() error {
	return apperr.New(apperr.NotFound, "this recovery link is unknown, expired or already used: ask an admin for a new one")
}

// ParseIssuer checks the name of the operator who issues a recovery link:
// 1 to 200 printable characters, trimmed.
func ParseIssuer(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", apperr.New(apperr.Invalid, "say who issues the recovery link")
	}
	if len(s) > 200 {
		return "", apperr.New(apperr.Invalid, "the issuer's name is longer than 200 bytes")
	}
	for _, r := range s {
		if !unicode.IsPrint(r) || r == unicode.ReplacementChar {
			return "", apperr.New(apperr.Invalid, "the issuer's name holds a control or invalid character")
		}
	}
	return s, nil
}

// IssueRecovery creates a one-time recovery token for the account, valid for
// RecoveryTTL, and records issuedBy (see ParseIssuer) in the audit. An
// unknown account is NotFound.
func (s *Service) IssueRecovery(ctx context.Context, accountID, issuedBy string) (string, error) {
	by, err := ParseIssuer(issuedBy)
	if err != nil {
		return "", err
	}
	if _, err := s.FindAccountByID(ctx, accountID); err != nil {
		return "", err
	}
	token := randomToken(24)
	now := s.now()
	r := Recovery{ID: newID("rc"), TokenHash: hashToken(token), AccountID: accountID, IssuedBy: by, CreatedAt: now, ExpiresAt: now.Add(s.cfg.RecoveryTTL)}
	if err := s.db.WithContext(ctx).Create(&r).Error; err != nil {
		return "", fmt.Errorf("issue recovery: %w", err)
	}
	return token, nil
}

// RecoveryLink returns the URL a person opens to recover their account: the
// desk for staff and admins, the phone for members.
func RecoveryLink(publicURL string, role Role, token string) string {
	return appURL(publicURL, role) + "?recover=" + token
}

// RecoveriesOf returns the recovery links issued for the account, oldest
// first: the audit trail.
func (s *Service) RecoveriesOf(ctx context.Context, accountID string) ([]Recovery, error) {
	var out []Recovery
	err := s.db.WithContext(ctx).Where("account_id = ?", accountID).Order("created_at, id").Find(&out).Error
	return out, err
}

// findRecovery returns the unused, unexpired recovery for token and its
// account, or NotFound.
func (s *Service) findRecovery(tx *gorm.DB, token string) (*Recovery, *Account, error) {
	if token == "" || len(token) > 64 {
		return nil, nil, errRecoveryGone()
	}
	var r Recovery
	err := tx.Where("token_hash = ? AND used_at IS NULL AND expires_at > ?", hashToken(token), s.now()).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, errRecoveryGone()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load recovery: %w", err)
	}
	var a Account
	if err := tx.Where("id = ?", r.AccountID).Take(&a).Error; err != nil {
		return nil, nil, fmt.Errorf("load recovering account: %w", err)
	}
	return &r, &a, nil
}

// RecoveryAccount returns the account an unused, unexpired recovery token
// belongs to, or NotFound.
func (s *Service) RecoveryAccount(ctx context.Context, token string) (*Account, error) {
	_, a, err := s.findRecovery(s.db.WithContext(ctx), token)
	return a, err
}

// BeginRecovery starts registering a new passkey for the account the
// recovery token belongs to; its existing passkeys are excluded.
func (s *Service) BeginRecovery(ctx context.Context, token string) (*Options, error) {
	r, a, err := s.findRecovery(s.db.WithContext(ctx), token)
	if err != nil {
		return nil, err
	}
	return s.beginRegistration(ctx, a, ceremonyRecover, ceremonyData{RecoveryHash: r.TokenHash})
}

// FinishRecovery verifies the new passkey and, in one transaction, uses up
// the recovery link (recording the passkey it added), revokes the
// account's unused enrollment links, stores the passkey and starts a
// session on the browser's device. A link used or expired meanwhile is NotFound.
func (s *Service) FinishRecovery(ctx context.Context, token, ceremonyID string, credential []byte, device Device) (*Account, string, error) {
	link := func(d *ceremonyData) string { return d.RecoveryHash }
	return s.finishLink(ctx, ceremonyRecover, link, "recovery", token, ceremonyID, credential, device,
		func(tx *gorm.DB, a *Account, cred *webauthn.Credential, now time.Time) error {
			res := tx.Model(&Recovery{}).
				Where("token_hash = ? AND account_id = ? AND used_at IS NULL AND expires_at > ?", hashToken(token), a.ID, now).
				Updates(map[string]any{"used_at": now, "passkey_id": passkeyID(cred.ID)})
			if res.Error != nil {
				return fmt.Errorf("redeem recovery: %w", res.Error)
			}
			if res.RowsAffected != 1 {
				return errRecoveryGone()
			}
			return revokeEnrollments(tx, a.ID, now)
		})
}
