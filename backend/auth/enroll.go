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

// AlreadyEnrolledMessage is what a person who opens an enrollment link of an
// account that already has a passkey is told: the link only ever registers
// the first one.
const AlreadyEnrolledMessage = "this enrollment link was already used — sign in with your passkey, or ask an admin for a recovery link"

// errEnrollmentGone is the answer for a token that is unknown, expired or
// used while its account still has no passkey.
func errEnrollmentGone() error {
	return apperr.New(apperr.NotFound, "this enrollment link is unknown, expired or already used: ask for a new one")
}

// errAlreadyEnrolled is the answer for any enrollment token of an account
// that has a passkey (a Conflict with AlreadyEnrolledMessage).
func errAlreadyEnrolled() error { return apperr.New(apperr.Conflict, AlreadyEnrolledMessage) }

// IssueEnrollment creates a one-time enrollment token for the account and
// returns it; it is valid for the configured enrollment TTL.
func (s *Service) IssueEnrollment(ctx context.Context, accountID string) (string, error) {
	return s.IssueEnrollmentValidFor(ctx, accountID, s.cfg.EnrollmentTTL)
}

// IssueEnrollmentValidFor creates a one-time enrollment token for the
// account, valid for ttl. Every token of an account dies when the first of
// them registers a passkey.
func (s *Service) IssueEnrollmentValidFor(ctx context.Context, accountID string, ttl time.Duration) (string, error) {
	if ttl <= 0 {
		return "", fmt.Errorf("issue enrollment: lifetime %v is not positive", ttl)
	}
	token := randomToken(24)
	now := s.now()
	e := enrollment{TokenHash: hashToken(token), AccountID: accountID, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := s.db.WithContext(ctx).Create(&e).Error; err != nil {
		return "", fmt.Errorf("issue enrollment: %w", err)
	}
	return token, nil
}

// EnrollmentLink returns the URL a person opens to enroll: the desk for
// staff and admins, the phone for members.
func EnrollmentLink(publicURL string, role Role, token string) string {
	return appURL(publicURL, role) + "?enroll=" + token
}

// appURL is the app a person of role uses: the desk for staff and admins,
// the phone for members.
func appURL(publicURL string, role Role) string {
	if role == RoleMember {
		return publicURL + "/phone/"
	}
	return publicURL + "/desk/"
}

// findEnrollment returns the unused, unexpired enrollment for token and its
// account. A token of an account that already has a passkey is a Conflict
// (whether or not this token was used); any other unusable token is
// NotFound.
func (s *Service) findEnrollment(tx *gorm.DB, token string) (*enrollment, *Account, error) {
	if token == "" || len(token) > 64 {
		return nil, nil, errEnrollmentGone()
	}
	var e enrollment
	err := tx.Where("token_hash = ?", hashToken(token)).Take(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, errEnrollmentGone()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load enrollment: %w", err)
	}
	if has, err := hasPasskey(tx, e.AccountID); err != nil {
		return nil, nil, err
	} else if has {
		return nil, nil, errAlreadyEnrolled()
	}
	if e.UsedAt != nil || !s.now().Before(e.ExpiresAt) {
		return nil, nil, errEnrollmentGone()
	}
	var a Account
	if err := tx.Where("id = ?", e.AccountID).Take(&a).Error; err != nil {
		return nil, nil, fmt.Errorf("load enrolling account: %w", err)
	}
	return &e, &a, nil
}

// redeemEnrollment, in tx, marks the enrollment used and revokes every
// other unused token of the account, so that the first passkey is the only
// one any enrollment link registers. The caller holds the account's lock
// (lockAccount) and has checked that it has no passkey yet.
func (s *Service) redeemEnrollment(tx *gorm.DB, tokenHash, accountID string) error {
	now := s.now()
	res := tx.Model(&enrollment{}).Where("token_hash = ? AND account_id = ? AND used_at IS NULL AND expires_at > ?", tokenHash, accountID, now).Update("used_at", now)
	if res.Error != nil {
		return fmt.Errorf("redeem enrollment: %w", res.Error)
	}
	if res.RowsAffected != 1 {
		return errEnrollmentGone()
	}
	return revokeEnrollments(tx, accountID, now)
}

// revokeEnrollments marks every unused enrollment token of the account used
// at now, in tx: called whenever the account gains a passkey.
func revokeEnrollments(tx *gorm.DB, accountID string, now time.Time) error {
	if err := tx.Model(&enrollment{}).Where("account_id = ? AND used_at IS NULL", accountID).Update("used_at", now).Error; err != nil {
		return fmt.Errorf("revoke enrollments: %w", err)
	}
	return nil
}

// lockAccount takes the account's row lock in tx until it ends, so that two
// requests that would each give the account a passkey by link run one after
// the other and the second sees the first one's passkey. An update that
// changes nothing is the one row lock both SQLite and PostgreSQL understand
// (SQLite has no SELECT … FOR UPDATE; its transactions are taken
// immediate). An unknown account is NotFound.
func lockAccount(tx *gorm.DB, accountID string) error {
	res := tx.Exec("UPDATE accounts SET name = name WHERE id = ?", accountID)
	if res.Error != nil {
		return fmt.Errorf("lock account: %w", res.Error)
	}
	if res.RowsAffected != 1 {
		return apperr.New(apperr.NotFound, "no such account")
	}
	return nil
}

// hasPasskey reports, in tx, whether the account has a passkey.
func hasPasskey(tx *gorm.DB, accountID string) (bool, error) {
	var n int64
	if err := tx.Model(&Passkey{}).Where("account_id = ?", accountID).Count(&n).Error; err != nil {
		return false, fmt.Errorf("count passkeys: %w", err)
	}
	return n > 0, nil
}
