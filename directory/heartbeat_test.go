package directory_test

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
)

// TestHeartbeatsReadNoDeviceAccounts checks that a heartbeat re-announces
// its device from what the connection keeps, with no database query, and
// that a sign-in or sign-out on the device still reaches its open socket
// at once (not at its next heartbeat).
func TestHeartbeatsReadNoDeviceAccounts(t *testing.T) {
	a := apptest.New(t, func(c *config.Config) { c.Heartbeat, c.PresenceTTL = time.Hour, 2 * time.Hour })
	base := apptest.ServeOnLoopback(t, a)
	var reads atomic.Int64
	err := a.DB.Callback().Query().After("gorm:query").Register("count_device_accounts", func(tx *gorm.DB) {
		if strings.Contains(tx.Statement.SQL.String(), "device_accounts") {
			reads.Add(1)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	caller := apptest.Member(t, a, "Cora Caller")
	mum := apptest.NewClient(t, a)
	mum.UA = apptest.UATablet
	mum.SignUp("Mum", "mum.hb@example.com", "1970-01-01")
	mumNum := mum.MyNumber()
	ws := mum.OpenSocket(base) // the tablet's one socket, opened by mum
	apptest.WaitFor(t, 3*time.Second, "mum online", func() bool { return apptest.Devices(caller.Resolve(mumNum)) == apptest.LabelTablet })

	before := reads.Load()
	for range 20 {
		ws.Send("heartbeat", "")
	}
	ws.Send("presence.set", `{"state":"away"}`) // answered in order: every heartbeat before it is done
	apptest.WaitFor(t, 3*time.Second, "mum away", func() bool { return caller.Resolve(mumNum).State == "away" })
	if n := reads.Load() - before; n != 0 {
		t.Fatalf("20 heartbeats read device_accounts %d times, want 0", n)
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
