package mall

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/nats-io/nats.go"

	"github.com/livemall/livemall/backend/apperr"
)

// The live skyline: every open mall page holds one Server-Sent Events
// stream (GET /api/v1/mall/live) and hears each store's live parts when
// they change. Whatever changes a store's state (an agent's state, the
// line, a page opened on the store) says so on NATS; each node holds one
// subscription to those subjects and fans the recomputed state out to its
// own streams in-process, so a thousand open pages cost one subscription
// and one recomputation per change on each node, not a thousand.

// Subjects of the live skyline.
const (
	// liveChangedSubject carries a liveChanged: these stores' live parts
	// changed (the contact center and the mall publish it).
	liveChangedSubject = "lm.mall.live.changed"
	// liveHereSubject carries a liveHere: one node's count of open pages
	// per store, sent on every change and every liveResync.
	liveHereSubject = "lm.mall.live.here"
	liveSubjects    = "lm.mall.live.>"
)

// Timing of the live skyline.
const (
	// liveCoalesce gathers changes that arrive together into one push.
	liveCoalesce = 150 * time.Millisecond
	// liveResync is how often a node with open streams recomputes every
	// store anyway: visitors and carts age out of their windows without
	// any event, and a lost message heals here.
	liveResync = 10 * time.Second
	// liveNodeGone drops the page counts of a node not heard for this long.
	liveNodeGone = 3 * liveResync
	// liveKeepalive is how often an idle stream sends a comment, which is
	// also how soon a closed page stops counting (the second write after
	// the browser left fails).
	liveKeepalive = 5 * time.Second
)

// Limits on live streams.
const (
	// MaxLiveStreams is how many live streams one node holds at most.
	MaxLiveStreams = 20000
	// MaxLiveStreamsPerAddress is how many live streams one client address
	// may hold on one node (a shopper's tabs, a household behind one NAT).
	MaxLiveStreamsPerAddress = 16
)

// StoreLive is one store's live parts as the skyline shows them. The
// "stores" event of the live stream carries those of the stores that
// changed (all of them in the first event).
type StoreLive struct {
	Slug           string        `json:"slug"`
	AgentsOnline   int           `json:"agentsOnline"`
	ShoppersInside int           `json:"shoppersInside"`
	Queue          *QueueView    `json:"queue,omitempty"`
	Visitors       []VisitorView `json:"visitors"`
	// PagesOpen is how many mall pages of the store are open now.
	PagesOpen int `json:"pagesOpen"`
	// ShoppingNow says someone is in the store: on its pages, in its line
	// or in a call with its agents. The building's entrance glows.
	ShoppingNow bool `json:"shoppingNow"`
}

// LiveEvent is the data of a "stores" event on the live stream.
type LiveEvent struct {
	Stores []StoreLive `json:"stores"`
}

// liveChanged is the body of liveChangedSubject.
type liveChanged struct {
	Stores []int64 `json:"stores"`
}

// liveHere is the body of liveHereSubject.
type liveHere struct {
	Node  string        `json:"node"`
	Pages map[int64]int `json:"pages"`
	seen  time.Time     // when this node received it
}

// PublishStoreChanged tells every node's live skyline that the stores'
// live parts changed. A nil connection (tests without a bus) does
// nothing; a failed publish is logged, and the next resync heals it.
func PublishStoreChanged(nc *nats.Conn, storeIDs ...int64) {
	if nc == nil || len(storeIDs) == 0 {
		return
	}
	raw, _ := json.Marshal(liveChanged{Stores: storeIDs})
	if err := nc.Publish(liveChangedSubject, raw); err != nil {
		slog.Warn("publish store change", "err", err)
	}
}

