package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/livemall/livemall/backend/bus"
)

// State is how reachable a party is.
type State string

// Presence states. Offline is never stored: it is the absence of a record.
const (
	StateAvailable State = "available"
	StateBusy      State = "busy"
	StateAway      State = "away"
	StateOffline   State = "offline"
)

// presenceBucket is the JetStream KV bucket that holds presence.
const presenceBucket = "presence"

// PresenceRecord is one open signaling connection of a device: which node
// holds it, its state, and the accounts signed in on the device. It lives
// in NATS KV under "<device>.<connection>" for as long as the node that
// holds the connection keeps its lease (node_lease.go) and the device keeps
// heartbeating to that node.
type PresenceRecord struct {
	DeviceID string    `json:"deviceId"`
	ConnID   string    `json:"connId"`
	Node     string    `json:"node"`
	State    State     `json:"state"`
	Accounts []string  `json:"accounts"`
	At       time.Time `json:"at"`
}

// key is the record's KV key.
func (r PresenceRecord) key() string { return r.DeviceID + "." + r.ConnID }

// Presence is the dynamic directory: a JetStream KV bucket holding one
// record per open connection and one lease per node (with the presence
// TTL), and this node's cache of it, kept current by a watch. The cache is
// the same on every node, whichever node wrote a record.
type Presence struct {
	bus *bus.Bus
	ttl time.Duration
	cfg jetstream.KeyValueConfig // the bucket: presenceConfig, or a region's (regionPresenceConfig)

	mu       sync.RWMutex
	kv       jetstream.KeyValue        // the bucket, replaced by Reopen
	records  map[string]PresenceRecord // by key
	leases   map[string]bool           // nodes whose lease is live
	gone     chan string               // nodes whose lease expired or was removed
	byDevice map[string]map[string]bool

	watchMu  sync.Mutex // held while the watch is replaced
	watcher  jetstream.KeyWatcher
	unwatch  context.CancelFunc // ends the current watch's context
	stopped  *atomic.Bool       // set when the current watch is stopped on purpose
	followed chan struct{}      // closed when the current watch's follower ends
	changes  *pendingAccounts   // accounts whose records changed
}

// presenceConfig is the presence bucket: soft state, on disk with the
// bus's replicas so that it outlives a NATS restart and a lost server.
var presenceConfig = jetstream.KeyValueConfig{
	Bucket:         presenceBucket,
	Description:    "livemall presence: which devices are online, on which node",
	History:        1,
	LimitMarkerTTL: time.Second,
}

// OpenPresence opens (or creates) the presence bucket on b (file storage,
// b.Replicas copies) and starts watching it; it returns once the cache
// holds the current records. ttl is how long a record lives without a
// heartbeat (at least 1 s). Reopen re-creates the bucket and the watch
// after a NATS fault.
func OpenPresence(ctx context.Context, b *bus.Bus, ttl time.Duration) (*Presence, error) {
	return openPresenceBucket(ctx, b, ttl, presenceConfig)
}

