package directory

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/bus"
	"github.com/livemall/livemall/backend/limits"
	"github.com/livemall/livemall/media"
)

// Config tunes the dynamic directory.
type Config struct {
	// Node names this node in presence records.
	Node string
	// PresenceTTL is how long a device stays online without a heartbeat.
	PresenceTTL time.Duration
	// Heartbeat is how often devices are told to heartbeat.
	Heartbeat time.Duration
	// Limits counts the number availability look-ups of each client
	// address (limits.Rules.NumberLookups); nil limits nothing.
	Limits *limits.Counter
	// RouteCacheTTL is how long a node keeps a number's route for the
	// look-up route (route_cache.go) and a store's agents for routing
	// (staff_cache.go); 0 means 5 s.
	RouteCacheTTL time.Duration
	// EntrySweep is how often a node of a plan with several regions
	// publishes its region's changed directory entries (region_directory.go);
	// 0 means every 2 s.
	EntrySweep time.Duration
}

// Service is the directory of one node: numbers, presence and the merged
// directory, with the signaling messages that keep presence alive.
type Service struct {
	db       *gorm.DB
	Numbers  *Numbers
	stores   Stores
	accounts Accounts
	presence *Presence
	pushes   Pushes // who takes pushes (Calls.ReachByPush); nil: nobody
	sig      *media.Signaling
	cfg      Config

	touched *pendingAccounts // accounts another node asked this one to work out again (touchSubject)
	reach   *pushReachCache  // who takes pushes, read recently (push_reach_cache.go)
	routes  *routeCache      // numbers' routes, read recently (route_cache.go)
	staff   *staffCache      // stores' agents and their devices (staff_cache.go)

	routeMu   sync.Mutex
	routeStmt atomic.Pointer[sql.Stmt] // route's prepared query (resolve.go), made at the first resolve

	watchMu  sync.Mutex
	watchers map[string]*media.Conn // by conn id
	last     map[string]State       // last state sent per account
	stop     chan struct{}
	stopped  chan struct{}
	kept     chan struct{} // closed when keepPresence ends
	// subs are this node's subscriptions: touches, device accounts
	// re-read on every node (device_accounts.go), other regions' claims on
	// this region's numbers (number_claims.go) and route changes
	// (route_cache.go).
	subs []*nats.Subscription
	// regions shares directory entries with other regions (nil with one).
	regions *regionDirectory
	// shared shares members' states with other regions (nil with one).
	shared *regionPresence
}

// touchSubject carries accounts whose state changed for another reason
// than presence (a call started or ended), so every node re-reads them.
const touchSubject = "lm.presence.touch"

// touch tells every node that these accounts' states may have changed.
func (s *Service) touch(accountIDs ...string) {
	if s.sig.Bus == nil {
		return
	}
	raw, _ := json.Marshal(accountIDs)
	s.sig.Bus.Publish(touchSubject, raw)
}

// Stores is what the directory needs from the mall, which owns the
// stores: their names for a sales number's party, and whether a store
// sells the product a shopper calls about (*mall.Catalog implements it).
type Stores interface {
	StoreName(ctx context.Context, storeID int64) (slug, name string, err error)
	SellsProduct(ctx context.Context, storeID, productID int64) (bool, error)
}

// Accounts is what the directory needs from auth, which owns the accounts:
// their names and roles, and a store's agents (*auth.Accounts implements it).
type Accounts interface {
	Refs(ctx context.Context, ids []string) (map[string]auth.AccountRef, error)
	StaffOf(ctx context.Context, storeID int64, roles ...auth.Role) ([]string, error)
}