// LiveStores serves the live stream and keeps this node's side of it: the
// one subscription, the open pages per store, the streams to fan out to.
type LiveStores struct {
	front *Storefront
	nc    *nats.Conn
	node  string
	sub   *nats.Subscription

	mu      sync.Mutex
	streams map[*liveStream]struct{}
	perAddr map[string]int
	pages   map[int64]int       // this node's open pages per store
	remote  map[string]liveHere // other nodes' open pages
	dirty   map[int64]bool
	all     bool // recompute every store
	last    map[string][]byte

	wake      chan struct{}
	closing   chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// liveStream is one open page's stream: events wait in out; a stream too
// slow to take them is closed (its browser reconnects and starts afresh).
type liveStream struct {
	out  chan []byte
	gone chan struct{}
}

// NewLiveStores starts the live skyline of this node over front, with one
// subscription on nc; node names this node (a random suffix keeps two
// processes with one name apart). Close stops it.
func NewLiveStores(front *Storefront, nc *nats.Conn, node string) (*LiveStores, error) {
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	l := &LiveStores{front: front, nc: nc, node: node + "-" + hex.EncodeToString(suffix[:]),
		streams: map[*liveStream]struct{}{}, perAddr: map[string]int{}, pages: map[int64]int{},
		remote: map[string]liveHere{}, dirty: map[int64]bool{}, last: map[string][]byte{},
		wake: make(chan struct{}, 1), closing: make(chan struct{}), done: make(chan struct{})}
	sub, err := nc.Subscribe(liveSubjects, l.receive)
	if err != nil {
		return nil, fmt.Errorf("subscribe to live skyline: %w", err)
	}
	l.sub = sub
	go l.loop()
	return l, nil
}

// Close ends every stream and the subscription.
func (l *LiveStores) Close() {
	l.closeOnce.Do(func() {
		close(l.closing)
		_ = l.sub.Unsubscribe()
		<-l.done
	})
}

// receive handles one message of the live subjects.
func (l *LiveStores) receive(m *nats.Msg) {
	switch m.Subject {
	case liveChangedSubject:
		var c liveChanged
		if json.Unmarshal(m.Data, &c) != nil {
			return
		}
		l.mark(c.Stores...)
	case liveHereSubject:
		var h liveHere
		if json.Unmarshal(m.Data, &h) != nil || h.Node == "" || h.Node == l.node {
			return
		}
		for id, n := range h.Pages {
			if n <= 0 {
				delete(h.Pages, id) // a count is never negative; nothing to add
			}
		}
		h.seen = time.Now()
		l.mu.Lock()
		old := l.remote[h.Node]
		l.remote[h.Node] = h
		l.mu.Unlock()
		l.mark(changedCounts(old.Pages, h.Pages)...)
	}
}

// changedCounts lists the stores whose count differs between a and b.
func changedCounts(a, b map[int64]int) []int64 {
	var out []int64
	for id, n := range a {
		if b[id] != n {
			out = append(out, id)
		}
	}
	for id, n := range b {
		if _, ok := a[id]; !ok && n != 0 {
			out = append(out, id)
		}
	}
	return out
}

// mark notes stores to recompute and wakes the loop.
func (l *LiveStores) mark(storeIDs ...int64) {
	if len(storeIDs) == 0 {
		return
	}
	l.mu.Lock()
	for _, id := range storeIDs {
		l.dirty[id] = true
	}
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// loop coalesces changes into pushes and resyncs while streams are open.
func (l *LiveStores) loop() {
	defer close(l.done)
	resync := time.NewTicker(liveResync)
	defer resync.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for {
		select {
		case <-l.closing:
			l.mu.Lock()
			for s := range l.streams {
				l.dropLocked(s)
			}
			l.mu.Unlock()
			return
		case <-l.wake:
			select {
			case <-time.After(liveCoalesce):
			case <-l.closing:
				continue
			}
			l.push(ctx)
		case <-resync.C:
			l.announce()
			now := time.Now()
			l.mu.Lock()
			for node, h := range l.remote {
				if now.Sub(h.seen) > liveNodeGone {
					delete(l.remote, node)
					for id := range h.Pages {
						l.dirty[id] = true
					}
				}
			}
			if len(l.streams) > 0 {
				l.all = true
			}
			l.mu.Unlock()
			l.push(ctx)
		}
	}
}

// announce tells the other nodes how many pages of each store are open
// here.
func (l *LiveStores) announce() {
	l.mu.Lock()
	h := liveHere{Node: l.node, Pages: maps.Clone(l.pages)}
	l.mu.Unlock()
	raw, _ := json.Marshal(h)
	if err := l.nc.Publish(liveHereSubject, raw); err != nil {
		slog.Warn("announce open pages", "err", err)
	}
}

// pagesOpen is how many pages of the store are open on every node.
func (l *LiveStores) pagesOpen(storeID int64) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.pages[storeID]
	for _, h := range l.remote {
		n += h.Pages[storeID]
	}
	return n
}

// push recomputes the marked stores and sends those whose live parts
// changed to every stream. Without streams it only forgets what it sent.
func (l *LiveStores) push(ctx context.Context) {
	l.mu.Lock()
	dirty, all := l.dirty, l.all
	l.dirty, l.all = map[int64]bool{}, false
	listening := len(l.streams) > 0
	if !listening {
		clear(l.last)
	}
	l.mu.Unlock()
	if !listening || (!all && len(dirty) == 0) {
		return
	}
	states, err := l.compute(ctx, func(id int64) bool { return all || dirty[id] })
	if err != nil {
		slog.Warn("live skyline", "err", err)
		return
	}
	var changed []StoreLive
	l.mu.Lock()
	for _, s := range states {
		raw, _ := json.Marshal(s)
		if bytes.Equal(l.last[s.Slug], raw) {
			continue
		}
		l.last[s.Slug] = raw
		changed = append(changed, s)
	}
	l.mu.Unlock()
	if len(changed) == 0 {
		return
	}
	raw, _ := json.Marshal(LiveEvent{Stores: changed})
	l.broadcast(raw)
}

// broadcast queues an event on every stream; streams that fell behind are
// closed.
func (l *LiveStores) broadcast(event []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for s := range l.streams {
		select {
		case s.out <- event:
		default:
			l.dropLocked(s)
		}
	}
}

// dropLocked ends a stream; l.mu is held.
func (l *LiveStores) dropLocked(s *liveStream) {
	if _, ok := l.streams[s]; !ok {
		return
	}
	delete(l.streams, s)
	close(s.gone)
}

// compute returns the live parts of the stores that want picks.
func (l *LiveStores) compute(ctx context.Context, want func(int64) bool) ([]StoreLive, error) {
	listings, err := l.front.ListStores(ctx)
	if err != nil {
		return nil, err
	}
	var views []StoreView
	var ids []int64
	for _, s := range listings {
		if want(s.Store.ID) {
			views = append(views, NewStoreView(s.Store, s.ProductCount))
			ids = append(ids, s.Store.ID)
		}
	}
	l.front.decorate(ctx, views, ids)
	out := make([]StoreLive, len(views))
	for i, v := range views {
		s := StoreLive{Slug: v.Slug, AgentsOnline: v.AgentsOnline, ShoppersInside: v.ShoppersInside, Queue: v.Queue,
			Visitors: v.Visitors, PagesOpen: l.pagesOpen(ids[i])}
		if s.Visitors == nil {
			s.Visitors = []VisitorView{}
		}
		s.ShoppingNow = s.PagesOpen > 0 || (s.Queue != nil && s.Queue.Waiting+s.Queue.InCall > 0)
		out[i] = s
	}
	return out, nil
}

// Routes registers GET /mall/live on api (the /api/v1 group): anyone may
// listen; ?in=<store slug> says the page shows that store, which counts
// it as a shopper there while the stream stays open.
func (l *LiveStores) Routes(api fiber.Router) {
	api.Get("/mall/live", l.handleLive)
}

// open registers a stream for addr in the store (0: none), or refuses
// when the node or the address holds too many.
func (l *LiveStores) open(addr string, storeID int64) (*liveStream, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.streams) >= MaxLiveStreams {
		return nil, apperr.New(apperr.Unavailable, "this server holds too many live streams; try again later")
	}
	if l.perAddr[addr] >= MaxLiveStreamsPerAddress {
		return nil, apperr.New(apperr.RateLimited, "too many live streams from your address; close some mall tabs")
	}
	s := &liveStream{out: make(chan []byte, 16), gone: make(chan struct{})}
	l.streams[s] = struct{}{}
	l.perAddr[addr]++
	if storeID != 0 {
		l.pages[storeID]++
	}
	return s, nil
}

