package directory

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/livemall/livemall/backend/auth"
)

// The look-up route (GET /numbers/{n}, ResolveAnywhere) answers from a
// number's route kept per node: the party, the member's name and ring
// mode, and the devices the account is signed in on. Whether each device
// is online, busy or reachable by push is still worked out on every look-up
// (presence in memory, the push reach cache). Dials, invitations and
// transfers never use it: what rings is always read from the database.
//
// Every change to what a route holds is announced after it committed and
// drops the account's routes on every node: a sign-in or sign-out on a
// device and a new ring mode on routesChangedSubject (this node drops them
// before it answers the request that made the change), a rename or a
// revocation on auth's SessionsChangedSubject. The TTL bounds what nobody
// announces (a device's label, rows removed by the database's cascade).

// defaultRouteCacheTTL is how long a node keeps a route it read when
// Config.RouteCacheTTL is 0.
const defaultRouteCacheTTL = 5 * time.Second

// routeCacheMax bounds the routes kept; beyond it the cache starts afresh.
const routeCacheMax = 100_000

// routesChangedSubject carries the accounts (a JSON array of ids) whose
// routes changed: every node drops what it kept of them.
const routesChangedSubject = "lm.directory.routes.changed"

// routeEntry is one number's route, kept until until.
type routeEntry struct {
	route *numberRoute
	until time.Time
}

// routeCache keeps numbers' routes read recently. A look-up that began
// before a change and ends after it does not store what it read (the epoch
// it read before the query, as the session cache).
type routeCache struct {
	ttl time.Duration

	mu        sync.Mutex
	epoch     uint64
	entries   map[Number]routeEntry
	byAccount map[string]map[Number]struct{} // numbers cached per account
}

// newRouteCache returns an empty cache keeping routes for ttl.
func newRouteCache(ttl time.Duration) *routeCache {
	return &routeCache{ttl: ttl, entries: map[Number]routeEntry{}, byAccount: map[string]map[Number]struct{}{}}
}

// begin returns the epoch a look-up hands to put.
func (c *routeCache) begin() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch
}

// get returns the number's route when cached and fresh at now. The route
// is shared: callers only read it.
func (c *routeCache) get(num Number, now time.Time) (*numberRoute, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[num]
	if !ok {
		return nil, false
	}
	if !now.Before(e.until) {
		delete(c.entries, num)
		return nil, false
	}
	return e.route, true
}

// put keeps the number's route read at now, unless a change arrived since
// epoch.
func (c *routeCache) put(epoch uint64, num Number, r *numberRoute, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != epoch {
		return
	}
	if len(c.entries) >= routeCacheMax || len(c.byAccount) >= routeCacheMax {
		clear(c.entries)
		clear(c.byAccount)
	}
	if r.AccountID != nil {
		nums := c.byAccount[*r.AccountID]
		if nums == nil {
			nums = map[Number]struct{}{}
			c.byAccount[*r.AccountID] = nums
		}
		nums[num] = struct{}{}
	}
	c.entries[num] = routeEntry{route: r, until: now.Add(c.ttl)}
}

// forget drops the accounts' routes; look-ups under way do not store.
func (c *routeCache) forget(accountIDs ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	for _, id := range accountIDs {
		for num := range c.byAccount[id] {
			delete(c.entries, num)
		}
		delete(c.byAccount, id)
	}
}

// cachedRoute returns the number's route from this node's cache, reading
// and keeping it when it is not there. A number nobody holds is not kept:
// it is NotFound until someone takes it, and then found at once.
func (s *Service) cachedRoute(ctx context.Context, num Number) (*numberRoute, error) {
	now := time.Now()
	if r, ok := s.routes.get(num, now); ok {
		return r, nil
	}
	epoch := s.routes.begin()
	r, err := s.route(ctx, num)
	if err != nil {
		return nil, err
	}
	s.routes.put(epoch, num, r, now)
	return r, nil
}

// routesChanged drops the accounts' routes on this node at once and tells
// every other node, after the change committed.
func (s *Service) routesChanged(accountIDs ...string) {
	s.forgetRoutes(accountIDs...)
	if s.sig.Bus == nil {
		return
	}
	raw, _ := json.Marshal(accountIDs)
	if err := s.sig.Bus.Publish(routesChangedSubject, raw); err != nil {
		slog.Warn("tell the nodes an account's routes changed", "accounts", accountIDs, "err", err)
	}
}

// forgetRoutes drops what this node keeps of the accounts' routes: their
// numbers' routes, and every store's agents (staff_cache.go).
func (s *Service) forgetRoutes(accountIDs ...string) {
	s.routes.forget(accountIDs...)
	s.staff.forget()
}

// subscribeRouteChanges makes this node drop the routes of accounts whose
// routes (routesChangedSubject) or account rows (auth's
// SessionsChangedSubject: a rename, a revocation) changed on any node.
func (s *Service) subscribeRouteChanges() ([]*nats.Subscription, error) {
	routes, err := s.sig.Bus.Subscribe(routesChangedSubject, func(m *nats.Msg) {
		var ids []string
		if json.Unmarshal(m.Data, &ids) == nil {
			s.forgetRoutes(ids...)
		}
	})
	if err != nil {
		return nil, err
	}
	accounts, err := s.sig.Bus.Subscribe(auth.SessionsChangedSubject, func(m *nats.Msg) {
		if id, ok := auth.AccountOfSessionsChanged(m.Data); ok {
			s.forgetRoutes(id)
		}
	})
	if err != nil {
		routes.Unsubscribe()
		return nil, err
	}
	return []*nats.Subscription{routes, accounts}, nil
}
