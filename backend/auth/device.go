package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/livemall/livemall/backend/apperr"
)

// DeviceCookie is the HttpOnly cookie that makes a browser a device: it
// carries a secret token, of which only the hash is stored. The device's id
// is another value, so an id seen somewhere (a hello, a member's device
// list) is not enough to become that device.
const DeviceCookie = "lm_device"

// deviceCookieTTL is how long a browser keeps its device; browsers cap
// cookies at 400 days.
const deviceCookieTTL = 400 * 24 * time.Hour

// Device kinds, from the User-Agent of the browser the device was issued to.
const (
	DevicePhone    = "phone"
	DeviceTablet   = "tablet"
	DeviceComputer = "computer"
)

// deviceRecord is a device the server issued.
type deviceRecord struct {
	ID        string    `gorm:"column:id;primaryKey"`
	TokenHash string    `gorm:"column:token_hash"`
	Kind      string    `gorm:"column:kind"`
	Label     string    `gorm:"column:label"`
	CreatedAt time.Time `gorm:"column:created_at"`
}

// TableName tells GORM where devices live.
func (deviceRecord) TableName() string { return "devices" }

// sessionDevice binds a session to the device it was started on.
type sessionDevice struct {
	SessionHash string `gorm:"column:session_hash;primaryKey"`
	DeviceID    string `gorm:"column:device_id"`
}

// TableName tells GORM where session bindings live.
func (sessionDevice) TableName() string { return "device_sessions" }

// guestDevice binds a mall guest (the hash of the guest cookie) to a device.
type guestDevice struct {
	GuestHash string    `gorm:"column:guest_hash;primaryKey"`
	DeviceID  string    `gorm:"column:device_id"`
	CreatedAt time.Time `gorm:"column:created_at"`
}

// TableName tells GORM where guest bindings live.
func (guestDevice) TableName() string { return "device_guests" }

// Device is the browser a request comes from: the device its lm_device
// cookie names, or a new one, stored when a session or guest is first bound
// to it.
type Device struct {
	// ID is the device's id: 128 random bits in hex.
	ID string
	// Kind is phone, tablet or computer; Label names the browser ("Firefox
	// on Linux").
	Kind, Label string

	token string
	fresh bool
	at    time.Time
}

// newDeviceID returns 128 random bits in hex.
func newDeviceID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// browserDevice returns the device of the request's lm_device cookie, or a
// new device (not stored yet) when the cookie is missing or names none.
func (s *Service) browserDevice(c *fiber.Ctx) (Device, error) {
	if token := c.Cookies(DeviceCookie); token != "" {
		var d deviceRecord
		err := s.db.WithContext(c.UserContext()).Where("token_hash = ?", hashToken(token)).Take(&d).Error
		if err == nil {
			return Device{ID: d.ID, Kind: d.Kind, Label: d.Label, token: token, at: d.CreatedAt}, nil
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return Device{}, fmt.Errorf("load device: %w", err)
		}
	}
	kind, label := DescribeUserAgent(c.Get(fiber.HeaderUserAgent))
	return Device{ID: newDeviceID(), Kind: kind, Label: label, token: randomToken(32), fresh: true, at: s.now()}, nil
}

// store inserts the device in tx when it is new.
func (d Device) store(tx *gorm.DB) error {
	if !d.fresh {
		return nil
	}
	rec := deviceRecord{ID: d.ID, TokenHash: hashToken(d.token), Kind: d.Kind, Label: d.Label, CreatedAt: d.at}
	if err := tx.Create(&rec).Error; err != nil {
		return fmt.Errorf("issue device: %w", err)
	}
	return nil
}

// bindSession stores the device if it is new and binds the session whose
// cookie value is token to it, in tx.
func (d Device) bindSession(tx *gorm.DB, token string) error {
	if d.ID == "" {
		return nil // no device known: DeviceOf binds one at the first socket
	}
	if err := d.store(tx); err != nil {
		return err
	}
	if err := tx.Create(&sessionDevice{SessionHash: hashToken(token), DeviceID: d.ID}).Error; err != nil {
		return fmt.Errorf("bind session to device: %w", err)
	}
	return nil
}

// setDeviceCookie hands the device's token to the browser (again, which
// pushes its expiry out).
func (s *Service) setDeviceCookie(c *fiber.Ctx, d Device) {
	if d.token == "" {
		return
	}
	c.Cookie(&fiber.Cookie{
		Name:     DeviceCookie,
		Value:    d.token,
		Path:     "/",
		Expires:  s.now().Add(deviceCookieTTL),
		HTTPOnly: true,
		Secure:   s.secureCookies() || c.Protocol() == "https",
		SameSite: fiber.CookieSameSiteLaxMode,
	})
}

// localsDevice is the fiber.Ctx key under which the session's device sits.
const localsDevice = "auth.device"

// CurrentDevice returns the id of the device the request's session is
// bound to, or "" when there is no session or it has no device yet.
func CurrentDevice(c *fiber.Ctx) string {
	d, _ := c.Locals(localsDevice).(string)
	return d
}