// NewService opens presence on b and plugs the directory's message types
// into sig; sales numbers name their stores through stores, people are
// named through accounts. After a NATS fault it re-creates presence and
// announces this node's devices again (see recoverPresence). Close stops
// it.
func NewService(ctx context.Context, db *gorm.DB, numbers *Numbers, stores Stores, accounts Accounts, b *bus.Bus, sig *media.Signaling, cfg Config) (*Service, error) {
	if cfg.PresenceTTL == 0 {
		cfg.PresenceTTL = 60 * time.Second
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = 20 * time.Second
	}
	if cfg.Heartbeat >= cfg.PresenceTTL {
		return nil, fmt.Errorf("heartbeat interval %v must be shorter than the presence TTL %v", cfg.Heartbeat, cfg.PresenceTTL)
	}
	p, err := openPresenceBucket(ctx, b, cfg.PresenceTTL, presenceConfigOf(numbers.plan))
	if err != nil {
		return nil, err
	}
	s := &Service{db: db, Numbers: numbers, stores: stores, accounts: accounts, presence: p, sig: sig, cfg: cfg,
		watchers: map[string]*media.Conn{}, last: map[string]State{}, stop: make(chan struct{}), stopped: make(chan struct{}), kept: make(chan struct{}), touched: newPendingAccounts(),
		reach: newPushReachCache(pushReachTTL), routes: newRouteCache(cmp.Or(cfg.RouteCacheTTL, defaultRouteCacheTTL)), staff: newStaffCache(cmp.Or(cfg.RouteCacheTTL, defaultRouteCacheTTL))}
	// This node's lease first, then the records its earlier life left
	// (none of its connections is open yet).
	if err := p.Lease(ctx, cfg.Node); err != nil {
		p.Close()
		return nil, err
	}
	if err := p.PurgeNode(ctx, cfg.Node); err != nil {
		p.Close()
		return nil, err
	}
	if sig.Bus != nil {
		if err := s.subscribe(numbers); err != nil {
			s.unsubscribe()
			p.Close()
			return nil, err
		}
	}
	if s.regions, err = openRegionDirectory(ctx, db, b, numbers.plan, cfg.EntrySweep); err != nil {
		s.unsubscribe()
		p.Close()
		return nil, err
	}
	if s.shared, err = openRegionPresence(ctx, db, b, numbers.plan, 0, s.touched.add); err != nil {
		s.unsubscribe()
		if s.regions != nil {
			s.regions.close()
		}
		p.Close()
		return nil, err
	}
	if s.shared != nil {
		s.shared.sweep = s.shareAll
		s.shared.start()
	}
	go s.pushChanges()
	go s.keepPresence()
	b.OnRecover("presence", s.recoverPresence)
	return s, nil
}

// subscribe opens this node's subscriptions on the bus, keeping each in
// s.subs as it opens.
func (s *Service) subscribe(numbers *Numbers) error {
	touches, err := s.sig.Bus.Subscribe(touchSubject, func(m *nats.Msg) {
		var ids []string
		if json.Unmarshal(m.Data, &ids) == nil {
			s.reach.forget(ids...)
			s.touched.add(ids)
		}
	})
	if err != nil {
		return err
	}
	s.subs = append(s.subs, touches)
	accounts, err := s.subscribeDeviceAccounts()
	if err != nil {
		return err
	}
	s.subs = append(s.subs, accounts)
	claims, err := numbers.answerClaims(s.sig.Bus)
	if err != nil {
		return err
	}
	s.subs = append(s.subs, claims)
	routes, err := s.subscribeRouteChanges()
	if err != nil {
		return err
	}
	s.subs = append(s.subs, routes...)
	return nil
}

// unsubscribe closes the subscriptions subscribe opened.
func (s *Service) unsubscribe() {
	for _, sub := range s.subs {
		sub.Unsubscribe()
	}
	s.subs = nil
}

// recoverPresence runs when JetStream answers again after a fault (a
// restart, a lost store, a new leader): it re-creates the bucket and the
// watch, announces every device connected to this node again, and
// withdraws this node's records whose connections closed meanwhile (their
// withdrawal could not reach NATS).
func (s *Service) recoverPresence(ctx context.Context) error {
	if err := s.presence.Reopen(ctx); err != nil {
		return err
	}
	s.renewLease()
	// A device that cannot be announced now is announced by its next
	// heartbeat: it does not hold the recovery back.
	failed := 0
	now := time.Now()
	for _, c := range s.liveConns() {
		if silentFor(c, now) > s.cfg.PresenceTTL {
			continue
		}
		if err := s.announce(ctx, c); err != nil {
			if failed++; failed == 1 {
				slog.Warn("announce a device again after a NATS fault", "device", c.DeviceID, "err", err)
			}
		}
	}
	return s.withdrawSilent(ctx)
}

