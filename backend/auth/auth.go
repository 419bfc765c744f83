// Package auth signs people in with passkeys only (WebAuthn, via
// go-webauthn) and keeps their sessions. It owns accounts, passkeys,
// sessions, WebAuthn ceremonies in flight, one-time enrollment links and
// operators' recovery links (with their audit), and
// gives handlers the signed-in account and role guards.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/nats-io/nats.go"
	"gorm.io/gorm"
)

// Role is what an account may do.
type Role string

// The roles, from least to most powerful. Staff roles belong to one store.
const (
	RoleMember     Role = "member"
	RoleAgent      Role = "agent"
	RoleSupervisor Role = "supervisor"
	RoleAdmin      Role = "admin"
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	return r == RoleMember || r == RoleAgent || r == RoleSupervisor || r == RoleAdmin
}

// IsStaff reports whether r belongs to a store (agent or supervisor).
func (r Role) IsStaff() bool { return r == RoleAgent || r == RoleSupervisor }

// Config configures the relying party and the lifetimes.
type Config struct {
	// PublicURL is the origin browsers use; its host is the RP ID.
	PublicURL string
	// SessionTTL is how long a session lasts without signing in again.
	SessionTTL time.Duration
	// CeremonyTTL is how long a begun WebAuthn ceremony may be finished.
	CeremonyTTL time.Duration
	// EnrollmentTTL is how long an enrollment link stays valid.
	EnrollmentTTL time.Duration
	// RecoveryTTL is how long a recovery link stays valid (one hour).
	RecoveryTTL time.Duration
	// FreshFor is how recently a session must have verified its user with
	// a passkey to add another passkey (five minutes).
	FreshFor time.Duration
	// Now returns the current time; tests replace it to expire ceremonies.
	Now func() time.Time
	// Hooks let other slices take part in sign-up, sign-in and sign-out
	// (the directory's numbers and presence); the zero value has none.
	Hooks Hooks
	// Stores names the store of a staff account in its view; nil leaves
	// the store out.
	Stores StoreNames
	// Bus, when set, lets a serving node cache sessions: every change to
	// an account's sessions is announced on it (SessionsChangedSubject)
	// and every node drops its copies. Nil (the command line) caches
	// nothing.
	Bus *nats.Conn
	// SessionCacheTTL is the longest a node trusts a cached session
	// without reading it again (five seconds): the bound for changes made
	// where no bus reaches the nodes (the command line's revoke with an
	// embedded NATS).
	SessionCacheTTL time.Duration
	// Region is the home region of the accounts made here (empty:
	// "local", the one region of a deployment without regions).
	Region string
}

// sessionCacheSize is the most sessions a node caches.
const sessionCacheSize = 200_000

// StoreNames is what auth needs from the mall, which owns the stores
// (*mall.Catalog implements it).
type StoreNames interface {
	StoreName(ctx context.Context, storeID int64) (slug, name string, err error)
}

// Service does the sign-up, sign-in and session work over the database.
type Service struct {
	db    *gorm.DB
	wa    *webauthn.WebAuthn
	cfg   Config
	hooks Hooks
	cache *sessionCache // nil without a bus
}

// New returns a Service for the relying party at cfg.PublicURL.
func New(db *gorm.DB, cfg Config) (*Service, error) {
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("auth: public URL %q has no host", cfg.PublicURL)
	}
	if cfg.Region == "" {
		cfg.Region = "local"
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 30 * 24 * time.Hour
	}
	if cfg.CeremonyTTL == 0 {
		cfg.CeremonyTTL = 5 * time.Minute
	}
	if cfg.EnrollmentTTL == 0 {
		cfg.EnrollmentTTL = 7 * 24 * time.Hour
	}
	if cfg.RecoveryTTL == 0 {
		cfg.RecoveryTTL = time.Hour
	}
	if cfg.FreshFor == 0 {
		cfg.FreshFor = 5 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:          u.Hostname(),
		RPDisplayName: "livemall",
		RPOrigins:     []string{u.Scheme + "://" + u.Host},
	})
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	s := &Service{db: db, wa: wa, cfg: cfg, hooks: cfg.Hooks}
	if cfg.Bus != nil {
		if err := s.CacheSessionsOver(cfg.Bus); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// CacheSessionsOver lets this node cache sessions, announcing every change
// to an account's sessions on bus (SessionsChangedSubject) and dropping
// what it cached when any node announces one. Call it before the node
// serves requests.
func (s *Service) CacheSessionsOver(bus *nats.Conn) error {
	if s.cfg.SessionCacheTTL == 0 {
		s.cfg.SessionCacheTTL = 5 * time.Second
	}
	s.cfg.Bus = bus
	s.cache = newSessionCache(s.cfg.SessionCacheTTL, sessionCacheSize)
	if err := s.listenForSessionChanges(); err != nil {
		s.cache = nil
		return fmt.Errorf("auth: listen for session changes: %w", err)
	}
	return nil
}

// now returns the service's current time in UTC.
func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// secureCookies reports whether cookies get the Secure attribute.
func (s *Service) secureCookies() bool {
	u, _ := url.Parse(s.cfg.PublicURL)
	return u != nil && u.Scheme == "https"
}

// randomToken returns n random bytes as unpadded base64url.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// newID returns a random identifier with a prefix naming its kind.
func newID(prefix string) string {
	b := make([]byte, 12)
	rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

// hashToken returns the hex SHA-256 of a secret token: tokens are stored
// hashed so that a database leak does not leak sessions or links.
func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}
