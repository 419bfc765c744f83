// Package push reaches a member's devices while their app is closed: Web
// Push (RFC 8030) with messages encrypted for each subscription (RFC 8291,
// aes128gcm) and signed by the node's VAPID key (RFC 8292). It offers the
// VAPID public key, a device's subscription (PUT and DELETE, for the
// signed-in member on their own device), and Send, which pushes a message
// to every subscribed device of an account and forgets the subscriptions
// the push service says are gone.
//
// It needs the database (vapid_keys, push_subscriptions) and the device
// the session is bound to (auth.CurrentDevice).
package push

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"time"

	"gorm.io/gorm"
)

// Config tunes push.
type Config struct {
	// Subject is the VAPID contact: a mailto: or https: URL the push
	// services may write to about this server.
	Subject string
	// PublicKey and PrivateKey are a VAPID key pair (base64url P-256, as
	// from GenerateKeys). Both empty: the pair kept in the database is used,
	// made at the first start.
	PublicKey, PrivateKey string
	// AllowLocalEndpoints accepts http:// endpoints and loopback or private
	// addresses. Tests only: the server would otherwise post wherever a
	// client's subscription points (SSRF).
	AllowLocalEndpoints bool
	// Timeout bounds one delivery to a push service.
	Timeout time.Duration
}

// Service pushes messages to subscribed devices.
type Service struct {
	db     *gorm.DB
	cfg    Config
	keys   Keys
	client *http.Client
	now    func() time.Time

	reachChanged func(accountID string) // OnReachChanged
}

// New loads (or makes, once for every node) the VAPID keys and returns the
// service.
func New(ctx context.Context, db *gorm.DB, cfg Config) (*Service, error) {
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Subject == "" {
		cfg.Subject = "mailto:push@livemall.invalid"
	}
	keys, err := loadKeys(ctx, db, cfg.PublicKey, cfg.PrivateKey)
	if err != nil {
		return nil, err
	}
	s := &Service{db: db, cfg: cfg, keys: keys, now: time.Now}
	s.client = &http.Client{Timeout: cfg.Timeout, Transport: &http.Transport{
		DialContext:         s.dialer().DialContext,
		TLSHandshakeTimeout: cfg.Timeout,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
	}, CheckRedirect: func(*http.Request, []*http.Request) error {
		return errors.New("push services answer, they do not redirect")
	}}
	return s, nil
}

// PublicKey is the VAPID public key browsers subscribe with (base64url).
func (s *Service) PublicKey() string { return s.keys.Public }

// dialer refuses, unless AllowLocalEndpoints, every address that is not a
// public unicast one: a subscription's host may resolve anywhere.
func (s *Service) dialer() *net.Dialer {
	d := &net.Dialer{Timeout: s.cfg.Timeout}
	if s.cfg.AllowLocalEndpoints {
		return d
	}
	d.Control = func(network, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		ip := net.ParseIP(host)
		if ip == nil || !publicAddress(ip) {
			return fmt.Errorf("push endpoint address %s is not a public one", host)
		}
		return nil
	}
	return d
}

// publicAddress is true for a global unicast address that is not private.
func publicAddress(ip net.IP) bool {
	return ip.IsGlobalUnicast() && !ip.IsPrivate() && !ip.IsLoopback() && !ip.IsLinkLocalUnicast()
}

var log = slog.With("part", "push")