// liveConns returns this node's open connections of devices (not guests).
func (s *Service) liveConns() []*media.Conn {
	var conns []*media.Conn
	s.sig.Conns(func(c *media.Conn) bool {
		if c.DeviceID != "" && c.Guest == "" {
			conns = append(conns, c)
		}
		return true
	})
	return conns
}

// Signals registers the directory's message types and connection hooks on
// the signaling it was built with (presence, heartbeats, the watch of
// numbers). Call it once, before the signaling routes serve.
func (s *Service) Signals() {
	sig := s.sig
	sig.HelloField(func(_ *media.Conn, h *media.HelloData) { h.HeartbeatSeconds = s.cfg.Heartbeat.Seconds() })
	sig.OnOpen(s.deviceOnline)
	sig.OnClose(s.deviceGone)
	sig.HandleOnReader("heartbeat", s.heartbeat) // every idle device's, every interval
	sig.Handle("presence.set", s.handleSetPresence)
	sig.Handle("directory.watch", s.handleWatch)
}

// Close stops pushing presence changes and closes the presence watch.
func (s *Service) Close() {
	s.unsubscribe()
	if s.regions != nil {
		s.regions.close()
	}
	if s.shared != nil {
		s.shared.close()
	}
	close(s.stop)
	<-s.stopped
	<-s.kept
	s.presence.Close()
	if stmt := s.routeStmt.Load(); stmt != nil {
		stmt.Close()
	}
}

// connState is the Conn value key for the state a device chose.
const connState = "directory.state"

// deviceOnline records the device's sign-in if it was never recorded and
// announces it.
func (s *Service) deviceOnline(ctx context.Context, c *media.Conn) error {
	if c.DeviceID == "" || c.Guest != "" {
		return nil
	}
	// A device connects again far more often than someone signs in on
	// it: read its accounts first, and write only a sign-in missing.
	accounts, err := s.deviceAccounts(ctx, c.DeviceID)
	if err != nil {
		return err
	}
	if slices.Contains(accounts, c.AccountID) {
		c.Set(connAccounts, accounts)
	} else if err := s.recordSignIn(ctx, c); err != nil {
		return err
	}
	beat(c)
	return s.announce(ctx, c)
}

// recordSignIn records that the connection's account is signed in on its
// device, and keeps the device's accounts on the connection.
func (s *Service) recordSignIn(ctx context.Context, c *media.Conn) error {
	res := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&deviceAccount{DeviceID: c.DeviceID, AccountID: c.AccountID, SignedInAt: time.Now().UTC()})
	if res.Error != nil {
		return fmt.Errorf("record device: %w", res.Error)
	}
	if _, err := s.loadAccounts(ctx, c); err != nil {
		return err
	}
	if res.RowsAffected > 0 {
		// A sign-in the device never recorded: its other connections
		// learn of the account now, and the account's routes list it.
		s.routesChanged(c.AccountID)
		s.deviceAccountsChanged(ctx, c.DeviceID)
	}
	return nil
}

// ConnectionsAnnounced returns how many of this node's connections the
// directory holds online now: every member's socket once its open hooks
// have run (guests are in nobody's directory).
func (s *Service) ConnectionsAnnounced() int { return s.presence.NodeRecordCount(s.cfg.Node) }

// deviceGone withdraws the connection's record at once.
func (s *Service) deviceGone(c *media.Conn) {
	s.watchMu.Lock()
	delete(s.watchers, c.ID)
	s.watchMu.Unlock()
	if c.DeviceID == "" || c.Guest != "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.presence.Withdraw(ctx, c.DeviceID, c.ID); err != nil {
		slog.Warn("withdraw presence", "device", c.DeviceID, "err", err)
	}
}

