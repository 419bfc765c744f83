package app_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
)

// TestStoreAgentsOnOneNodeFollowSignInsOnTheOther: routing on node B
// pairs shoppers with the store's agents as B keeps them (for an hour here,
// so only the announcements can refresh them): an agent's sign-in on a new
// device at node A, and the sign-out there, show on B as soon as NATS
// delivers the announcement, while a change nobody announced does not.
func TestStoreAgentsOnOneNodeFollowSignInsOnTheOther(t *testing.T) {
	nodeA, nodeB := twoNodes(t, func(c *config.Config) { c.LookupCacheTTL = time.Hour })
	baseA := apptest.ServeOnLoopback(t, nodeA)
	var storeID int64
	if err := nodeA.DB.Raw("SELECT id FROM stores WHERE slug = ?", apptest.RoutingStore).Scan(&storeID).Error; err != nil || storeID == 0 {
		t.Fatalf("store %s: %v", apptest.RoutingStore, err)
	}
	agent := apptest.AgentOf(t, nodeA, apptest.RoutingStore, "Desk Agent")
	id := agent.AccountID()
	// What node B would ring: the agent's name and the labels of their
	// devices online now ("" when the agent is not reachable).
	onB := func() (name, labels string) {
		got, err := nodeB.Directory.ReachableAgents(t.Context(), storeID)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range got {
			if a.AccountID != id {
				continue
			}
			var l []string
			for _, d := range a.Devices {
				l = append(l, d.Label)
			}
			slices.Sort(l)
			return a.Name, strings.Join(l, ",")
		}
		return "", ""
	}
	shows := func(what, want string) {
		t.Helper()
		apptest.WaitFor(t, 3*time.Second, what, func() bool { _, l := onB(); return l == want })
	}

	agent.OpenSocket(baseA)
	shows("the agent's desk reachable on node B", apptest.LabelComputer)

	// Renamed behind the directory's back: B keeps what it read.
	if err := nodeA.DB.Exec("UPDATE accounts SET name = ? WHERE id = ?", "Unannounced", id).Error; err != nil {
		t.Fatal(err)
	}
	if name, _ := onB(); name != "Desk Agent" {
		t.Fatalf("node B read the store's agents again at once (%q): the test shows nothing about the cache", name)
	}

	// A sign-in on a phone at A: B rings both devices.
	agent.UseBrowser("phone", apptest.UAPhone)
	if r := agent.SignIn(); r.Status != 200 {
		t.Fatalf("sign in on the phone: %d %s", r.Status, r.Body)
	}
	agent.OpenSocket(baseA) // the phone's socket stays open to the end
	want := []string{apptest.LabelComputer, apptest.LabelPhone}
	slices.Sort(want)
	shows("both of the agent's devices on node B after the sign-in at node A", strings.Join(want, ","))
	if name, _ := onB(); name != "Unannounced" {
		t.Fatalf("node B after the sign-in names the agent %q: it did not read the store's agents again", name)
	}

	// A sign-out on the phone at A, its socket still open: B no longer
	// rings it.
	agent.Must(204, "POST", "/api/v1/auth/signout", nil)
	shows("the desk alone on node B after the sign-out at node A", apptest.LabelComputer)
}
