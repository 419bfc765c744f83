package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
)

// SessionCookie is the name of the HttpOnly cookie that carries the session.
const SessionCookie = "lm_session"

// session is a signed-in browser. Only the SHA-256 of the cookie is stored.
type session struct {
	IDHash    string    `gorm:"column:id_hash;primaryKey"`
	AccountID string    `gorm:"column:account_id"`
	CreatedAt time.Time `gorm:"column:created_at"`
	ExpiresAt time.Time `gorm:"column:expires_at"`
	// VerifiedAt is when the holder last proved user verification with a
	// passkey; nil for sessions older than the column.
	VerifiedAt *time.Time `gorm:"column:verified_at"`
}

// TableName tells GORM where sessions live.
func (session) TableName() string { return "sessions" }

// startSession creates a new session for accountID in tx, bound to the
// device (stored now if it is new), and returns the cookie value. Every
// sign-in gets a new one, never a reused id. Every ceremony that starts a
// session required user verification, so the session starts verified.
func (s *Service) startSession(tx *gorm.DB, accountID string, device Device) (string, error) {
	token := randomToken(32)
	now := s.now()
	if err := tx.Create(&session{IDHash: hashToken(token), AccountID: accountID, CreatedAt: now, ExpiresAt: now.Add(s.cfg.SessionTTL), VerifiedAt: &now}).Error; err != nil {
		return "", fmt.Errorf("start session: %w", err)
	}
	if err := device.bindSession(tx, token); err != nil {
		return "", err
	}
	return token, nil
}

// errNotFresh is the answer when a session's user verification is too old
// for what it asks: the browser confirms with a passkey (reverify) and
// tries again.
func errNotFresh() error {
	return apperr.New(apperr.Forbidden, "confirm it is you with one of your passkeys first")
}

// requireFreshSession returns nil when the session behind the cookie value
// token belongs to accountID, is unexpired and verified its user within
// FreshFor; otherwise errNotFresh.
func (s *Service) requireFreshSession(ctx context.Context, accountID, token string) error {
	if token == "" {
		return errNotFresh()
	}
	now := s.now()
	var n int64
	err := s.db.WithContext(ctx).Model(&session{}).
		Where("id_hash = ? AND account_id = ? AND expires_at > ? AND verified_at > ?", hashToken(token), accountID, now, now.Add(-s.cfg.FreshFor)).
		Count(&n).Error
	if err != nil {
		return fmt.Errorf("check session freshness: %w", err)
	}
	if n != 1 {
		return errNotFresh()
	}
	return nil
}

// markSessionVerified records, in tx, that the holder of the session behind
// the cookie value token, which must belong to accountID, just verified
// with a passkey.
func (s *Service) markSessionVerified(tx *gorm.DB, accountID, token string) error {
	now := s.now()
	res := tx.Model(&session{}).Where("id_hash = ? AND account_id = ? AND expires_at > ?", hashToken(token), accountID, now).Update("verified_at", now)
	if res.Error != nil {
		return fmt.Errorf("mark session verified: %w", res.Error)
	}
	if res.RowsAffected != 1 {
		return apperr.New(apperr.Unauthorized, "your session has ended: sign in again")
	}
	return nil
}

// setSessionCookie hands the session to the browser.
func (s *Service) setSessionCookie(c *fiber.Ctx, token string) {
	c.Cookie(&fiber.Cookie{
		Name:     SessionCookie,
		Value:    token,
		Path:     "/",
		Expires:  s.now().Add(s.cfg.SessionTTL),
		HTTPOnly: true,
		Secure:   s.secureCookies() || c.Protocol() == "https",
		SameSite: fiber.CookieSameSiteLaxMode,
	})
}

// clearSessionCookie tells the browser to forget the session.
func (s *Service) clearSessionCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0),
		HTTPOnly: true, Secure: s.secureCookies() || c.Protocol() == "https", SameSite: fiber.CookieSameSiteLaxMode})
}

