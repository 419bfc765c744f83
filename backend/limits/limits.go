// Package limits counts abuse limits in NATS, so that they hold across
// every node of a cluster and one node alike: how many guests one client
// address may create, how many sockets and event streams one account or
// guest may hold open, how often a guest may dial.
//
// Each counted thing (a client address, an account, a guest) has one
// message in the LM_LIMITS stream holding its live slots, each with an
// expiry. Taking a slot is a compare-and-set on that subject's last
// sequence, so two nodes racing for the last slot cannot both win. Rate
// limits take slots that expire a window after they were taken; concurrent
// limits take leases that their holder refreshes and releases, and that
// expire on their own when a node dies. The message itself carries a
// per-message TTL, so idle keys leave the stream.
package limits

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/big"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/bus"
)

// Rule is one limit: at most Max slots per key. A rule with Per > 0 is a
// rate limit (a slot counts for Per after it was taken); with Per == 0 it
// bounds what is open at once (a slot counts until it is released). Max < 1
// turns the rule off.
type Rule struct {
	// Name keys the rule in NATS; letters, digits and dashes.
	Name string
	// Max is how many slots one key may hold.
	Max int
	// Per is the window of a rate limit; 0 for a concurrent limit.
	Per time.Duration
	// Message is the refusal shown to the user; "%d" is replaced by the
	// seconds to wait.
	Message string
}

// Rules are the limits livemall enforces. Default returns the numbers in
// production; tests and benchmarks adjust them.
type Rules struct {
	// NewGuests bounds the mall guests one client address may create.
	NewGuests Rule
	// AccountSockets bounds the signaling sockets one account holds open.
	AccountSockets Rule
	// GuestSockets bounds the signaling sockets one guest holds open.
	GuestSockets Rule
	// GuestDials bounds how often one guest may send call.dial.
	GuestDials Rule
	// CartStreams bounds the cart event streams (SSE) one shopper holds open.
	CartStreams Rule
	// NumberLookups bounds the number availability look-ups of one client
	// address.
	NumberLookups Rule
}

// Default returns the limits of a production node.
func Default() Rules {
	return Rules{
		NewGuests:      Rule{Name: "new-guests", Max: 30, Per: time.Hour, Message: "too many new visitors from your address: wait %d s"},
		AccountSockets: Rule{Name: "account-sockets", Max: 10, Message: "too many open connections for your account: close a tab or wait %d s"},
		GuestSockets:   Rule{Name: "guest-sockets", Max: 5, Message: "too many open connections: close a tab or wait %d s"},
		GuestDials:     Rule{Name: "guest-dials", Max: 5, Per: time.Minute, Message: "too many calls, wait %d s"},
		CartStreams:    Rule{Name: "cart-streams", Max: 8, Message: "too many open carts: close a tab or wait %d s"},
		NumberLookups:  Rule{Name: "number-lookups", Max: 60, Per: time.Minute, Message: "too many number look-ups: wait %d s"},
	}
}

// Off returns rules that limit nothing (load benchmarks).
func Off() Rules { return Rules{} }

const (
	streamName = "LM_LIMITS"
	subjectPre = "lm.limits."
	// LeaseTTL is how long a concurrent slot lives without a refresh: how
	// long the sockets of a node that died still count.
	LeaseTTL = 60 * time.Second
	// leaseRefresh is how often a held lease is refreshed.
	leaseRefresh = LeaseTTL / 3
	// busyRetry is the Retry-After of a concurrent limit: when a slot frees
	// up is not known.
	busyRetry   = 10 * time.Second
	casAttempts = 40
	// answerWithin bounds the wait for NATS; past it the action goes
	// through (failOpen).
	answerWithin = 3 * time.Second
)

// Counter takes and releases slots in NATS. A nil *Counter limits nothing.
// It is safe for concurrent use.
type Counter struct {
	bus    *bus.Bus
	js     jetstream.JetStream
	stream jetstream.Stream
	prefix string // of every slot's subject (streamIn)
	// Rules are the limits in force.
	Rules Rules
}

// streamIn is the limits stream of a node of region, and the prefix of
// its subjects: LM_LIMITS with one region (region ""). With more, each
// region counts in a stream of its own, LM_LIMITS_<region>, placed in its
// own NATS cluster: the regions share one JetStream domain, and one stream
// for all of them would put a cross-region round trip — or, cut off, no
// answer at all — into every socket's lease and every rate-limited action
// of the regions it is not placed in. An abuser spread over regions meets
// each region's limits. Limits are soft state: they are kept on disk with
// the bus's replicas so that they survive a NATS restart and a lost
// server, and re-created empty when NATS lost them.
func streamIn(region string) (jetstream.StreamConfig, string) {
	cfg := jetstream.StreamConfig{
		Name:              streamName,
		Subjects:          []string{subjectPre + ">"},
		MaxMsgsPerSubject: 1,
		AllowMsgTTL:       true,
		Discard:           jetstream.DiscardOld,
		// Reads go straight to the stream, not through the JetStream API
		// queue, which backs up under load; a stale read only fails the
		// compare-and-set, which then reads again.
		AllowDirect: true,
	}
	if region == "" {
		return cfg, subjectPre
	}
	// Not under lm.limits.>: streams of one domain may not share subjects.
	prefix := "lm.rlimits." + region + "."
	cfg.Name, cfg.Subjects = streamName+"_"+region, []string{prefix + ">"}
	cfg.Placement = &jetstream.Placement{Cluster: region}
	return cfg, prefix
}