// openPresenceBucket is OpenPresence on the bucket cfg.
func openPresenceBucket(ctx context.Context, b *bus.Bus, ttl time.Duration, cfg jetstream.KeyValueConfig) (*Presence, error) {
	if ttl < time.Second {
		return nil, fmt.Errorf("presence TTL %v is below 1s", ttl)
	}
	p := &Presence{bus: b, ttl: ttl, cfg: cfg, records: map[string]PresenceRecord{}, byDevice: map[string]map[string]bool{},
		leases: map[string]bool{}, gone: make(chan string, 64), changes: newPendingAccounts()}
	if err := p.Reopen(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// Reopen creates the presence bucket if NATS lost it, replaces the watch
// and rebuilds the cache from what the bucket holds now, reporting on
// Changes the accounts whose records differ from the old cache. It is
// safe to call at any time; calls are serialized.
func (p *Presence) Reopen(ctx context.Context) error {
	p.watchMu.Lock()
	defer p.watchMu.Unlock()
	kv, err := p.bus.KeyValue(ctx, p.cfg, bus.Soft)
	if err != nil {
		return fmt.Errorf("open presence bucket: %w", err)
	}
	p.stopWatch()
	// The watch lives until stopped: its context must outlive ctx (ending
	// it ends the subscription), yet ctx bounds the start.
	wctx, wcancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	defer close(started)
	go func() {
		select {
		case <-ctx.Done():
			select {
			case <-started: // ctx ended after the start: the watch stays
			default:
				wcancel()
			}
		case <-started:
		}
	}()
	w, err := kv.WatchAll(wctx)
	if err != nil {
		wcancel()
		return fmt.Errorf("watch presence: %w", err)
	}
	p.mu.Lock()
	p.kv = kv
	p.mu.Unlock()
	p.watcher, p.unwatch, p.stopped = w, wcancel, &atomic.Bool{}
	p.followed = make(chan struct{})
	ready := make(chan struct{})
	go p.follow(w, ready, p.followed, p.stopped)
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		p.stopWatch()
		return ctx.Err()
	}
}

// stopWatch stops the current watch and waits for its follower. The
// caller holds watchMu.
func (p *Presence) stopWatch() {
	if p.watcher == nil {
		return
	}
	p.stopped.Store(true)
	p.watcher.Stop()
	p.unwatch()
	select {
	case <-p.followed:
	case <-time.After(2 * time.Second):
	}
	p.watcher = nil
}

// follow loads the watch's initial records into a fresh cache, swaps it
// in and signals ready, then applies every update and reports the
// accounts it touched on p.changes. When the watch ends without Stop (NATS
// lost the bucket), it asks the bus to recover.
func (p *Presence) follow(w jetstream.KeyWatcher, ready, done chan struct{}, stopped *atomic.Bool) {
	defer close(done)
	initial, leases := map[string]PresenceRecord{}, map[string]bool{}
	loading := true
	for e := range w.Updates() {
		if e == nil {
			if loading {
				loading = false
				p.report(p.replace(initial, leases))
				close(ready)
			}
			continue
		}
		if loading {
			if node, ok := leaseNode(e.Key()); ok {
				if e.Operation() == jetstream.KeyValuePut {
					leases[node] = true
				}
				continue
			}
			if rec, ok := decode(e); ok {
				initial[e.Key()] = rec
			} else {
				delete(initial, e.Key())
			}
			continue
		}
		p.report(p.apply(e))
	}
	if !stopped.Load() {
		p.bus.Trouble(jetstream.ErrBucketNotFound) // the watch ended by itself
	}
}

// report marks touched accounts changed, without blocking and without
// losing any (see pendingAccounts).
func (p *Presence) report(touched []string) { p.changes.add(touched) }

// replace swaps in a whole new cache and returns the accounts of every
// record that differs between the old and the new one.
func (p *Presence) replace(records map[string]PresenceRecord, leases map[string]bool) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.leases = leases
	var touched []string
	for k, old := range p.records {
		if rec, ok := records[k]; !ok || rec.State != old.State || !slices.Equal(rec.Accounts, old.Accounts) {
			touched = append(touched, old.Accounts...)
		}
	}
	byDevice := map[string]map[string]bool{}
	for k, rec := range records {
		if old, ok := p.records[k]; !ok || rec.State != old.State || !slices.Equal(rec.Accounts, old.Accounts) {
			touched = append(touched, rec.Accounts...)
		}
		if byDevice[rec.DeviceID] == nil {
			byDevice[rec.DeviceID] = map[string]bool{}
		}
		byDevice[rec.DeviceID][k] = true
	}
	p.records, p.byDevice = records, byDevice
	return touched
}

// decode reads a put entry's record; ok is false for a deletion or an
// unreadable value.
func decode(e jetstream.KeyValueEntry) (PresenceRecord, bool) {
	var rec PresenceRecord
	if e.Operation() != jetstream.KeyValuePut {
		return rec, false
	}
	if err := json.Unmarshal(e.Value(), &rec); err != nil {
		slog.Warn("presence record unreadable", "key", e.Key(), "err", err)
		return rec, false
	}
	return rec, true
}

// apply updates the cache with one entry and returns the accounts whose
// records changed (none for a refresh that tells the same).
func (p *Presence) apply(e jetstream.KeyValueEntry) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if node, ok := leaseNode(e.Key()); ok {
		p.applyLease(node, e.Operation() == jetstream.KeyValuePut)
		return nil
	}
	old, had := p.records[e.Key()]
	var touched []string
	if had {
		touched = append(touched, old.Accounts...)
	}
	if e.Operation() != jetstream.KeyValuePut {
		delete(p.records, e.Key())
		if had {
			delete(p.byDevice[old.DeviceID], e.Key())
			if len(p.byDevice[old.DeviceID]) == 0 {
				delete(p.byDevice, old.DeviceID)
			}
		}
		return touched
	}
	rec, ok := decode(e)
	if !ok {
		return touched
	}
	p.records[e.Key()] = rec
	if p.byDevice[rec.DeviceID] == nil {
		p.byDevice[rec.DeviceID] = map[string]bool{}
	}
	p.byDevice[rec.DeviceID][e.Key()] = true
	if had && old.sameReach(rec) {
		// A heartbeat: the record lives longer, nobody's state moved.
		return nil
	}
	return append(touched, rec.Accounts...)
}

// sameReach reports whether two records of one connection tell the same
// (node, state and accounts), as a heartbeat's refresh does.
func (r PresenceRecord) sameReach(o PresenceRecord) bool {
	return r.Node == o.Node && r.State == o.State && slices.Equal(r.Accounts, o.Accounts)
}

