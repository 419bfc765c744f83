package regions_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app/apptest"
)

// listed is one member of a region's listing.
type listed struct {
	AccountID string `json:"accountId"`
	Number    string `json:"number"`
	Region    string `json:"region"`
	State     string `json:"state"`
}

// listing asks c's node for its listing with query (and online=true when
// onlineOnly).
func listing(t *testing.T, c *apptest.Client, query string, onlineOnly bool) []listed {
	t.Helper()
	path := "/api/v1/directory?q=" + query
	if onlineOnly {
		path += "&online=true"
	}
	r := c.Do("GET", path, nil)
	if r.Status != 200 {
		t.Fatalf("GET %s on %s: %d %s", path, c.Remote, r.Status, r.Body)
	}
	var page struct {
		Members []listed `json:"members"`
	}
	if err := jsonInto(r.Body, &page); err != nil {
		t.Fatal(err)
	}
	return page.Members
}

// expectPresence waits for a presence message about accountID with state
// on the watcher's socket, skipping any other message.
func expectPresence(t *testing.T, watcher *apptest.Phone, accountID, state string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case m, ok := <-watcher.Msgs:
			if !ok {
				t.Fatalf("the watcher's socket closed while waiting for %s %s", accountID, state)
			}
			if m.Type != "presence" {
				continue
			}
			var d struct {
				AccountID string `json:"accountId"`
				State     string `json:"state"`
			}
			if err := json.Unmarshal(m.Data, &d); err != nil {
				t.Fatalf("presence %s: %v", m.Data, err)
			}
			if d.AccountID == accountID && d.State == state {
				return
			}
		case <-deadline:
			t.Fatalf("the watcher got no presence %s of %s within %v", state, accountID, within)
		}
	}
}

// TestRegionSeesPresenceOfAMemberHomedElsewhere: a member homed in region c
// connects a device on c's node; a member of region a sees them available
// in resolve, in the listing (also among those online) and as a watcher's
// presence update, and offline when the device disconnects. Only the state
// crosses: region a holds no device of theirs. When the device goes
// during a partition between a and c, a shows them offline after the heal
// without anyone acting.
func TestRegionSeesPresenceOfAMemberHomedElsewhere(t *testing.T) {
	rg := startRegions(t, nodeFlags)
	carol := rg.joinRegion("c", "Carol Presentinc", "carol@c.example.com")
	rg.verify(carol)
	alice := rg.joinRegion("a", "Alice Watchesina", "alice@a.example.com")
	apptest.WaitFor(t, 60*time.Second, "region a to resolve c's member", func() bool {
		_, _, ok := resolve(t, alice.c, carol.number)
		return ok
	})
	apptest.WaitFor(t, 60*time.Second, "region a to list c's member", func() bool {
		return len(listing(t, alice.c, "presentinc", false)) == 1
	})
	if res, body, _ := resolve(t, alice.c, carol.number); res.State != "offline" {
		t.Fatalf("c's member shows %s in a before any device connected: %s", res.State, body)
	}
	if l := listing(t, alice.c, "presentinc", true); len(l) != 0 {
		t.Fatalf("c's member listed online in a before any device connected: %+v", l)
	}

	watcher := apptest.NewPhone(t, alice.c, rg.Base("a"))
	watcher.Send("directory.watch", nil)
	phone := apptest.NewPhone(t, carol.c, rg.Base("c"))
	connected := time.Now()

	expectPresence(t, watcher, carol.id, "available", 60*time.Second)
	t.Logf("a's watcher saw c's member available %v after the device connected", time.Since(connected).Round(time.Millisecond))
	apptest.WaitFor(t, 30*time.Second, "a to resolve c's member available", func() bool {
		res, _, _ := resolve(t, alice.c, carol.number)
		return res.State == "available"
	})
	res, body, _ := resolve(t, alice.c, carol.number)
	if res.Party.Region != "c" || res.Party.AccountID != "" || len(res.Ring) != 0 || strings.Contains(body, "carol@") {
		t.Fatalf("a resolves c's member online as %s", body)
	}
	l := listing(t, alice.c, "presentinc", false)
	if len(l) != 1 || l[0].AccountID != carol.id || l[0].Region != "c" || l[0].State != "available" {
		t.Fatalf("a's listing of c's member online: %+v", l)
	}
	if l := listing(t, alice.c, "presentinc", true); len(l) != 1 || l[0].State != "available" {
		t.Fatalf("a's listing of those online: %+v", l)
	}
	// A watcher who starts watching now is told at once.
	late := apptest.NewPhone(t, alice.c, rg.Base("a"))
	late.Send("directory.watch", nil)
	expectPresence(t, late, carol.id, "available", 30*time.Second)
	late.Close()
	// Only the state crossed.
	var devices, presenceRows int
	rg.DB["a"].QueryRow(`SELECT COUNT(*) FROM device_accounts WHERE account_id = $1`, carol.id).Scan(&devices)
	rg.DB["a"].QueryRow(`SELECT COUNT(*) FROM accounts WHERE id = $1`, carol.id).Scan(&presenceRows)
	if devices != 0 || presenceRows != 0 {
		t.Fatalf("region a holds %d devices and %d accounts of c's member", devices, presenceRows)
	}

	phone.Close()
	gone := time.Now()
	expectPresence(t, watcher, carol.id, "offline", 60*time.Second)
	t.Logf("a's watcher saw c's member offline %v after the device disconnected", time.Since(gone).Round(time.Millisecond))
	apptest.WaitFor(t, 30*time.Second, "a to resolve c's member offline", func() bool {
		res, _, _ := resolve(t, alice.c, carol.number)
		return res.State == "offline"
	})
	if l := listing(t, alice.c, "presentinc", false); len(l) != 1 || l[0].State != "offline" {
		t.Fatalf("a's listing of c's member gone: %+v", l)
	}
	if l := listing(t, alice.c, "presentinc", true); len(l) != 0 {
		t.Fatalf("c's member still listed online in a: %+v", l)
	}

	// Online again, then gone during a partition between a and c.
	phone = apptest.NewPhone(t, carol.c, rg.Base("c"))
	expectPresence(t, watcher, carol.id, "available", 60*time.Second)
	rg.Partition("a", "c")
	phone.Close()
	// c itself sees its member offline during the cut.
	apptest.WaitFor(t, 30*time.Second, "c to resolve its own member offline during the cut", func() bool {
		res, _, _ := resolve(t, carol.c, carol.number)
		return res.State == "offline"
	})
	time.Sleep(3 * time.Second)
	// Nothing crossed the cut: a still answers with what it knew.
	if res, body, _ := resolve(t, alice.c, carol.number); res.State != "available" {
		t.Fatalf("a learned of the device gone through the cut: %s", body)
	}
	healed := time.Now()
	rg.Heal()
	expectPresence(t, watcher, carol.id, "offline", 90*time.Second)
	t.Logf("a's watcher saw c's member offline %v after the heal began", time.Since(healed).Round(time.Millisecond))
	apptest.WaitFor(t, 30*time.Second, "a to resolve c's member offline after the heal", func() bool {
		res, _, _ := resolve(t, alice.c, carol.number)
		return res.State == "offline"
	})
}
