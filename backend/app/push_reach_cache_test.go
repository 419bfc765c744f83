package app_test

import (
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
	"github.com/livemall/livemall/push/pushtest"
)

// TestPushReachChangedOnOneNodeShowsOnTheOther: node B caches whether a
// member takes pushes when it resolves their number; a member who turns
// push on or off on node A shows so on B as soon as NATS delivers A's
// touch. That B answers from its cache is shown first: a subscription
// deleted behind push's back (no announcement) still shows. Each check
// polls for at most a second, inside the cache's 5 s TTL counted from B's
// read just before the change, so only the announcement can make it pass.
func TestPushReachChangedOnOneNodeShowsOnTheOther(t *testing.T) {
	nodeA, nodeB := twoNodes(t, func(c *config.Config) { c.PushAllowLocalEndpoints = true })
	ps := pushtest.NewService(t, nodeA.Push.PublicKey())
	bob := apptest.Member(t, nodeA, "Bob Pushed")
	ann := apptest.Member(t, nodeB, "Ann Resolver")
	num := bob.MyNumber()
	state := func() string { return string(ann.Resolve(num).State) }
	shows := func(what, want string) {
		t.Helper()
		apptest.WaitFor(t, time.Second, what, func() bool { return state() == want })
	}

	// B reads Bob as offline (and keeps it); Bob turns push on at A.
	if st := state(); st != "offline" {
		t.Fatalf("Bob without app and push is %s on node B, want offline", st)
	}
	endpoint, browser := ps.Endpoint("bob")
	bob.Must(200, "PUT", "/api/v1/push/subscription", browser.Subscription(endpoint))
	shows("Bob reachable by push on node B after he turned push on at node A", "push")

	// Deleted behind push's back: B still answers from its cache.
	if err := nodeA.DB.Exec("DELETE FROM push_subscriptions WHERE account_id = ?", bob.AccountID()).Error; err != nil {
		t.Fatal(err)
	}
	if st := state(); st != "push" {
		t.Fatalf("node B read push's table again at once (%s): the test shows nothing about the cache", st)
	}

	// Push on again, B reads it; push off at A shows on B at once.
	bob.Must(200, "PUT", "/api/v1/push/subscription", browser.Subscription(endpoint))
	if st := state(); st != "push" {
		t.Fatalf("Bob after turning push on again: %s on node B, want push", st)
	}
	bob.Must(200, "DELETE", "/api/v1/push/subscription", nil)
	shows("Bob offline on node B after he turned push off at node A", "offline")
}