// Open creates (or updates) the LM_LIMITS stream on b (file storage,
// b.Replicas copies) and re-creates it whenever NATS comes back without
// it.
func Open(ctx context.Context, b *bus.Bus, rules Rules) (*Counter, error) {
	return OpenIn(ctx, b, rules, "")
}

// OpenIn is Open for a node of region, one of several (streamIn); region
// "" is Open.
func OpenIn(ctx context.Context, b *bus.Bus, rules Rules, region string) (*Counter, error) {
	cfg, prefix := streamIn(region)
	st, err := b.Stream(ctx, cfg, bus.Soft)
	if err != nil {
		return nil, fmt.Errorf("open limits stream: %w", err)
	}
	c := &Counter{bus: b, js: b.JS, stream: st, prefix: prefix, Rules: rules}
	if b.Alone() {
		// The stream is on disk, but nothing is open on a node that just
		// started: the leases its previous process held (sockets, carts)
		// died with it. Rate-limit slots stay.
		for _, r := range []Rule{rules.AccountSockets, rules.GuestSockets, rules.CartStreams} {
			if r.Name == "" {
				continue
			}
			if err := st.Purge(ctx, jetstream.WithPurgeSubject(prefix+r.Name+".>")); err != nil {
				return nil, fmt.Errorf("release the previous process's leases: %w", err)
			}
		}
	}
	b.OnRecover(cfg.Name, func(ctx context.Context) error {
		_, err := b.Stream(ctx, cfg, bus.Soft)
		return err
	})
	return c, nil
}

// slot is one counted thing: an event of a rate limit or a lease.
type slot struct {
	ID  string `json:"id"`
	Exp int64  `json:"exp"` // unix milliseconds
}

// Refused is the error of a limit that said no: apperr.RateLimited with a
// message saying how long to wait, and that wait for Retry-After.
func refused(r Rule, wait time.Duration) error {
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	e := apperr.New(apperr.RateLimited, r.Message, secs)
	e.RetryAfter = time.Duration(secs) * time.Second
	return e
}

// Take counts one event of the rate limit r for key, or refuses with
// apperr.RateLimited (RetryAfter set) when key has had r.Max events in the
// last r.Per. When NATS does not answer it lets the event through (and
// logs it).
func (c *Counter) Take(ctx context.Context, r Rule, key string) error {
	if c == nil || r.Max < 1 {
		return nil
	}
	if r.Per <= 0 {
		return fmt.Errorf("limits: Take on concurrent rule %s", r.Name)
	}
	return c.update(ctx, r, key, func(slots []slot, now time.Time) ([]slot, error) {
		if len(slots) >= r.Max {
			return nil, refused(r, time.UnixMilli(oldest(slots)).Sub(now))
		}
		return append(slots, slot{ID: newID(), Exp: now.Add(r.Per).UnixMilli()}), nil
	})
}

// Lease is a held slot of a concurrent limit. Keep refreshes it until its
// context ends, then releases it; a lease nobody keeps expires after
// LeaseTTL.
type Lease struct {
	c   *Counter
	r   Rule
	key string
	id  string
}

