package push

import (
	"context"
	"crypto/ecdh"
	"encoding/base64"
	"errors"
	"net"
	"net/url"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/web"
)

// MaxEndpointLength bounds a subscription's endpoint URL.
const MaxEndpointLength = 1024

// Subscription is a browser's PushSubscription as its toJSON() gives it.
type Subscription struct {
	// Endpoint is the push service's URL for this browser.
	Endpoint string `json:"endpoint" required:"true"`
	// ExpirationTime is what the browser says of its expiry (ignored).
	ExpirationTime *float64 `json:"expirationTime"`
	// Keys are the browser's P-256 public key and auth secret, base64url.
	Keys SubscriptionKeys `json:"keys" required:"true"`
}

// SubscriptionKeys are a subscription's keys, base64url.
type SubscriptionKeys struct {
	// P256dh is the browser's uncompressed P-256 public key (65 bytes).
	P256dh string `json:"p256dh" required:"true"`
	// Auth is the 16-byte authentication secret.
	Auth string `json:"auth" required:"true"`
}

// ParseSubscription decodes a subscription strictly and checks it: an
// https endpoint on a named host (no address literals, no user, no
// fragment, at most MaxEndpointLength), a public key that is a point of
// P-256 and a 16-byte auth secret. allowLocal also accepts http and
// address literals (tests, with Config.AllowLocalEndpoints).
func ParseSubscription(body []byte, allowLocal bool) (Subscription, error) {
	var s Subscription
	if err := web.DecodeJSONBytes(body, &s); err != nil {
		return s, err
	}
	if err := checkEndpoint(s.Endpoint, allowLocal); err != nil {
		return s, err
	}
	p256dh, err := decodeKey(s.Keys.P256dh)
	if err != nil {
		return s, apperr.New(apperr.Invalid, "field \"keys.p256dh\" must be base64url")
	}
	if _, err := ecdh.P256().NewPublicKey(p256dh); err != nil {
		return s, apperr.New(apperr.Invalid, "field \"keys.p256dh\" is not an uncompressed P-256 public key")
	}
	auth, err := decodeKey(s.Keys.Auth)
	if err != nil || len(auth) != 16 {
		return s, apperr.New(apperr.Invalid, "field \"keys.auth\" must be 16 bytes, base64url")
	}
	// Kept as the browser's bytes, in one spelling.
	s.Keys.P256dh = base64.RawURLEncoding.EncodeToString(p256dh)
	s.Keys.Auth = base64.RawURLEncoding.EncodeToString(auth)
	return s, nil
}

// decodeKey decodes base64url with or without padding.
func decodeKey(k string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(k, "="))
}

// checkEndpoint refuses endpoints the server must not post to.
func checkEndpoint(endpoint string, allowLocal bool) error {
	if len(endpoint) > MaxEndpointLength {
		return apperr.New(apperr.Invalid, "field \"endpoint\" is longer than %d characters", MaxEndpointLength)
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return apperr.New(apperr.Invalid, "field \"endpoint\" must be the push service's URL")
	}
	if u.User != nil || u.Fragment != "" {
		return apperr.New(apperr.Invalid, "field \"endpoint\" must not carry a user or a fragment")
	}
	if allowLocal && (u.Scheme == "http" || u.Scheme == "https") {
		return nil
	}
	if u.Scheme != "https" {
		return apperr.New(apperr.Invalid, "field \"endpoint\" must be an https URL")
	}
	if net.ParseIP(strings.Trim(u.Hostname(), "[]")) != nil || !strings.Contains(u.Hostname(), ".") {
		return apperr.New(apperr.Invalid, "field \"endpoint\" must name the push service's host, not an address")
	}
	if p := u.Port(); p != "" && p != "443" {
		return apperr.New(apperr.Invalid, "field \"endpoint\" must use the https port")
	}
	return nil
}

