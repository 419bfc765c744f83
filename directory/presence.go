package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
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
// in NATS KV under "<device>.<connection>" and expires by itself unless the
// device keeps heartbeating.
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

// Presence is the dynamic directory: a JetStream KV bucket with per-key
// TTLs, and this node's cache of it, kept current by a watch. The cache is
// the same on every node, whichever node wrote a record.
type Presence struct {
	js  jetstream.JetStream
	kv  jetstream.KeyValue
	ttl time.Duration

	mu       sync.RWMutex
	records  map[string]PresenceRecord // by key
	byDevice map[string]map[string]bool

	watcher jetstream.KeyWatcher
	changes chan []string // accounts whose records changed
	done    chan struct{}
}

// OpenPresence opens (or creates) the presence bucket and starts watching
// it; it returns once the cache holds the current records. ttl is how long
// a record lives without a heartbeat (at least 1 s).
func OpenPresence(ctx context.Context, js jetstream.JetStream, ttl time.Duration) (*Presence, error) {
	if ttl < time.Second {
		return nil, fmt.Errorf("presence TTL %v is below 1s", ttl)
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:         presenceBucket,
		Description:    "livemall presence: which devices are online, on which node",
		History:        1,
		LimitMarkerTTL: time.Second,
		Storage:        jetstream.MemoryStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("open presence bucket: %w", err)
	}
	w, err := kv.WatchAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("watch presence: %w", err)
	}
	p := &Presence{js: js, kv: kv, ttl: ttl, records: map[string]PresenceRecord{}, byDevice: map[string]map[string]bool{},
		watcher: w, changes: make(chan []string, 1024), done: make(chan struct{})}
	ready := make(chan struct{})
	go p.follow(ready)
	select {
	case <-ready:
	case <-ctx.Done():
		w.Stop()
		return nil, ctx.Err()
	}
	return p, nil
}

// follow applies every KV update to the cache and reports the accounts it
// touched on p.changes.
func (p *Presence) follow(ready chan struct{}) {
	defer close(p.done)
	initial := true
	for e := range p.watcher.Updates() {
		if e == nil {
			if initial {
				initial = false
				close(ready)
			}
			continue
		}
		touched := p.apply(e)
		if !initial && len(touched) > 0 {
			select {
			case p.changes <- touched:
			default:
				slog.Warn("presence changes dropped: the consumer is behind")
			}
		}
	}
}

// apply updates the cache with one entry and returns the accounts whose
// records changed.
func (p *Presence) apply(e jetstream.KeyValueEntry) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
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
	var rec PresenceRecord
	if err := json.Unmarshal(e.Value(), &rec); err != nil {
		slog.Warn("presence record unreadable", "key", e.Key(), "err", err)
		return touched
	}
	p.records[e.Key()] = rec
	if p.byDevice[rec.DeviceID] == nil {
		p.byDevice[rec.DeviceID] = map[string]bool{}
	}
	p.byDevice[rec.DeviceID][e.Key()] = true
	return append(touched, rec.Accounts...)
}

// Announce writes (or refreshes) a record with the presence TTL. Every
// heartbeat announces again, which pushes the expiry out.
func (p *Presence) Announce(ctx context.Context, rec PresenceRecord) error {
	rec.At = time.Now().UTC()
	raw, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	_, err = p.js.Publish(ctx, "$KV."+presenceBucket+"."+rec.key(), raw, jetstream.WithMsgTTL(p.ttl))
	if err != nil {
		return fmt.Errorf("announce presence: %w", err)
	}
	return nil
}

// Withdraw removes a record at once, when its connection closes cleanly.
func (p *Presence) Withdraw(ctx context.Context, deviceID, connID string) error {
	err := p.kv.Purge(ctx, deviceID+"."+connID, jetstream.PurgeTTL(time.Second))
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("withdraw presence: %w", err)
	}
	return nil
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

// Changes delivers the accounts whose presence records changed.
func (p *Presence) Changes() <-chan []string { return p.changes }

// Close stops watching.
func (p *Presence) Close() {
	p.watcher.Stop()
	select {
	case <-p.done:
	case <-time.After(2 * time.Second):
	}
}