// Hold takes a slot of the concurrent limit r for key, or refuses with
// apperr.RateLimited when key holds r.Max already. The slot lasts LeaseTTL
// unless Keep refreshes it. Hold returns a usable no-op lease when c is nil
// or r is off.
func (c *Counter) Hold(ctx context.Context, r Rule, key string) (*Lease, error) {
	l := &Lease{c: c, r: r, key: key, id: newID()}
	if c == nil || r.Max < 1 {
		l.c = nil
		return l, nil
	}
	err := c.update(ctx, r, key, func(slots []slot, now time.Time) ([]slot, error) {
		if len(slots) >= r.Max {
			return nil, refused(r, busyRetry)
		}
		return append(slots, slot{ID: l.id, Exp: now.Add(LeaseTTL).UnixMilli()}), nil
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// Keep refreshes the lease until ctx ends, then releases it. It blocks:
// run it in the goroutine that owns the held thing, or go l.Keep(ctx).
func (l *Lease) Keep(ctx context.Context) {
	if l == nil || l.c == nil {
		return
	}
	defer l.Release()
	t := time.NewTicker(leaseRefresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			err := l.c.update(context.Background(), l.r, l.key, func(slots []slot, now time.Time) ([]slot, error) {
				exp := now.Add(LeaseTTL).UnixMilli()
				for i := range slots {
					if slots[i].ID == l.id {
						slots[i].Exp = exp
						return slots, nil
					}
				}
				// Lost (NATS restarted): the thing is open, so it counts again.
				return append(slots, slot{ID: l.id, Exp: exp}), nil
			})
			if err != nil {
				slog.Warn("refresh limit lease", "rule", l.r.Name, "err", err)
			}
		}
	}
}

// Release gives the slot back. Releasing twice, or a nil lease, is harmless.
func (l *Lease) Release() {
	if l == nil || l.c == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := l.c.update(ctx, l.r, l.key, func(slots []slot, _ time.Time) ([]slot, error) {
		out := slots[:0]
		for _, s := range slots {
			if s.ID != l.id {
				out = append(out, s)
			}
		}
		return out, nil
	})
	if err != nil {
		// Harmless: the slot lapses after LeaseTTL (at shutdown NATS is
		// often gone before the last sockets).
		slog.Debug("release limit lease", "rule", l.r.Name, "err", err)
	}
}

// Count returns how many live slots key holds under r (tests, metrics).
func (c *Counter) Count(ctx context.Context, r Rule, key string) (int, error) {
	slots, _, err := c.load(ctx, c.subject(r, key))
	if err != nil {
		return 0, err
	}
	return len(prune(slots, time.Now())), nil
}

// subject is the NATS subject of one key under one rule. The key is hashed:
// client addresses and ids may hold dots and colons.
func (c *Counter) subject(r Rule, key string) string {
	sum := sha256.Sum256([]byte(key))
	return c.prefix + r.Name + "." + hex.EncodeToString(sum[:16])
}

func (c *Counter) load(ctx context.Context, subj string) ([]slot, uint64, error) {
	msg, err := c.stream.GetLastMsgForSubject(ctx, subj)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	var slots []slot
	if json.Unmarshal(msg.Data, &slots) != nil {
		slots = nil // unreadable: start afresh rather than lock the key out
	}
	return slots, msg.Sequence, nil
}

// update applies f to key's live slots and writes the result, conditioned
// on nobody having written in between; it retries on a lost race. An error
// from f is returned as is, with nothing written.
func (c *Counter) update(ctx context.Context, r Rule, key string, f func([]slot, time.Time) ([]slot, error)) error {
	if !c.bus.Conn.IsConnected() {
		return c.failOpen(r, nats.ErrConnectionReconnecting) // at once: NATS is away
	}
	subj := c.subject(r, key)
	ctx, cancel := context.WithTimeout(ctx, answerWithin)
	defer cancel()
	for attempt := 0; attempt < casAttempts; attempt++ {
		slots, seq, err := c.load(ctx, subj)
		if err != nil {
			return c.failOpen(r, err)
		}
		now := time.Now()
		next, err := f(prune(slots, now), now)
		if err != nil {
			return err
		}
		data, err := json.Marshal(next)
		if err != nil {
			return err
		}
		ttl := time.Second
		for _, s := range next {
			if d := time.UnixMilli(s.Exp).Sub(now); d > ttl {
				ttl = d
			}
		}
		ttl = ttl.Truncate(time.Second) + time.Second
		_, err = c.js.Publish(ctx, subj, data, jetstream.WithMsgTTL(ttl), jetstream.WithExpectLastSequencePerSubject(seq))
		if err == nil {
			return nil
		}
		var apiErr *jetstream.APIError
		if !errors.As(err, &apiErr) || (apiErr.ErrorCode != jetstream.JSErrCodeStreamWrongLastSequence && apiErr.ErrorCode != jetstream.JSErrCodeStreamWrongLastSequenceConstant) {
			return c.failOpen(r, err)
		}
		// Lost the race: wait a little, at random, and read again.
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(2+attempt)))
		select {
		case <-ctx.Done():
			return c.failOpen(r, ctx.Err())
		case <-time.After(time.Duration(n.Int64()+1) * time.Millisecond):
		}
	}
	return refused(r, time.Second)
}

// failOpen lets the action through when NATS does not answer in time: the
// limits are a defence against abuse, and a slow or restarting NATS must not
// lock every shopper out. A lease taken this way counts again at its first
// refresh.
func (c *Counter) failOpen(r Rule, err error) error {
	c.bus.Trouble(err)
	if !errors.Is(err, nats.ErrConnectionClosed) && !errors.Is(err, nats.ErrConnectionDraining) {
		slog.Warn("limits: NATS did not answer, letting the action through", "rule", r.Name, "err", err)
	}
	return nil
}

// prune drops the slots that have expired.
func prune(slots []slot, now time.Time) []slot {
	ms := now.UnixMilli()
	out := slots[:0:0]
	for _, s := range slots {
		if s.Exp > ms {
			out = append(out, s)
		}
	}
	return out
}

func oldest(slots []slot) int64 {
	min := int64(math.MaxInt64)
	for _, s := range slots {
		if s.Exp < min {
			min = s.Exp
		}
	}
	return min
}

func newID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}
