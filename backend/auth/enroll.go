package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
)

// enrollment is a one-time link with which a person created by an operator
// registers their first passkey.
type enrollment struct {
	TokenHash string     `gorm:"column:token_hash;primaryKey"`
	AccountID string     `gorm:"column:account_id"`
	CreatedAt time.Time  `gorm:"column:created_at"`
	ExpiresAt time.Time  `gorm:"column:expires_at"`
	UsedAt    *time.Time `gorm:"column:used_at"`
}

// TableName tells GORM where enrollments live.
func (enrollment) TableName() string { return "enrollments" }

// IssueEnrollment creates a one-time enrollment token for the account and
// returns it; it is valid for the configured enrollment TTL. Earlier unused
// tokens of the account stay valid until they expire.
func (s *Service) IssueEnrollment(ctx context.Context, accountID string) (string, error) {
	token := randomToken(24)
	now := s.now()
	e := enrollment{TokenHash: hashToken(token), AccountID: accountID, CreatedAt: now, ExpiresAt: now.Add(s.cfg.EnrollmentTTL)}
	if err := s.db.WithContext(ctx).Create(&e).Error; err != nil {
		return "", fmt.Errorf("issue enrollment: %w", err)
	}
	return token, nil
}

// EnrollmentLink returns the URL a person opens to enroll: the desk for
// staff and admins, the phone for members.
func EnrollmentLink(publicURL string, role Role, token string) string {
	app := "/desk/"
	if role == RoleMember {
		app = "/phone/"
	}
	return publicURL + app + "?enroll=" + token
}

// findEnrollment returns the unused, unexpired enrollment for token and its
// account, or NotFound.
func (s *Service) findEnrollment(tx *gorm.DB, token string) (*enrollment, *Account, error) {
	gone := apperr.New(apperr.NotFound, "this enrollment link is unknown, expired or already used: ask for a new one")
	if token == "" || len(token) > 64 {
		return nil, nil, gone
	}
	var e enrollment
	err := tx.Where("token_hash = ? AND used_at IS NULL AND expires_at > ?", hashToken(token), s.now()).Take(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, gone
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load enrollment: %w", err)
	}
	var a Account
	if err := tx.Where("id = ?", e.AccountID).Take(&a).Error; err != nil {
		return nil, nil, fmt.Errorf("load enrolling account: %w", err)
	}
	return &e, &a, nil
}

// redeemEnrollment marks the enrollment used in tx; it fails if another
// request redeemed it first.
func (s *Service) redeemEnrollment(tx *gorm.DB, tokenHash string) error {
	now := s.now()
	res := tx.Model(&enrollment{}).Where("token_hash = ? AND used_at IS NULL AND expires_at > ?", tokenHash, now).Update("used_at", now)
	if res.Error != nil {
		return fmt.Errorf("redeem enrollment: %w", res.Error)
	}
	if res.RowsAffected != 1 {
		return apperr.New(apperr.NotFound, "this enrollment link is unknown, expired or already used: ask for a new one")
	}
	return nil
}
