package directory_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
)

// TestHeartbeatsReadNoDeviceAccounts checks that a heartbeat re-announces
// its device from what the connection keeps, with no database query (nor
// one to work out, for the watchers, a state that did not move), and
// that a sign-in or sign-out on the device still reaches its open socket
// at once (not at its next heartbeat).
func TestHeartbeatsReadNoDeviceAccounts(t *testing.T) {
	a := apptest.New(t, func(c *config.Config) { c.Heartbeat, c.PresenceTTL = time.Hour, 2*time.Hour })
	base := apptest.ServeOnLoopback(t, a)
	var reads, queries atomic.Int64
	stop := a.DB.WatchReads(func(sql string) {
		if strings.Contains(sql, "agent_states") || strings.Contains(sql, "queue_entries") {
			// The contact center's timer sweep (every second, on its
			// own): neither presence's nor a heartbeat's.
			return
		}
		queries.Add(1)
		if strings.Contains(sql, "device_accounts") {
			reads.Add(1)
		}
	})
	t.Cleanup(stop)
	caller := apptest.Member(t, a, "Cora Caller")
	mum := apptest.NewClient(t, a)
	mum.UA = apptest.UATablet
	mum.SignUp("Mum", "mum.hb@example.com", "1970-01-01")
	mumNum, mumID := mum.MyNumber(), mum.AccountID()
	watcher := caller.OpenSocket(base) // the caller watches the directory: a state change is computed for watchers
	watcher.Send("directory.watch", "")
	ws := mum.OpenSocket(base) // the tablet's one socket, opened by mum
	apptest.WaitFor(t, 3*time.Second, "mum online", func() bool { return apptest.Devices(caller.Resolve(mumNum)) == apptest.LabelTablet })

	// One change of state costs the watchers this many queries.
	settle(&queries)
	q0 := queries.Load()
	ws.Send("presence.set", `{"state":"away"}`)
	expectPresence(t, watcher, mumID, "away")
	ws.Send("presence.set", `{"state":"available"}`)
	expectPresence(t, watcher, mumID, "available")
	settle(&queries)
	oneChange := (queries.Load() - q0) / 2

	before, q0 := reads.Load(), queries.Load()
	written := presenceWrites(t, a)
	for range 20 {
		ws.Send("heartbeat", "")
	}
	ws.Send("presence.set", `{"state":"away"}`) // answered in order: every heartbeat before it is done
	expectPresence(t, watcher, mumID, "away")
	// The heartbeats wrote nothing to NATS: the change wrote one record.
	if n := presenceWrites(t, a) - written; n != 1 {
		t.Fatalf("20 heartbeats and one change wrote %d presence messages, want 1 (the change)", n)
	}
	if n := reads.Load() - before; n > 1 { // the state that moved is worked out once
		t.Fatalf("20 heartbeats and one change read device_accounts %d times, want at most 1", n)
	}
	t.Logf("queries: one change %d, 20 heartbeats and one change %d", oneChange, queries.Load()-q0)
	if n := queries.Load() - q0; n > oneChange {
		t.Fatalf("20 heartbeats and one change of state made %d queries; one change alone makes %d", n, oneChange)
	}
	if r := caller.Resolve(mumNum); r.State != "away" {
		t.Fatalf("mum after setting away: %+v", r)
	}

	// The kid signs in on the tablet: mum's open socket carries the kid's
	// number too, at once, with the heartbeat an hour away.
	kid := mum.SameBrowser()
	kid.SignUp("Kid", "kid.hb@example.com", "2000-01-01")
	kidNum := kid.MyNumber()
	apptest.WaitFor(t, 3*time.Second, "the kid reachable on the open socket", func() bool {
		return apptest.Devices(caller.Resolve(kidNum)) == apptest.LabelTablet
	})
	// The kid signs out: the socket no longer carries the kid; mum stays.
	kid.Must(204, "POST", "/api/v1/auth/signout", nil)
	apptest.WaitFor(t, 3*time.Second, "the kid offline after signing out", func() bool {
		return caller.Resolve(kidNum).State == "offline"
	})
	if r := caller.Resolve(mumNum); r.State != "away" {
		t.Fatalf("mum after the kid signed out: %+v", r)
	}
}

// settle waits until no query has run for 300 ms (for at most 10 s): the
// work a change sets off for the watchers runs after the change's own
// event reaches them, and must not be counted in the next window.
func settle(queries *atomic.Int64) {
	deadline := time.Now().Add(10 * time.Second)
	for last := queries.Load(); time.Now().Before(deadline); {
		time.Sleep(300 * time.Millisecond)
		n := queries.Load()
		if n == last {
			return
		}
		last = n
	}
}

// expectPresence waits for the watcher's presence event of the account
// with the state. Events of other accounts (the watch's first listing of
// the caller, which can arrive after a change made since) are passed over.
func expectPresence(t *testing.T, ws *apptest.Socket, accountID, state string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if m := ws.Next(); m.Type == "presence" && strings.Contains(string(m.Data), `"accountId":"`+accountID+`"`) && strings.Contains(string(m.Data), `"state":"`+state+`"`) {
			return
		}
	}
	t.Fatalf("no presence event %q for %s", state, accountID)
}

// presenceWrites returns how many messages the presence bucket's stream
// has taken so far.
func presenceWrites(t *testing.T, a *app.App) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := a.Bus.JS.Stream(ctx, "KV_presence")
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info.State.LastSeq
}
