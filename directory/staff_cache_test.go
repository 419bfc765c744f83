package directory

import (
	"testing"
	"time"
)

// TestStaffCacheKeepsForItsTTLAndForgetsOnAnyChange: a store's agents are
// kept for the TTL, every announced change drops every store, and a read
// under way when a change arrives stores nothing.
func TestStaffCacheKeepsForItsTTLAndForgetsOnAnyChange(t *testing.T) {
	c := newStaffCache(5 * time.Second)
	t0 := time.Unix(1_800_000_000, 0)
	agents := []staffAgent{{AccountID: "acc_a", Name: "Ada", Devices: []staffDevice{{DeviceID: "dev_1"}}}}
	if _, _, ok := c.get(1, t0); ok {
		t.Fatal("an empty cache answered")
	}
	_, epoch, _ := c.get(1, t0)
	c.put(epoch, 1, agents, t0)
	c.put(epoch, 2, nil, t0) // a store without agents is kept too
	if got, _, ok := c.get(1, t0.Add(4*time.Second)); !ok || len(got) != 1 || got[0].Devices[0].DeviceID != "dev_1" {
		t.Fatalf("store 1 inside its TTL: %v %v", got, ok)
	}
	if _, _, ok := c.get(2, t0.Add(4*time.Second)); !ok {
		t.Fatal("store 2 (no agents) was not kept")
	}
	if _, _, ok := c.get(1, t0.Add(5*time.Second)); ok {
		t.Fatal("store 1 answered at its TTL")
	}

	_, epoch, _ = c.get(1, t0)
	c.put(epoch, 1, agents, t0)
	c.forget()
	if _, _, ok := c.get(1, t0); ok {
		t.Fatal("store 1 answered after a change")
	}
	if _, _, ok := c.get(2, t0); ok {
		t.Fatal("store 2 answered after a change: any change may be a change to any store's staff")
	}

	// A read begun before a change does not store what it read.
	_, epoch, _ = c.get(1, t0)
	c.forget()
	c.put(epoch, 1, agents, t0)
	if _, _, ok := c.get(1, t0); ok {
		t.Fatal("a read begun before a change was stored")
	}
	_, epoch, _ = c.get(1, t0)
	c.put(epoch, 1, agents, t0)
	if _, _, ok := c.get(1, t0); !ok {
		t.Fatal("a read begun after the change was not stored")
	}
}