// Announce writes (or rewrites) a record. It carries no TTL: the record
// lives as long as its node's lease, and its node withdraws it when the
// connection closes or stops heartbeating.
func (p *Presence) Announce(ctx context.Context, rec PresenceRecord) error {
	if !p.bus.Conn.IsConnected() {
		// Fail at once rather than hold the socket's reader until a
		// timeout: the bus announces every device again when NATS is back.
		return fmt.Errorf("announce presence: the NATS connection is %s", p.bus.Conn.Status())
	}
	rec.At = time.Now().UTC()
	raw, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	_, err = p.bus.JS.Publish(ctx, "$KV."+p.cfg.Bucket+"."+rec.key(), raw)
	if err != nil {
		p.bus.Trouble(err)
		return fmt.Errorf("announce presence: %w", err)
	}
	return nil
}

// Has reports whether the cache holds the record of a connection.
func (p *Presence) Has(deviceID, connID string) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	_, ok := p.records[deviceID+"."+connID]
	return ok
}

// Withdraw removes a record at once, when its connection closes cleanly.
func (p *Presence) Withdraw(ctx context.Context, deviceID, connID string) error {
	if !p.bus.Conn.IsConnected() {
		// The bus withdraws this node's closed connections when NATS is
		// back (and the record expires anyway).
		return fmt.Errorf("withdraw presence: the NATS connection is %s", p.bus.Conn.Status())
	}
	p.mu.RLock()
	kv := p.kv
	p.mu.RUnlock()
	err := kv.Purge(ctx, deviceID+"."+connID, jetstream.PurgeTTL(time.Second))
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		p.bus.Trouble(err)
		return fmt.Errorf("withdraw presence: %w", err)
	}
	return nil
}

// DeviceStanding is how a device stands in the directory, from its live
// records (one per open connection): the busy one if any is busy (the
// oldest of those), else the newest; ok is false when the device has no
// live record. It is asked for every device of every state worked out, so
// it copies no record and allocates nothing (DeviceRecords is the same
// answer with every record, sorted).
func (p *Presence) DeviceStanding(deviceID string) (node string, state State, ok bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	type standing struct {
		node  string
		state State
		at    time.Time
		set   bool
	}
	var newest, oldestBusy standing
	for k := range p.byDevice[deviceID] {
		r, found := p.records[k]
		if !found {
			continue
		}
		if !newest.set || r.At.After(newest.at) {
			newest = standing{r.Node, r.State, r.At, true}
		}
		if r.State == StateBusy && (!oldestBusy.set || oldestBusy.at.After(r.At)) {
			oldestBusy = standing{r.Node, r.State, r.At, true}
		}
	}
	if oldestBusy.set {
		return oldestBusy.node, oldestBusy.state, true
	}
	return newest.node, newest.state, newest.set
}

// DeviceRecords returns the live records of a device (one per open
// connection), newest first.
func (p *Presence) DeviceRecords(deviceID string) []PresenceRecord {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []PresenceRecord
	for k := range p.byDevice[deviceID] {
		out = append(out, p.records[k])
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].At.After(out[j-1].At); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// OnlineAccounts returns every account carried by a live record.
func (p *Presence) OnlineAccounts() map[string]bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := map[string]bool{}
	for _, r := range p.records {
		for _, a := range r.Accounts {
			out[a] = true
		}
	}
	return out
}

// Changed is signalled when presence records changed; TakeChanged says
// whose.
func (p *Presence) Changed() <-chan struct{} { return p.changes.Ready() }

// TakeChanged returns every account whose presence records changed since
// the last call, each once.
func (p *Presence) TakeChanged() []string { return p.changes.take() }

// NodeRecords returns the live records written by node.
func (p *Presence) NodeRecords(node string) []PresenceRecord {
	return p.PickNodeRecords(node, func(*PresenceRecord) bool { return true })
}

// PickNodeRecords returns the live records written by node for which pick
// says true; pick runs under the cache's read lock and must not call
// Presence.
func (p *Presence) PickNodeRecords(node string, pick func(r *PresenceRecord) bool) []PresenceRecord {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []PresenceRecord
	for _, r := range p.records {
		if r.Node == node && pick(&r) {
			out = append(out, r)
		}
	}
	return out
}

// NodeRecordCount returns how many live records node wrote.
func (p *Presence) NodeRecordCount(node string) int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	n := 0
	for _, r := range p.records {
		if r.Node == node {
			n++
		}
	}
	return n
}

// Close stops watching.
func (p *Presence) Close() {
	p.watchMu.Lock()
	defer p.watchMu.Unlock()
	p.stopWatch()
}
