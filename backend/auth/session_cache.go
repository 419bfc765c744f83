package auth

import (
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// SessionsChangedSubject is the NATS subject on which a node tells every
// node (itself included) that an account's sessions or account row
// changed: a sign-out, a revocation, a rename, a device bound to a
// session. Each node drops what it cached of the account.
const SessionsChangedSubject = "lm.auth.sessions.changed"

// flushTimeout bounds the wait for NATS to take a sessions-changed message.
const flushTimeout = 2 * time.Second

// sessionsChanged is the message on SessionsChangedSubject.
type sessionsChanged struct {
	// AccountID is the account whose cached sessions every node drops.
	AccountID string `json:"accountId"`
	// SessionHash, when set, is one session to drop whatever its account.
	SessionHash string `json:"sessionHash,omitempty"`
}

// AccountOfSessionsChanged returns the account a message on
// SessionsChangedSubject names, if it names one (a message may name only a
// session).
func AccountOfSessionsChanged(data []byte) (string, bool) {
	var m sessionsChanged
	if json.Unmarshal(data, &m) != nil || m.AccountID == "" {
		return "", false
	}
	return m.AccountID, true
}

// cachedSession is what sessionOf read for one session, kept until until.
type cachedSession struct {
	account Account
	device  string
	until   time.Time
}

// sessionCache keeps sessions looked up recently, by the hash of their
// token, so that a request does not read the database to learn who sent
// it. An entry lives at most ttl (and never past its session's expiry);
// every change to an account's sessions or account row is announced on
// SessionsChangedSubject and drops the account's entries on every node.
//
// A lookup that started before a change and ends after it must not put
// back what the change dropped: put stores only when no change arrived
// since the lookup began (the epoch it read before the query).
type sessionCache struct {
	ttl time.Duration
	max int

	mu        sync.Mutex
	epoch     uint64
	entries   map[string]*cachedSession      // by session hash
	byAccount map[string]map[string]struct{} // session hashes by account
}

// newSessionCache returns an empty cache keeping entries for ttl, at most
// max of them (beyond that it starts afresh).
func newSessionCache(ttl time.Duration, max int) *sessionCache {
	return &sessionCache{ttl: ttl, max: max, entries: map[string]*cachedSession{}, byAccount: map[string]map[string]struct{}{}}
}

// begin returns the epoch a lookup must hand to put.
func (c *sessionCache) begin() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch
}

// get returns a copy of the account and the device of the session with
// hash hash when cached and fresh at now.
func (c *sessionCache) get(hash string, now time.Time) (*Account, string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[hash]
	if !ok {
		return nil, "", false
	}
	if !now.Before(e.until) {
		c.dropLocked(hash, e.account.ID)
		return nil, "", false
	}
	a := e.account
	return &a, e.device, true
}

// put caches the session with hash hash, read at now and expiring at
// expires, unless a change arrived since epoch.
func (c *sessionCache) put(epoch uint64, hash string, a *Account, device string, now, expires time.Time) {
	until := now.Add(c.ttl)
	if expires.Before(until) {
		until = expires
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != epoch {
		return
	}
	if len(c.entries) >= c.max {
		clear(c.entries)
		clear(c.byAccount)
	}
	c.entries[hash] = &cachedSession{account: *a, device: device, until: until}
	hashes := c.byAccount[a.ID]
	if hashes == nil {
		hashes = map[string]struct{}{}
		c.byAccount[a.ID] = hashes
	}
	hashes[hash] = struct{}{}
}

// forget drops the account's sessions and the one session named in m.
func (c *sessionCache) forget(m sessionsChanged) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	for hash := range c.byAccount[m.AccountID] {
		delete(c.entries, hash)
	}
	delete(c.byAccount, m.AccountID)
	if e, ok := c.entries[m.SessionHash]; ok {
		c.dropLocked(m.SessionHash, e.account.ID)
	}
}

// dropLocked removes one entry; c.mu is held.
func (c *sessionCache) dropLocked(hash, accountID string) {
	delete(c.entries, hash)
	if hashes := c.byAccount[accountID]; hashes != nil {
		delete(hashes, hash)
		if len(hashes) == 0 {
			delete(c.byAccount, accountID)
		}
	}
}

// size returns how many sessions are cached.
func (c *sessionCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// listenForSessionChanges subscribes the cache to SessionsChangedSubject.
func (s *Service) listenForSessionChanges() error {
	_, err := s.cfg.Bus.Subscribe(SessionsChangedSubject, func(msg *nats.Msg) {
		var m sessionsChanged
		if err := json.Unmarshal(msg.Data, &m); err != nil || (m.AccountID == "" && m.SessionHash == "") {
			slog.Warn("auth: bad sessions-changed message", "data", string(msg.Data))
			return
		}
		s.cache.forget(m)
	})
	return err
}

// announceSessionsChanged tells every node, this one included, that the
// account's sessions (or its row) changed, after the change committed.
// This node drops its entries at once, as the message handler does, so
// its own next request never sees them; the publish is flushed, so the
// other nodes' NATS connections have it before the request that made the
// change is answered. Without a bus (the command line) it does nothing:
// serving nodes then drop their entries within the cache's TTL.
func (s *Service) announceSessionsChanged(accountID, sessionHash string) {
	if s.cache == nil || (accountID == "" && sessionHash == "") {
		return
	}
	m := sessionsChanged{AccountID: accountID, SessionHash: sessionHash}
	s.cache.forget(m)
	data, _ := json.Marshal(m)
	if err := s.cfg.Bus.Publish(SessionsChangedSubject, data); err != nil {
		slog.Error("auth: announce sessions changed", "account", accountID, "err", err)
		return
	}
	if err := s.cfg.Bus.FlushTimeout(flushTimeout); err != nil {
		slog.Error("auth: flush sessions changed", "account", accountID, "err", err)
	}
}
