package directory

import (
	"testing"
	"time"
)

// TestPushReachCacheKeepsForItsTTLAndDropsOnChange: an entry is answered
// until its TTL, dropped by forget, and a look-up that began before a
// change does not store what it read.
func TestPushReachCacheKeepsForItsTTLAndDropsOnChange(t *testing.T) {
	c := newPushReachCache(5 * time.Second)
	t0 := time.Unix(1_800_000_000, 0)
	if _, ok := c.get("acc_a", t0); ok {
		t.Fatal("an empty cache answered")
	}
	c.put(c.begin(), "acc_a", true, t0)
	c.put(c.begin(), "acc_b", false, t0)
	if reach, ok := c.get("acc_a", t0.Add(4*time.Second)); !ok || !reach {
		t.Fatalf("acc_a inside its TTL: %v %v, want true true", reach, ok)
	}
	if reach, ok := c.get("acc_b", t0.Add(time.Second)); !ok || reach {
		t.Fatalf("acc_b inside its TTL: %v %v, want false true", reach, ok)
	}
	if _, ok := c.get("acc_a", t0.Add(5*time.Second)); ok {
		t.Fatal("acc_a answered at its TTL")
	}
	c.forget("acc_b")
	if _, ok := c.get("acc_b", t0.Add(time.Second)); ok {
		t.Fatal("acc_b answered after forget")
	}

	// A look-up under way when a change arrives stores nothing; one begun
	// after it does.
	epoch := c.begin()
	c.forget("acc_c")
	c.put(epoch, "acc_c", true, t0)
	if _, ok := c.get("acc_c", t0); ok {
		t.Fatal("a look-up begun before a change stored what it read")
	}
	c.put(c.begin(), "acc_c", false, t0)
	if reach, ok := c.get("acc_c", t0); !ok || reach {
		t.Fatalf("acc_c read after the change: %v %v, want false true", reach, ok)
	}
	var none *pushReachCache
	none.forget("acc_a") // a Service without the cache forgets nothing
}
