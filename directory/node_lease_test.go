package directory_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
	"github.com/livemall/livemall/directory"
)

// TestRecordsOfANodeThatIsGoneArePurged writes presence records for two
// nodes that are not running: "ghost" holds a lease that is never renewed,
// "orphan" none at all (it died while nobody watched). Their members are
// online at first; once the ghost's lease lapses the live node purges its
// record, and the orphan's after a whole TTL without a lease. A member on
// the live node, who heartbeats, stays online throughout.
func TestRecordsOfANodeThatIsGoneArePurged(t *testing.T) {
	// A TTL long enough for the first look to find both online on a busy
	// machine.
	a := apptest.New(t, func(c *config.Config) { c.PresenceTTL, c.Heartbeat = 3*time.Second, time.Second })
	base := apptest.ServeOnLoopback(t, a)
	caller := apptest.Member(t, a, "Cora Lease")
	ghost, orphan := apptest.Member(t, a, "Gus Ghost"), apptest.Member(t, a, "Otto Orphan")
	live := apptest.Member(t, a, "Liv Live")
	ws := live.OpenSocket(base)
	done := make(chan struct{})
	defer close(done)
	go func() { // the live member's device heartbeats as a phone does
		for {
			select {
			case <-done:
				return
			case <-time.After(200 * time.Millisecond):
				ws.Send("heartbeat", "")
			}
		}
	}()

	// Each ghost's device connects once (so the directory knows it), then
	// leaves.
	ghostNum, orphanNum, liveNum := ghost.MyNumber(), orphan.MyNumber(), live.MyNumber()
	for _, m := range []struct {
		c   *apptest.Client
		num string
	}{{ghost, ghostNum}, {orphan, orphanNum}} {
		s := m.c.OpenSocket(base)
		apptest.WaitFor(t, 3*time.Second, "the device online", func() bool { return caller.Resolve(m.num).State == directory.StateAvailable })
		s.Conn.Close()
		apptest.WaitFor(t, 3*time.Second, "the device offline", func() bool { return caller.Resolve(m.num).State == directory.StateOffline })
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	publish(ctx, t, a, "_node."+hex.EncodeToString([]byte("ghost")), []byte("ghost"), jetstream.WithMsgTTL(4*time.Second))
	for _, m := range []struct {
		c    *apptest.Client
		node string
	}{{ghost, "ghost"}, {orphan, "orphan"}} {
		raw, _ := json.Marshal(directory.PresenceRecord{DeviceID: m.c.Device, ConnID: "c1", Node: m.node,
			State: directory.StateAvailable, Accounts: []string{accountID(t, m.c)}, At: time.Now().UTC()})
		publish(ctx, t, a, m.c.Device+".c1", raw)
	}
	apptest.WaitFor(t, 3*time.Second, "the ghost and the orphan online on their records", func() bool {
		return caller.Resolve(ghostNum).State == directory.StateAvailable && caller.Resolve(orphanNum).State == directory.StateAvailable
	})
	apptest.WaitFor(t, 15*time.Second, "the ghost offline once its lease lapsed", func() bool {
		return caller.Resolve(ghostNum).State == directory.StateOffline
	})
	apptest.WaitFor(t, 15*time.Second, "the orphan offline after a TTL without a lease", func() bool {
		return caller.Resolve(orphanNum).State == directory.StateOffline
	})
	if st := caller.Resolve(liveNum).State; st != directory.StateAvailable {
		t.Fatalf("the heartbeating member is %s, want available", st)
	}
}

// publish writes one message to the presence bucket.
func publish(ctx context.Context, t *testing.T, a *app.App, key string, value []byte, opts ...jetstream.PublishOpt) {
	t.Helper()
	if _, err := a.Bus.JS.Publish(ctx, "$KV.presence."+key, value, opts...); err != nil {
		t.Fatal(err)
	}
}

// accountID returns the signed-in account of c.
func accountID(t *testing.T, c *apptest.Client) string {
	var me struct{ Account struct{ ID string } }
	c.Must(200, "GET", "/api/v1/me", nil).JSON(t, &me)
	return me.Account.ID
}
