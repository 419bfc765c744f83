package directory

import (
	"testing"
	"time"
)

// TestRouteCacheKeepsForItsTTLAndDropsAnAccountsNumbers: a route is
// answered until its TTL; forgetting an account drops every number of it
// (and no other); a look-up that began before a change does not store
// what it read.
func TestRouteCacheKeepsForItsTTLAndDropsAnAccountsNumbers(t *testing.T) {
	c := newRouteCache(5 * time.Second)
	t0 := time.Unix(1_800_000_000, 0)
	route := func(account string) *numberRoute {
		r := &numberRoute{routeRow: routeRow{PartyType: PartyMember}}
		if account != "" {
			r.AccountID = new(account)
		}
		return r
	}
	const main, vanity, other, sales = Number("200000000001"), Number("277777777777"), Number("200000000002"), Number("200000000003")
	if _, ok := c.get(main, t0); ok {
		t.Fatal("an empty cache answered")
	}
	c.put(c.begin(), main, route("acc_a"), t0)
	c.put(c.begin(), vanity, route("acc_a"), t0)
	c.put(c.begin(), other, route("acc_b"), t0)
	c.put(c.begin(), sales, route(""), t0) // a store's number: no account
	if r, ok := c.get(main, t0.Add(4*time.Second)); !ok || *r.AccountID != "acc_a" {
		t.Fatalf("main inside its TTL: %v %v", r, ok)
	}
	if _, ok := c.get(main, t0.Add(5*time.Second)); ok {
		t.Fatal("main answered at its TTL")
	}
	c.forget("acc_a")
	if _, ok := c.get(vanity, t0); ok {
		t.Fatal("acc_a's second number answered after forget")
	}
	if _, ok := c.get(other, t0); !ok {
		t.Fatal("forgetting acc_a dropped acc_b's number")
	}
	if _, ok := c.get(sales, t0); !ok {
		t.Fatal("forgetting acc_a dropped the store's number")
	}

	// A look-up under way when a change arrives stores nothing; one begun
	// after it does, and is dropped by the next change.
	epoch := c.begin()
	c.forget("acc_c")
	c.put(epoch, main, route("acc_a"), t0)
	if _, ok := c.get(main, t0); ok {
		t.Fatal("a look-up begun before a change stored what it read")
	}
	c.put(c.begin(), main, route("acc_a"), t0)
	c.put(c.begin(), main, route("acc_a"), t0.Add(6*time.Second)) // read again after its TTL: listed once
	if n := len(c.byAccount["acc_a"]); n != 1 {
		t.Fatalf("acc_a lists %d numbers after one was read twice, want 1", n)
	}
	c.forget("acc_a")
	if _, ok := c.get(main, t0); ok {
		t.Fatal("main answered after acc_a's second change")
	}
}