// announce writes the connection's presence record: its state and every
// account signed in on its device.
func (s *Service) announce(ctx context.Context, c *media.Conn) error {
	if c.Guest != "" {
		return nil // guests are in nobody's directory
	}
	if c.DeviceID == "" {
		return apperr.New(apperr.Invalid, "this connection has no device: sign in again to be reachable")
	}
	accounts, err := s.accountsOf(ctx, c)
	if err != nil {
		return err
	}
	state, _ := c.Get(connState).(State)
	if state == "" {
		state = StateAvailable
	}
	// A heartbeat that NATS does not take within an interval is late
	// anyway; the socket's reader must not wait longer.
	ctx, cancel := context.WithTimeout(ctx, max(s.cfg.Heartbeat, time.Second))
	defer cancel()
	return s.presence.Announce(ctx, PresenceRecord{DeviceID: c.DeviceID, ConnID: c.ID, Node: s.cfg.Node, State: state, Accounts: accounts})
}

// refreshDevice re-reads the accounts of this node's connections of a
// device and re-announces them, after its set of signed-in accounts
// changed.
func (s *Service) refreshDevice(ctx context.Context, deviceID string) {
	s.sig.Conns(func(c *media.Conn) bool {
		if c.DeviceID == deviceID && c.Guest == "" {
			_, err := s.loadAccounts(ctx, c)
			if err == nil {
				err = s.announce(ctx, c)
			}
			if err != nil {
				slog.Warn("refresh presence", "device", deviceID, "err", err)
			}
		}
		return true
	})
}

// SignedOut forgets that the account is signed in on the device and
// refreshes the device's presence; it is the auth SignedOut hook.
func (s *Service) SignedOut(ctx context.Context, accountID, deviceID string) error {
	if err := forgetDevice(ctx, s.db, accountID, deviceID); err != nil {
		return err
	}
	s.routesChanged(accountID)
	s.deviceAccountsChanged(ctx, deviceID)
	return nil
}

func (s *Service) handleSetPresence(ctx context.Context, c *media.Conn, m media.Message) error {
	var req setPresence
	if len(m.Data) == 0 {
		return apperr.New(apperr.Invalid, "presence.set needs data {\"state\": \"available\" or \"away\"}")
	}
	if err := json.Unmarshal(m.Data, &req); err != nil || (req.State != StateAvailable && req.State != StateAway) {
		return apperr.New(apperr.Invalid, "presence.set state must be \"available\" or \"away\"")
	}
	c.Set(connState, req.State)
	return s.announce(ctx, c)
}

// handleWatch subscribes the connection to presence changes and sends it
// the state of everyone online now.
func (s *Service) handleWatch(ctx context.Context, c *media.Conn, _ media.Message) error {
	s.watchMu.Lock()
	s.watchers[c.ID] = c
	s.watchMu.Unlock()
	online := s.presence.OnlineAccounts()
	ids := make([]string, 0, len(online))
	for id := range online {
		ids = append(ids, id)
	}
	ids = append(ids, s.remoteOnline()...) // other regions' members
	states, err := s.States(ctx, ids)
	if err != nil {
		return err
	}
	for id, st := range states {
		c.SendData("presence", PresenceData{AccountID: id, State: st})
	}
	return nil
}

// pushChanges turns presence record changes into account state changes and
// sends them to this node's watchers.
func (s *Service) pushChanges() {
	defer close(s.stopped)
	for {
		select {
		case <-s.stop:
			return
		case <-s.touched.Ready():
			s.pushStates(s.touched.take())
		case <-s.presence.Changed():
			s.pushStates(s.presence.TakeChanged())
		}
	}
}

// statesPerQuery bounds the accounts whose states one query reads.
const statesPerQuery = 500

// pushStates recomputes the accounts' states and broadcasts the changes.
func (s *Service) pushStates(accounts []string) {
	for len(accounts) > 0 {
		n := min(len(accounts), statesPerQuery)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		states, err := s.States(ctx, accounts[:n])
		if err != nil {
			slog.Warn("presence states", "err", err)
		} else {
			s.broadcast(states)
			s.shareStates(ctx, states)
		}
		cancel()
		accounts = accounts[n:]
	}
}

// broadcast sends the states that differ from the last ones sent.
func (s *Service) broadcast(states map[string]State) {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	for id, st := range states {
		if s.last[id] == st {
			continue
		}
		if st == StateOffline {
			delete(s.last, id)
		} else {
			s.last[id] = st
		}
		for _, c := range s.watchers {
			c.SendData("presence", PresenceData{AccountID: id, State: st})
		}
	}
}
