package limits

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/bus"
)

// openCounters returns n counters on one embedded NATS, each on its own
// connection, as n nodes would have.
func openCounters(t *testing.T, n int, rules Rules) []*Counter {
	t.Helper()
	ns := startNATS(t)
	t.Cleanup(ns.Shutdown)
	var out []*Counter
	for i := 0; i < n; i++ {
		out = append(out, openCounter(t, ns, rules))
	}
	return out
}

// startNATS runs a NATS server with JetStream on a random loopback port.
func startNATS(t *testing.T) *server.Server {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS did not start")
	}
	return ns
}

// openCounter opens a counter on its own connection to ns, as a node would.
func openCounter(t *testing.T, ns *server.Server, rules Rules) *Counter {
	t.Helper()
	b, err := bus.Open(context.Background(), bus.Config{URL: ns.ClientURL(), Name: "limits-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	c, err := Open(context.Background(), b, rules)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCounterRacesNeverOverfill: many takers on several connections race
// for the slots of one key; exactly Max win, the rest are refused with a
// Retry-After within the window.
func TestCounterRacesNeverOverfill(t *testing.T) {
	rate := Rule{Name: "race", Max: 5, Per: time.Minute, Message: "wait %d s"}
	counters := openCounters(t, 3, Rules{})
	var won, refused atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 24; i++ {
		wg.Add(1)
		go func(c *Counter) {
			defer wg.Done()
			err := c.Take(context.Background(), rate, "203.0.113.1")
			switch {
			case err == nil:
				won.Add(1)
			case apperr.Is(err, apperr.RateLimited):
				if d := apperr.RetryAfter(err); d < time.Second || d > time.Minute {
					t.Errorf("Retry-After %v outside (0, 1m]", d)
				}
				refused.Add(1)
			default:
				t.Errorf("take: %v", err)
			}
		}(counters[i%3])
	}
	wg.Wait()
	if won.Load() != 5 || refused.Load() != 19 {
		t.Fatalf("%d won, %d refused; want 5 and 19", won.Load(), refused.Load())
	}
	if n, _ := counters[0].Count(context.Background(), rate, "203.0.113.1"); n != 5 {
		t.Fatalf("count %d, want 5", n)
	}
	if err := counters[1].Take(context.Background(), rate, "203.0.113.2"); err != nil {
		t.Fatalf("another key is counted apart: %v", err)
	}
}

// TestLeasesHoldAndRelease: a concurrent limit counts held leases across
// counters; releasing one (or the end of Keep's context) frees its slot;
// an off rule or a nil counter limits nothing.
func TestLeasesHoldAndRelease(t *testing.T) {
	open := Rule{Name: "open", Max: 2, Message: "wait %d s"}
	cs := openCounters(t, 2, Rules{})
	ctx := context.Background()
	l1, err := cs[0].Hold(ctx, open, "g:1")
	if err != nil {
		t.Fatal(err)
	}
	keep, stop := context.WithCancel(ctx)
	l2, err := cs[1].Hold(ctx, open, "g:1")
	if err != nil {
		t.Fatal(err)
	}
	kept := make(chan struct{})
	go func() { l2.Keep(keep); close(kept) }()
	if _, err := cs[0].Hold(ctx, open, "g:1"); !apperr.Is(err, apperr.RateLimited) || apperr.RetryAfter(err) < time.Second {
		t.Fatalf("third lease: %v, want rate_limited with Retry-After", err)
	}
	l1.Release()
	l1.Release() // twice is harmless
	l3, err := cs[1].Hold(ctx, open, "g:1")
	if err != nil {
		t.Fatalf("after a release: %v", err)
	}
	stop()
	<-kept
	if n, _ := cs[0].Count(ctx, open, "g:1"); n != 1 {
		t.Fatalf("after Keep ended: %d held, want 1 (l3)", n)
	}
	l3.Release()

	var nilCounter *Counter
	if l, err := nilCounter.Hold(ctx, open, "x"); err != nil || l == nil {
		t.Fatalf("nil counter: %v", err)
	}
	if err := cs[0].Take(ctx, Rule{Name: "off", Per: time.Minute}, "x"); err != nil {
		t.Fatalf("off rule: %v", err)
	}
}

// TestCounterLetsThroughWhenNATSDoesNotAnswer: with NATS gone, limits let
// actions through (within answerWithin) rather than lock everyone out.
func TestCounterLetsThroughWhenNATSDoesNotAnswer(t *testing.T) {
	ns := startNATS(t)
	c := openCounter(t, ns, Rules{})
	ns.Shutdown()
	start := time.Now()
	if err := c.Take(context.Background(), Rule{Name: "r", Max: 1, Per: time.Minute}, "k"); err != nil {
		t.Fatalf("take without NATS: %v, want let through", err)
	}
	if l, err := c.Hold(context.Background(), Rule{Name: "h", Max: 1}, "k"); err != nil || l == nil {
		t.Fatalf("hold without NATS: %v, want let through", err)
	}
	if d := time.Since(start); d > 2*answerWithin+time.Second {
		t.Fatalf("took %v to let through", d)
	}
}

// TestAStartingNodeAloneOnItsNATSReleasesItsOldLeases: limits live on
// disk, so they survive a restart of a node with an embedded NATS; the
// leases its previous process held (its sockets died with it) are
// released at start, while rate-limit slots still count.
func TestAStartingNodeAloneOnItsNATSReleasesItsOldLeases(t *testing.T) {
	dir := t.TempDir()
	rules := Rules{AccountSockets: Rule{Name: "account-sockets", Max: 2, Message: "wait %d s"}, GuestDials: Rule{Name: "guest-dials", Max: 2, Per: time.Hour, Message: "wait %d s"}}
	open := func() (*bus.Bus, *Counter) {
		b, err := bus.Open(context.Background(), bus.Config{DataDir: dir, Name: "limits-test"})
		if err != nil {
			t.Fatal(err)
		}
		c, err := Open(context.Background(), b, rules)
		if err != nil {
			b.Close()
			t.Fatal(err)
		}
		return b, c
	}
	ctx := context.Background()
	b, c := open()
	if _, err := c.Hold(ctx, rules.AccountSockets, "acct"); err != nil {
		t.Fatal(err)
	}
	if err := c.Take(ctx, rules.GuestDials, "guest"); err != nil {
		t.Fatal(err)
	}
	b.Close() // the lease is never released: the process ends
	b, c = open()
	defer b.Close()
	if n, err := c.Count(ctx, rules.AccountSockets, "acct"); err != nil || n != 0 {
		t.Fatalf("leases after the restart: %d %v, want 0", n, err)
	}
	if n, err := c.Count(ctx, rules.GuestDials, "guest"); err != nil || n != 1 {
		t.Fatalf("rate slots after the restart: %d %v, want 1 (on disk)", n, err)
	}
}

// TestEachRegionCountsInItsOwnStream: a node of one region of several
// counts in LM_LIMITS_<region>, asked to be placed in its region's cluster
// (a lone server, as here, places it anyway; tests/regions run the real
// clusters), on subjects of its own: beside a LM_LIMITS of before (one
// domain holds both), a region's leases are its own.
func TestEachRegionCountsInItsOwnStream(t *testing.T) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true,
		ServerName: "a1", Cluster: server.ClusterOpts{Name: "a"}})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	t.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS did not start")
	}
	b, err := bus.Open(context.Background(), bus.Config{URL: ns.ClientURL(), Name: "limits-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	ctx := context.Background()
	plain, err := Open(ctx, b, Rules{})
	if err != nil {
		t.Fatal(err)
	}
	regional, err := OpenIn(ctx, b, Rules{}, "a")
	if err != nil {
		t.Fatalf("open region a's limits beside LM_LIMITS: %v", err)
	}
	info, err := regional.stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Name != "LM_LIMITS_a" || info.Config.Placement == nil || info.Config.Placement.Cluster != "a" ||
		len(info.Config.Subjects) != 1 || info.Config.Subjects[0] != "lm.rlimits.a.>" {
		t.Fatalf("region a's stream: %s placed %+v on %v", info.Config.Name, info.Config.Placement, info.Config.Subjects)
	}
	open := Rule{Name: "open", Max: 1, Message: "wait %d s"}
	if _, err := regional.Hold(ctx, open, "g:1"); err != nil {
		t.Fatal(err)
	}
	if _, err := regional.Hold(ctx, open, "g:1"); !apperr.Is(err, apperr.RateLimited) {
		t.Fatalf("region a's second lease: %v, want rate_limited", err)
	}
	if n, err := plain.Count(ctx, open, "g:1"); err != nil || n != 0 {
		t.Fatalf("LM_LIMITS holds %d of region a's leases (%v), want 0", n, err)
	}
}
