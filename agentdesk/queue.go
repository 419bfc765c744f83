package agentdesk

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/directory"
	"github.com/livemall/livemall/mall"
	"github.com/livemall/livemall/media"
)

// QueueConfig tunes routing.
type QueueConfig struct {
	// RingTimeout is how long an agent's desk rings before the shopper is
	// offered to the next agent (and the agent is set away).
	RingTimeout time.Duration
	// WrapUp is the time after a call an agent is held out of routing.
	WrapUp time.Duration
	// Tick is how often each node sweeps timers: wrap-ups that ended,
	// offers nobody took, shoppers past the store's maximum wait.
	Tick time.Duration
	// ReconnectGrace is how long a shopper whose call was lost (its node
	// died) keeps their place in line without a call: dialling the store
	// again within it resumes the place (Rejoin); after it the place is
	// given up. Default one minute.
	ReconnectGrace time.Duration
}

// Queue is the automatic call distributor: it offers each store's waiting
// shoppers, oldest first (booked calls before all, to the agent they
// booked: booked.go), to the agent idle longest, rings the agent,
// takes lapsed offers back, holds agents in wrap-up and sweeps the timers.
// It owns the agents' routing state. Every node runs one; they share the
// queue through the database, where each assignment is one transaction
// with conditional updates, so two nodes never give one agent two
// shoppers or one shopper two agents. What happens once an agent answers
// belongs to the Engagements.
type Queue struct {
	db       *gorm.DB
	sig      *media.Signaling
	dir      *directory.Service
	rooms    Rooms
	stores   Stores
	accounts Accounts
	carts    *mall.Carts
	bookings Bookings
	cfg      QueueConfig
	log      *slog.Logger
	metrics  *queueMetrics // exported by Collector (metrics.go)
	pusher   OfferPusher   // PushOffers; nil: only the open desk rings

	kicks    chan int64
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

// Rooms is what routing needs from the calls: requests to the room of a
// queued call, on whichever node hosts it (directory.Rooms implements it).
type Rooms interface {
	// Offer asks the call's room to ring the agent; a NotFound error means
	// no node hosts the call any more.
	Offer(ctx context.Context, callID string, o directory.QueueOffer) error
	// Hosted reports whether a node still hosts the call's room.
	Hosted(ctx context.Context, callID string) bool
}

// Stores is what routing needs from the mall: the stores' names and
// waits, and the product a shopper calls about (the catalog,
// *mall.Catalog, implements it).
type Stores interface {
	StoreRef(ctx context.Context, storeID int64) (mall.StoreRef, error)
	ProductInStore(ctx context.Context, productID int64) (mall.Product, string, error)
}

// Accounts is what the contact center needs from auth, which owns the
// accounts: names, roles and stores, and a store's staff (*auth.Accounts
// implements it).
type Accounts interface {
	Refs(ctx context.Context, ids []string) (map[string]auth.AccountRef, error)
	StaffOf(ctx context.Context, storeID int64, roles ...auth.Role) ([]string, error)
}

// NewQueue starts routing on this node (Signals plugs it into the node's
// signaling); the calls' rooms are reached through rooms, the shoppers'
// carts (for the context the agent sees; nil leaves it empty) through
// carts, the agents shoppers booked calls with through bookings (nil: no
// call is a booked one). The calls take the queue as their
// directory.Queue. Close stops it.
func NewQueue(db *gorm.DB, sig *media.Signaling, dir *directory.Service, rooms Rooms, stores Stores, accounts Accounts, carts *mall.Carts, bookings Bookings, cfg QueueConfig) *Queue {
	if cfg.RingTimeout == 0 {
		cfg.RingTimeout = 15 * time.Second
	}
	if cfg.WrapUp == 0 {
		cfg.WrapUp = 30 * time.Second
	}
	if cfg.Tick == 0 {
		cfg.Tick = time.Second
	}
	if cfg.ReconnectGrace <= 0 {
		cfg.ReconnectGrace = time.Minute
	}
	q := &Queue{db: db, sig: sig, dir: dir, rooms: rooms, stores: stores, accounts: accounts, carts: carts, bookings: bookings, cfg: cfg, log: slog.With("part", "queue"), metrics: newQueueMetrics(),
		kicks: make(chan int64, 256), stop: make(chan struct{}), done: make(chan struct{})}
	go q.loop()
	return q
}

// Signals tells routing of the signaling connections that open and close
// (agents coming online and going away). Call it once, before the
// signaling routes serve.
func (q *Queue) Signals() {
	q.sig.OnOpen(q.connOpened)
	q.sig.OnClose(q.connClosed)
}

// Close stops the queue's loop.
func (q *Queue) Close() {
	q.stopOnce.Do(func() { close(q.stop) })
	<-q.done
}

// kick asks the loop to route the store's queue now.
func (q *Queue) kick(storeID int64) {
	select {
	case q.kicks <- storeID:
	default: // the loop is busy; its next tick routes every store
	}
}

// pushEvery bounds how often a store's line is told its positions: a burst
// of arrivals must not flood every waiting shopper's socket.
const pushEvery = 300 * time.Millisecond

// loop routes stores when kicked, sweeps timers every tick, and tells the
// lines of the stores that changed where they stand, at most every
// pushEvery.
func (q *Queue) loop() {
	defer close(q.done)
	t := time.NewTicker(q.cfg.Tick)
	defer t.Stop()
	push := time.NewTicker(pushEvery)
	defer push.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dirty := map[int64]bool{}
	for {
		select {
		case <-q.stop:
			return
		case id := <-q.kicks:
			kicked := map[int64]bool{id: true}
			for drained := false; !drained; {
				select {
				case id := <-q.kicks:
					kicked[id] = true
				default:
					drained = true
				}
			}
			for id := range kicked {
				q.match(ctx, id)
				dirty[id] = true
			}
		case <-push.C:
			for id := range dirty {
				q.pushPositions(ctx, id)
				delete(dirty, id)
			}
		case <-t.C:
			q.sweep(ctx)
		}
	}
}

var (
	errNoMatch = errors.New("nobody to match")
	errRaced   = errors.New("another node moved first")
)

// match offers the store's waiting shoppers to its free agents until one
// side runs out. The agents online, their devices and the store's name are
// read once for the pass (the directory keeps them in memory, so this is
// usually no query); the rings go out first and telling the agents'
// devices and the store views that they are ringing follows the pass.
func (q *Queue) match(ctx context.Context, storeID int64) {
	agents, err := q.dir.ReachableAgents(ctx, storeID)
	if err != nil {
		q.log.Warn("online agents", "store", storeID, "err", err)
		return
	}
	if len(agents) == 0 {
		return
	}
	byID := make(map[string]directory.ReachableAgent, len(agents))
	online := make([]string, 0, len(agents))
	for _, a := range agents {
		byID[a.AccountID] = a
		online = append(online, a.AccountID)
	}
	var store *media.StoreRef
	var rang []string
	defer func() {
		for _, id := range rang {
			q.agentChanged(ctx, id)
		}
	}()
	for attempt := 0; attempt < 200 && len(online) > 0; attempt++ {
		e, agentID, err := q.assign(ctx, storeID, online)
		switch {
		case errors.Is(err, errNoMatch):
			return
		case errors.Is(err, errRaced):
			continue
		case err != nil:
			// A unique-index refusal lands here too: the database would not
			// give the agent a second shopper. Someone else moved; try again.
			q.log.Debug("assign", "store", storeID, "err", err)
			continue
		}
		if store == nil {
			store = new(q.storeRef(ctx, storeID))
		}
		if err := q.deliver(ctx, e, byID[agentID], *store); err != nil {
			q.log.Info("offer not delivered", "entry", e.ID, "err", err)
			q.undeliverable(ctx, e, agentID, apperr.Is(err, apperr.NotFound))
			continue
		}
		q.metrics.rang(e.EnteredAt)
		rang = append(rang, agentID)
	}
}

// assign pairs a free agent of the store with the first shopper in line
// they may take (pickPair: booked calls first, to their booked agent while
// the preference holds; others to the longest-idle free agent). The pair is
// read first; the claim is one transaction of two updates, each guarded by
// the state it read, so a pair another node claimed meanwhile is errRaced.
// match calls it until nothing pairs.
func (q *Queue) assign(ctx context.Context, storeID int64, online []string) (*QueueEntry, string, error) {
	db := q.db.WithContext(ctx)
	now := time.Now().UTC()
	e, a, err := pickPair(db, storeID, online, now)
	if err != nil {
		return nil, "", err
	}
	err = db.Transaction(func(tx *gorm.DB) error {
		ok, err := moveAgent(tx, a.AccountID, a.State, map[string]any{"state": AgentRinging, "since": now, "entry_id": e.ID, "wrap_until": nil})
		if err != nil {
			return err
		}
		if !ok {
			return errRaced
		}
		// The call is part of the guard: a shopper who rejoined their place
		// meanwhile moved it to a new call, which this offer must not miss.
		res := tx.Model(&QueueEntry{}).Where("id = ? AND state = ? AND call_id = ?", e.ID, e.State, e.CallID).
			Updates(map[string]any{"state": EntryOffered, "agent_account_id": a.AccountID, "offered_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return errRaced
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return e, a.AccountID, nil
}

// deliver rings the agent on the devices they have online: a queued call
// through the node that hosts it, a call back as a card on the agent's
// desk.
func (q *Queue) deliver(ctx context.Context, e *QueueEntry, agent directory.ReachableAgent, store media.StoreRef) error {
	devices := make([]string, 0, len(agent.Devices))
	for _, t := range agent.Devices {
		devices = append(devices, t.DeviceID)
	}
	if len(devices) == 0 {
		return apperr.New(apperr.Unavailable, "the agent has no device online")
	}
	if e.Callback {
		shopper := CallbackShopper{Name: e.ShopperName, Guest: e.AccountID == nil}
		if e.ShopperNumber != nil {
			shopper.Number, shopper.Display = new(*e.ShopperNumber), e.ShopperNumber.String()
		}
		for _, d := range devices {
			q.sig.SendToDevice(d, "queue.callback", QueueCallbackData{EntryID: e.ID, Shopper: shopper, Context: e.contextOf()})
		}
		q.pushOffer(e, agent.AccountID, store.Name)
		return nil
	}
	secs := int(q.cfg.RingTimeout / time.Second)
	if secs < 1 {
		secs = 1
	}
	offer, err := json.Marshal(QueueOffer{EntryID: e.ID, Store: store, RingSeconds: secs, Context: e.contextOf()})
	if err != nil {
		return err
	}
	if err := q.rooms.Offer(ctx, e.CallID, directory.QueueOffer{EntryID: e.ID, AgentID: agent.AccountID, AgentName: agent.Name, Devices: devices, RingSeconds: secs,
		Queue: offer}); err != nil {
		return err
	}
	q.pushOffer(e, agent.AccountID, store.Name)
	return nil
}

// undeliverable puts an agent back after an offer that never reached the
// call. A call that no node hosts any more (callGone: its node died) keeps
// the shopper's place for the reconnect grace, without a call (conn_id
// empty, ended_at when it was lost), for Rejoin; otherwise the entry is
// abandoned.
func (q *Queue) undeliverable(ctx context.Context, e *QueueEntry, agentID string, callGone bool) {
	now := time.Now().UTC()
	err := q.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		state := EntryAbandoned
		switch {
		case e.Callback:
			state = EntryCallback // the agent's desk was not reachable: keep the place
		case callGone:
			state = EntryWaiting
		}
		changes := map[string]any{"state": state}
		switch state {
		case EntryAbandoned:
			changes["ended_at"] = now
		case EntryWaiting:
			changes["agent_account_id"], changes["offered_at"], changes["conn_id"], changes["ended_at"] = nil, nil, "", now
		default:
			changes["agent_account_id"], changes["offered_at"] = nil, nil
		}
		if err := tx.Model(&QueueEntry{}).Where("id = ? AND state = ? AND call_id = ?", e.ID, EntryOffered, e.CallID).Updates(changes).Error; err != nil {
			return err
		}
		_, err := moveAgent(tx, agentID, AgentRinging, map[string]any{"state": AgentAvailable, "since": now, "entry_id": nil})
		return err
	})
	if err != nil {
		q.log.Warn("undo offer", "entry", e.ID, "err", err)
	}
	q.agentChanged(ctx, agentID)
}

// onlineAgents lists the store's agents who have a device online now, by
// id.
func (q *Queue) onlineAgents(ctx context.Context, storeID int64) ([]string, error) {
	agents, err := q.dir.ReachableAgents(ctx, storeID)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(agents))
	for _, a := range agents {
		out = append(out, a.AccountID)
	}
	return out, nil
}

// storeRef names a store for messages.
func (q *Queue) storeRef(ctx context.Context, storeID int64) media.StoreRef {
	return storeRefOf(ctx, q.stores, storeID)
}

// storeNames is the one thing every part of the contact center asks the
// mall: a store's name (*mall.Catalog implements it).
type storeNames interface {
	StoreRef(ctx context.Context, storeID int64) (mall.StoreRef, error)
}

// storeRefOf names a store for messages; a store that cannot be read is
// named by nothing.
func storeRefOf(ctx context.Context, stores storeNames, storeID int64) media.StoreRef {
	s, _ := stores.StoreRef(ctx, storeID)
	return media.StoreRef{Slug: s.Slug, Name: s.Name}
}

// agentChanged pushes the agent's state to their devices.
func (q *Queue) agentChanged(ctx context.Context, accountID string) {
	var s AgentState
	if err := q.db.WithContext(ctx).Where("account_id = ?", accountID).Take(&s).Error; err != nil {
		return
	}
	eff := s.effective(time.Now().UTC())
	for _, d := range q.devicesOf(ctx, []string{accountID}) {
		q.sig.SendToDevice(d, "agent.state", eff)
	}
	mall.PublishStoreChanged(q.sig.Bus, s.StoreID)
}

// devicesOf lists the devices the accounts are signed in on.
func (q *Queue) devicesOf(ctx context.Context, accountIDs []string) []string {
	return q.dir.DevicesOf(ctx, accountIDs)
}

// contextJSON encodes a shopper context for storage.
func contextJSON(c ShopperContext) string {
	raw, _ := json.Marshal(c)
	return string(raw)
}