// DeviceOf returns the device the signaling socket of this request may
// attach to: the one bound to its session or, when nobody is signed in, to
// the guest whose cookie hash is guest. A session or guest that has none
// yet (signed in before devices were issued; a guest's first call) is
// bound now, to the browser's device or to a new one. It returns "" for a
// request with neither a session nor a guest.
func (s *Service) DeviceOf(c *fiber.Ctx, guest string) (string, error) {
	if CurrentAccount(c) != nil {
		if d := CurrentDevice(c); d != "" {
			return d, nil
		}
		token := c.Cookies(SessionCookie)
		bound, err := s.bindOnce(c, func(tx *gorm.DB, d Device) (string, error) {
			err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&sessionDevice{SessionHash: hashToken(token), DeviceID: d.ID}).Error
			if err != nil {
				return "", err
			}
			var b sessionDevice
			return b.DeviceID, tx.Where("session_hash = ?", hashToken(token)).Take(&b).Error
		})
		if err == nil {
			// Cached copies of the session say it has no device yet.
			s.announceSessionsChanged("", hashToken(token))
		}
		return bound, err
	}
	if guest == "" {
		return "", nil
	}
	var b guestDevice
	err := s.db.WithContext(c.UserContext()).Where("guest_hash = ?", guest).Take(&b).Error
	if err == nil {
		return b.DeviceID, nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return "", fmt.Errorf("load guest device: %w", err)
	}
	return s.bindOnce(c, func(tx *gorm.DB, d Device) (string, error) {
		err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&guestDevice{GuestHash: guest, DeviceID: d.ID, CreatedAt: s.now()}).Error
		if err != nil {
			return "", err
		}
		var b guestDevice
		return b.DeviceID, tx.Where("guest_hash = ?", guest).Take(&b).Error
	})
}

// bindOnce binds a session or guest to the browser's device in one
// transaction: bind inserts the binding unless one exists and returns the
// device bound, which is another when a concurrent request bound first.
func (s *Service) bindOnce(c *fiber.Ctx, bind func(tx *gorm.DB, d Device) (string, error)) (string, error) {
	d, err := s.browserDevice(c)
	if err != nil {
		return "", err
	}
	var bound string
	err = s.db.WithContext(c.UserContext()).Transaction(func(tx *gorm.DB) error {
		if err := d.store(tx); err != nil {
			return err
		}
		bound, err = bind(tx, d)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("bind device: %w", err)
	}
	if bound == d.ID {
		s.setDeviceCookie(c, d)
	}
	return bound, nil
}

// DeviceLabels returns the kind and label of each of the devices, by id;
// unknown ids are left out.
func (s *Service) DeviceLabels(ctx context.Context, ids []string) (map[string]DeviceLabel, error) {
	out := make(map[string]DeviceLabel, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var recs []deviceRecord
	if err := s.db.WithContext(ctx).Select("id, kind, label").Where("id IN ?", ids).Find(&recs).Error; err != nil {
		return nil, fmt.Errorf("load devices: %w", err)
	}
	for _, r := range recs {
		out[r.ID] = DeviceLabel{Kind: r.Kind, Label: r.Label}
	}
	return out, nil
}

// DeviceLabel is how a device is shown to people: its kind (phone, tablet
// or computer) and its browser ("Chrome on Android").
type DeviceLabel struct {
	Kind  string `json:"kind"`
	Label string `json:"label"`
}

var deviceIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{8,64}$`)

// ParseDeviceID checks a device id sent by a browser (the signaling
// socket's optional ?device=); empty is allowed and means "the device of my
// session".
func ParseDeviceID(s string) (string, error) {
	if s == "" || deviceIDPattern.MatchString(s) {
		return s, nil
	}
	return "", apperr.New(apperr.Invalid, "device id must be 8 to 64 letters, digits, dashes or underscores")
}

// maxUserAgent is how much of a User-Agent header is looked at.
const maxUserAgent = 512

// DescribeUserAgent names the browser of a User-Agent header for people:
// its kind (phone, tablet or computer) and a label such as "Firefox on
// Linux". Any input gives an answer; labels come from a fixed vocabulary,
// never from the header itself.
func DescribeUserAgent(ua string) (kind, label string) {
	if len(ua) > maxUserAgent {
		ua = ua[:maxUserAgent]
	}
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(ua, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("iPad", "Tablet") || (has("Android") && !has("Mobile")):
		kind = DeviceTablet
	case has("iPhone", "iPod", "Mobile", "Android"):
		kind = DevicePhone
	default:
		kind = DeviceComputer
	}
	browser := firstNamed(ua, uaBrowsers, "Web browser")
	os := firstNamed(ua, uaSystems, "")
	if os == "" {
		return kind, browser
	}
	return kind, browser + " on " + os
}

// uaName is the name of a browser or operating system whose user agent
// holds any of marks.
type uaName struct {
	name  string
	marks []string
}

// uaBrowsers and uaSystems are checked in order: the first match names the
// browser (Edge and Opera also say Chrome and Safari) and the system (an
// iPad also says Macintosh).
var (
	uaBrowsers = []uaName{
		{"Edge", []string{"Edg/", "EdgA/", "EdgiOS/"}},
		{"Opera", []string{"OPR/", "Opera"}},
		{"Samsung Internet", []string{"SamsungBrowser/"}},
		{"Firefox", []string{"Firefox/", "FxiOS/"}},
		{"Chrome", []string{"Chrome/", "CriOS/", "Chromium/"}},
		{"Safari", []string{"Safari/"}},
	}
	uaSystems = []uaName{
		{"Windows", []string{"Windows"}},
		{"iPadOS", []string{"iPad"}},
		{"iOS", []string{"iPhone", "iPod"}},
		{"Android", []string{"Android"}},
		{"ChromeOS", []string{"CrOS"}},
		{"macOS", []string{"Macintosh", "Mac OS X"}},
		{"Linux", []string{"Linux"}},
	}
)

// firstNamed returns the name of the first of names whose marks ua holds,
// or otherwise.
func firstNamed(ua string, names []uaName, otherwise string) string {
	for _, n := range names {
		for _, m := range n.marks {
			if strings.Contains(ua, m) {
				return n.name
			}
		}
	}
	return otherwise
}