// subscriptionRow is a device's push subscription.
type subscriptionRow struct {
	DeviceID   string     `gorm:"column:device_id;primaryKey"`
	AccountID  string     `gorm:"column:account_id"`
	Endpoint   string     `gorm:"column:endpoint"`
	P256dh     string     `gorm:"column:p256dh"`
	Auth       string     `gorm:"column:auth"`
	CreatedAt  time.Time  `gorm:"column:created_at"`
	LastSentAt *time.Time `gorm:"column:last_sent_at"`
}

func (subscriptionRow) TableName() string { return "push_subscriptions" }

// Subscribe keeps sub as the device's subscription, for the account signed
// in on it; it replaces what the device had (a browser has one
// subscription per site, whoever subscribed it before).
func (s *Service) Subscribe(ctx context.Context, accountID, deviceID string, sub Subscription) error {
	if accountID == "" || deviceID == "" {
		return apperr.New(apperr.Conflict, "this browser has no device yet: open the phone once, then turn push on")
	}
	row := subscriptionRow{DeviceID: deviceID, AccountID: accountID, Endpoint: sub.Endpoint, P256dh: sub.Keys.P256dh, Auth: sub.Keys.Auth, CreatedAt: s.now().UTC()}
	var before subscriptionRow
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("device_id = ?", deviceID).Take(&before).Error; err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "device_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"account_id", "endpoint", "p256dh", "auth", "created_at", "last_sent_at"}),
		}).Create(&row).Error
	})
	if err != nil {
		return err
	}
	s.changed(accountID)
	if before.AccountID != "" && before.AccountID != accountID {
		s.changed(before.AccountID)
	}
	return nil
}

// Unsubscribe removes the device's subscription if it is the account's;
// it reports whether there was one.
func (s *Service) Unsubscribe(ctx context.Context, accountID, deviceID string) (bool, error) {
	res := s.db.WithContext(ctx).Where("device_id = ? AND account_id = ?", deviceID, accountID).Delete(&subscriptionRow{})
	if res.RowsAffected == 1 {
		s.changed(accountID)
	}
	return res.RowsAffected == 1, res.Error
}

// Subscribed reports whether the device has a subscription of the account.
func (s *Service) Subscribed(ctx context.Context, accountID, deviceID string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&subscriptionRow{}).Where("device_id = ? AND account_id = ?", deviceID, accountID).Count(&n).Error
	return n == 1, err
}

// SignedOut forgets the subscription of the device the account signed out
// of: the next member on that browser must not get the last one's calls.
func (s *Service) SignedOut(ctx context.Context, accountID, deviceID string) error {
	_, err := s.Unsubscribe(ctx, accountID, deviceID)
	return err
}

// subscriptionsOf returns the account's subscriptions.
func (s *Service) subscriptionsOf(ctx context.Context, accountID string) ([]subscriptionRow, error) {
	var rows []subscriptionRow
	err := s.db.WithContext(ctx).Where("account_id = ?", accountID).Order("device_id").Find(&rows).Error
	return rows, err
}

// forget removes a subscription the push service says is gone, unless the
// device has subscribed again meanwhile (another endpoint).
func (s *Service) forget(ctx context.Context, row subscriptionRow) error {
	res := s.db.WithContext(ctx).Where("device_id = ? AND endpoint = ?", row.DeviceID, row.Endpoint).Delete(&subscriptionRow{})
	if res.RowsAffected == 1 {
		s.changed(row.AccountID)
	}
	return res.Error
}

// sent records a delivery the push service took.
func (s *Service) sent(ctx context.Context, row subscriptionRow) {
	err := s.db.WithContext(ctx).Model(&subscriptionRow{}).Where("device_id = ? AND endpoint = ?", row.DeviceID, row.Endpoint).
		Update("last_sent_at", s.now().UTC()).Error
	if err != nil {
		log.Warn("record push delivery", "device", row.DeviceID, "err", err)
	}
}
