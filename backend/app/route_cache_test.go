package app_test

import (
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
)

// TestLookupOnOneNodeFollowsChangesMadeOnTheOther: node B answers look-ups
// of a member's number from the route it keeps (for an hour here, so only
// the announcements can refresh it), and every change made on node A —
// a sign-in on a new device, a new ring mode, a sign-out, a rename — shows
// on B as soon as NATS delivers the announcement.
func TestLookupOnOneNodeFollowsChangesMadeOnTheOther(t *testing.T) {
	nodeA, nodeB := twoNodes(t, func(c *config.Config) { c.LookupCacheTTL = time.Hour })
	baseA := apptest.ServeOnLoopback(t, nodeA)
	ann := apptest.Member(t, nodeB, "Ann Looker")
	m := apptest.Member(t, nodeA, "Two Devices")
	num, id := m.MyNumber(), m.AccountID()
	lookup := func() string { return apptest.Devices(ann.Resolve(num)) }
	shows := func(what, want string) {
		t.Helper()
		apptest.WaitFor(t, 3*time.Second, what, func() bool { return lookup() == want })
	}

	m.OpenSocket(baseA)
	shows("the laptop ringing on node B", apptest.LabelComputer)

	// A sign-in on the phone at A: B's route lists the phone, the newest.
	m.UseBrowser("phone", apptest.UAPhone)
	if r := m.SignIn(); r.Status != 200 {
		t.Fatalf("sign in on the phone: %d %s", r.Status, r.Body)
	}
	m.OpenSocket(baseA)
	shows("the phone ringing instead on node B after the sign-in at node A", apptest.LabelPhone)

	// Ring-all at A.
	m.Must(200, "PATCH", "/api/v1/directory/me", `{"ringMode":"all"}`)
	shows("both devices on node B after ring-all at node A", apptest.LabelPhone+","+apptest.LabelComputer)

	// Changed behind the directory's back: B still answers from its route.
	if err := nodeA.DB.Exec("UPDATE member_profiles SET name = ? WHERE account_id = ?", "Unannounced", id).Error; err != nil {
		t.Fatal(err)
	}
	if r := ann.Resolve(num); r.Party.Name != "Two Devices" {
		t.Fatalf("node B read the route again at once (%q): the test shows nothing about the cache", r.Party.Name)
	}

	// A sign-out on the phone at A: the laptop alone, with the name read again.
	m.Must(204, "POST", "/api/v1/auth/signout", nil)
	shows("the laptop alone on node B after the sign-out at node A", apptest.LabelComputer)
	if r := ann.Resolve(num); r.Party.Name != "Unannounced" {
		t.Fatalf("node B after the sign-out shows the name %q: it did not read the route again", r.Party.Name)
	}

	// A rename at A (announced by auth).
	if _, err := nodeA.Auth.Rename(t.Context(), id, "Two Renamed"); err != nil {
		t.Fatal(err)
	}
	apptest.WaitFor(t, 3*time.Second, "the new name on node B", func() bool { return ann.Resolve(num).Party.Name == "Two Renamed" })
}
