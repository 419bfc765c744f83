package auth

import (
	"testing"
	"time"
)

// TestSessionCacheNeverPutsBackWhatAChangeDropped: a lookup that read the
// database before a sign-out and stores after it must not bring the ended
// session back; an entry never outlives its session or the TTL; a change
// drops every session of the account and nobody else's.
func TestSessionCacheNeverPutsBackWhatAChangeDropped(t *testing.T) {
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	far := now.Add(24 * time.Hour)
	c := newSessionCache(time.Minute, 10)
	ann, bob := &Account{ID: "acc_ann", Name: "Ann"}, &Account{ID: "acc_bob", Name: "Bob"}

	epoch := c.begin()
	c.forget(sessionsChanged{AccountID: "acc_ann"}) // the sign-out commits meanwhile
	c.put(epoch, "h1", ann, "", now, far)
	if _, _, ok := c.get("h1", now); ok {
		t.Fatal("a lookup begun before a sign-out put the ended session back")
	}

	c.put(c.begin(), "h1", ann, "dev_1", now, far)
	c.put(c.begin(), "h2", ann, "", now, far)
	c.put(c.begin(), "h3", bob, "", now, far)
	if a, d, ok := c.get("h1", now); !ok || a.Name != "Ann" || d != "dev_1" {
		t.Fatalf("cached session: %v %q %v", a, d, ok)
	}
	c.forget(sessionsChanged{AccountID: "acc_ann"})
	for _, h := range []string{"h1", "h2"} {
		if _, _, ok := c.get(h, now); ok {
			t.Fatalf("session %s of the changed account is still cached", h)
		}
	}
	if _, _, ok := c.get("h3", now); !ok {
		t.Fatal("another account's session was dropped")
	}
	c.forget(sessionsChanged{SessionHash: "h3"})
	if _, _, ok := c.get("h3", now); ok || c.size() != 0 {
		t.Fatalf("one session dropped by hash: still cached, %d left", c.size())
	}

	c.put(c.begin(), "h4", bob, "", now, now.Add(10*time.Second))
	if _, _, ok := c.get("h4", now.Add(10*time.Second)); ok {
		t.Fatal("an entry outlived its session's expiry")
	}
	c.put(c.begin(), "h5", bob, "", now, far)
	if _, _, ok := c.get("h5", now.Add(time.Minute)); ok {
		t.Fatal("an entry outlived the TTL")
	}

	// A copy: the caller may change what it got.
	c.put(c.begin(), "h6", bob, "", now, far)
	a, _, _ := c.get("h6", now)
	a.Name = "Mallory"
	if b, _, _ := c.get("h6", now); b.Name != "Bob" {
		t.Fatalf("the cache handed out its own copy: %q", b.Name)
	}

	for i := range 12 {
		c.put(c.begin(), string(rune('a'+i)), bob, "", now, far)
	}
	if n := c.size(); n > 10 {
		t.Fatalf("cache holds %d entries, more than its 10", n)
	}
}