// AccountForSession returns the account signed in with the cookie value
// token, or an Unauthorized error when the session is unknown or expired.
func (s *Service) AccountForSession(ctx context.Context, token string) (*Account, error) {
	a, _, err := s.sessionOf(ctx, token)
	return a, err
}

// sessionOf returns the account signed in with the cookie value token and
// the device the session is bound to ("" for none), or an Unauthorized
// error when the session is unknown or expired.
func (s *Service) sessionOf(ctx context.Context, token string) (*Account, string, error) {
	if token == "" {
		return nil, "", apperr.New(apperr.Unauthorized, "sign in first")
	}
	hash, now := hashToken(token), s.now()
	var epoch uint64
	if s.cache != nil {
		if a, device, ok := s.cache.get(hash, now); ok {
			return a, device, nil
		}
		epoch = s.cache.begin()
	}
	var row struct {
		Account   `gorm:"embedded"`
		DeviceID  *string   `gorm:"column:session_device_id"`
		ExpiresAt time.Time `gorm:"column:session_expires_at"`
	}
	err := s.db.WithContext(ctx).Table("accounts").
		Select("accounts.*, device_sessions.device_id AS session_device_id, sessions.expires_at AS session_expires_at").
		Joins("JOIN sessions ON sessions.account_id = accounts.id").
		Joins("LEFT JOIN device_sessions ON device_sessions.session_hash = sessions.id_hash").
		Where("sessions.id_hash = ? AND sessions.expires_at > ?", hash, now).
		Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, "", apperr.New(apperr.Unauthorized, "your session has ended: sign in again")
	}
	if err != nil {
		return nil, "", fmt.Errorf("load session: %w", err)
	}
	device := ""
	if row.DeviceID != nil {
		device = *row.DeviceID
	}
	if s.cache != nil {
		s.cache.put(epoch, hash, &row.Account, device, now, row.ExpiresAt)
	}
	return &row.Account, device, nil
}

// endSession deletes the session behind the cookie value token, signed in
// as accountID ("" when unknown), and tells every node to forget it.
func (s *Service) endSession(ctx context.Context, token, accountID string) error {
	hash := hashToken(token)
	if err := s.db.WithContext(ctx).Where("id_hash = ?", hash).Delete(&session{}).Error; err != nil {
		return err
	}
	s.announceSessionsChanged(accountID, hash)
	return nil
}

// localsAccount is the fiber.Ctx key under which the signed-in account sits.
const localsAccount = "auth.account"

// LoadSession is middleware that looks up the session cookie and, if it is
// valid, makes the account available to CurrentAccount and its device to
// CurrentDevice. It never refuses a request; the guards do.
func (s *Service) LoadSession() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if token := c.Cookies(SessionCookie); token != "" {
			a, device, err := s.sessionOf(c.UserContext(), token)
			if err == nil {
				c.Locals(localsAccount, a)
				if device != "" {
					c.Locals(localsDevice, device)
				}
			} else if !apperr.Is(err, apperr.Unauthorized) {
				return err
			}
		}
		return c.Next()
	}
}

// CurrentAccount returns the signed-in account, or nil.
func CurrentAccount(c *fiber.Ctx) *Account {
	a, _ := c.Locals(localsAccount).(*Account)
	return a
}

// RequireAccount returns the signed-in account or an Unauthorized error.
func RequireAccount(c *fiber.Ctx) (*Account, error) {
	a := CurrentAccount(c)
	if a == nil {
		return nil, apperr.New(apperr.Unauthorized, "sign in first")
	}
	return a, nil
}

// RequireRole is middleware that lets through only signed-in accounts with
// one of roles: others get 401 when signed out and 403 when signed in.
func RequireRole(roles ...Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		a, err := RequireAccount(c)
		if err != nil {
			return err
		}
		for _, r := range roles {
			if a.Role == r {
				return c.Next()
			}
		}
		return apperr.New(apperr.Forbidden, "your role (%s) may not do this", a.Role)
	}
}