// closeStream forgets a stream that ended.
func (l *LiveStores) closeStream(s *liveStream, addr string, storeID int64) {
	l.mu.Lock()
	l.dropLocked(s)
	if l.perAddr[addr]--; l.perAddr[addr] <= 0 {
		delete(l.perAddr, addr)
	}
	if storeID != 0 {
		if l.pages[storeID]--; l.pages[storeID] <= 0 {
			delete(l.pages, storeID)
		}
	}
	l.mu.Unlock()
	if storeID != 0 {
		l.announce()
		l.mark(storeID)
	}
}

func (l *LiveStores) handleLive(c *fiber.Ctx) error {
	ctx := c.UserContext()
	var storeID int64
	if in := c.Query("in"); in != "" {
		slug, err := ParseSlug(in)
		if err != nil {
			return err
		}
		store, err := l.front.StoreBySlug(ctx, slug)
		if err != nil {
			return err
		}
		storeID = store.ID
	}
	addr := c.IP()
	s, err := l.open(addr, storeID)
	if err != nil {
		return err
	}
	if storeID != 0 {
		// The page counts at once: in this first event and, through the
		// bus, on every node's streams.
		l.announce()
		l.mark(storeID)
	}
	first, err := l.compute(ctx, func(int64) bool { return true })
	if err != nil {
		l.closeStream(s, addr, storeID)
		return err
	}
	initial, _ := json.Marshal(LiveEvent{Stores: first})
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Accel-Buffering", "no")
	// The server's write timeout is set once per response; a stream that
	// lives for minutes moves it along with every write.
	conn := c.Context().Conn()
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer l.closeStream(s, addr, storeID)
		flush := func() bool {
			_ = conn.SetWriteDeadline(time.Now().Add(3 * liveKeepalive))
			return w.Flush() == nil
		}
		write := func(data []byte) bool {
			fmt.Fprintf(w, "event: stores\ndata: %s\n\n", data)
			return flush()
		}
		if !write(initial) {
			return
		}
		keepalive := time.NewTicker(liveKeepalive)
		defer keepalive.Stop()
		timeout := time.After(10 * time.Minute) // the browser reconnects
		for {
			select {
			case e := <-s.out:
				if !write(e) {
					return
				}
			case <-keepalive.C:
				if _, err := w.WriteString(": keepalive\n\n"); err != nil || !flush() {
					return
				}
			case <-timeout:
				return
			case <-s.gone:
				return
			}
		}
	})
	return nil
}
