package app_test

import (
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
)

// TestSessionEndedOnOneNodeIsRefusedOnTheOther: node B caches the
// sessions it has seen; a session that ends on node A (sign-out, revoke)
// is refused on node B as soon as NATS delivers A's announcement, and a
// rename on A shows on B as soon. That B really answers from its cache is
// shown first: a session deleted behind auth's back (no announcement) is
// still let in. Each check polls for at most a second, well inside the
// cache's 5 s TTL counted from B's read just before the change, so only
// the announcement can make it pass (it fails with announcements off).
func TestSessionEndedOnOneNodeIsRefusedOnTheOther(t *testing.T) {
	nodeA, nodeB := twoNodes(t)
	laptop := apptest.NewClient(t, nodeA)
	laptop.SignUp("Cora Cache", "cora@example.com", "1984-04-04")
	acc := laptop.AccountID()
	copyOn := func(node *app.App, from *apptest.Client) *apptest.Client {
		c := apptest.NewClient(t, node)
		for k, v := range from.Cookies {
			c.Cookies[k] = v
		}
		return c
	}
	onB := func(from *apptest.Client) *apptest.Client { return copyOn(nodeB, from) }
	refused := func(what string, c *apptest.Client) {
		t.Helper()
		apptest.WaitFor(t, time.Second, what+" refused", func() bool { return c.Do("GET", "/api/v1/me", nil).Status == 401 })
		apptest.Refused(t, what, c.Do("GET", "/api/v1/me", nil), 401, "unauthorized", "")
	}

	// A second browser signs in; node B caches its session; the row is
	// deleted without telling anyone, and B still lets it in.
	phone := apptest.NewClient(t, nodeA)
	phone.Cred, phone.Authr = laptop.Cred, laptop.Authr
	if r := phone.SignIn(); r.Status != 200 {
		t.Fatalf("second browser signs in: %d %s", r.Status, r.Body)
	}
	phoneOnB := onB(phone)
	phoneOnB.Must(200, "GET", "/api/v1/me", nil)
	if err := nodeA.DB.Exec("DELETE FROM sessions WHERE account_id = ?", acc).Error; err != nil {
		t.Fatal(err)
	}
	phoneOnB.Must(200, "GET", "/api/v1/me", nil)

	// The laptop signs in again (its session went with the rows above);
	// B caches it, then A revokes every session of the account: B refuses
	// both browsers at once.
	laptop.Cred.Counter = phone.Cred.Counter
	if r := laptop.SignIn(); r.Status != 200 {
		t.Fatalf("sign in again: %d %s", r.Status, r.Body)
	}
	laptopOnB := onB(laptop)
	laptopOnB.Must(200, "GET", "/api/v1/me", nil)
	if _, err := nodeA.Auth.RevokeAccess(t.Context(), acc, false); err != nil {
		t.Fatal(err)
	}
	refused("the laptop's session on node B after a revoke on node A", laptopOnB)
	refused("the phone's session on node B after a revoke on node A", phoneOnB)

	// Sign-out on A: the copy of the cookie on B is refused at once.
	if r := laptop.SignIn(); r.Status != 200 {
		t.Fatalf("sign in after the revoke: %d %s", r.Status, r.Body)
	}
	laptopOnB = onB(laptop)
	laptopOnB.Must(200, "GET", "/api/v1/me", nil)
	laptop.Must(204, "POST", "/api/v1/auth/signout", nil)
	refused("the session on node B after a sign-out on node A", laptopOnB)
	apptest.Refused(t, "the session on node A after its sign-out", copyOn(nodeA, laptopOnB).Do("GET", "/api/v1/me", nil), 401, "unauthorized", "")

	// A rename on A shows on B at once (B had the old name cached).
	if r := laptop.SignIn(); r.Status != 200 {
		t.Fatalf("sign in after the sign-out: %d %s", r.Status, r.Body)
	}
	laptopOnB = onB(laptop)
	var me struct{ Account struct{ Name string } }
	laptopOnB.Must(200, "GET", "/api/v1/me", nil).JSON(t, &me)
	if me.Account.Name != "Cora Cache" {
		t.Fatalf("name on B before the rename: %q", me.Account.Name)
	}
	if _, err := nodeA.Auth.Rename(t.Context(), acc, "Cora Renamed"); err != nil {
		t.Fatal(err)
	}
	apptest.WaitFor(t, time.Second, "the new name on node B", func() bool {
		laptopOnB.Must(200, "GET", "/api/v1/me", nil).JSON(t, &me)
		return me.Account.Name == "Cora Renamed"
	})
}
