package directory

import (
	"context"
	"sync"
	"time"
)

// pushReachTTL is how long a node keeps an account's push reach it read.
// Every change push makes is announced (PushChanged, touchSubject) and
// drops the account's entry on every node at once; the TTL bounds what a
// change push does not see (a subscription removed with its account by the
// database's cascade).
const pushReachTTL = 5 * time.Second

// pushReachMax bounds the entries kept; beyond it the cache starts afresh.
const pushReachMax = 100_000

// reachEntry is one account's push reach, kept until until.
type reachEntry struct {
	reach bool
	until time.Time
}

// pushReachCache keeps whether an account takes pushes, so that resolving
// an offline member's number does not ask push's table every time. A
// look-up that began before a change and ends after it does not store what
// it read (the epoch it read before the question, as the session cache).
type pushReachCache struct {
	ttl time.Duration

	mu      sync.Mutex
	epoch   uint64
	entries map[string]reachEntry
}

// newPushReachCache returns an empty cache keeping entries for ttl.
func newPushReachCache(ttl time.Duration) *pushReachCache {
	return &pushReachCache{ttl: ttl, entries: map[string]reachEntry{}}
}

// begin returns the epoch a look-up hands to put.
func (c *pushReachCache) begin() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch
}

// get returns the account's reach when cached and fresh at now.
func (c *pushReachCache) get(accountID string, now time.Time) (reach, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[accountID]
	if !ok {
		return false, false
	}
	if !now.Before(e.until) {
		delete(c.entries, accountID)
		return false, false
	}
	return e.reach, true
}

// put stores the account's reach read at now, unless a change arrived
// since epoch.
func (c *pushReachCache) put(epoch uint64, accountID string, reach bool, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != epoch {
		return
	}
	if len(c.entries) >= pushReachMax {
		clear(c.entries)
	}
	c.entries[accountID] = reachEntry{reach: reach, until: now.Add(c.ttl)}
}

// forget drops the accounts' entries; look-ups under way do not store.
func (c *pushReachCache) forget(accountIDs ...string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	for _, id := range accountIDs {
		delete(c.entries, id)
	}
}

// pushReachable reports whether the account has a device that takes
// pushes, from the cache when it can.
func (s *Service) pushReachable(ctx context.Context, accountID string) (bool, error) {
	if s.reach == nil {
		got, err := s.pushes.ReachableAmong(ctx, []string{accountID})
		return got[accountID], err
	}
	now := time.Now()
	if reach, ok := s.reach.get(accountID, now); ok {
		return reach, nil
	}
	epoch := s.reach.begin()
	got, err := s.pushes.ReachableAmong(ctx, []string{accountID})
	if err != nil {
		return false, err
	}
	s.reach.put(epoch, accountID, got[accountID], now)
	return got[accountID], nil
}
