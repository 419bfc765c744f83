package directory

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// TestDeviceStandingAgreesWithTheDeviceRecords: for any set of live
// records, a device stands as its sorted records say (the busy one, the
// oldest of those, if any is busy; else the newest), and a device with no
// record is not online.
func TestDeviceStandingAgreesWithTheDeviceRecords(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	states := []State{StateAvailable, StateAway, StateBusy}
	base := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for round := range 500 {
		records := map[string]PresenceRecord{}
		devices := 1 + rng.IntN(4)
		for d := range devices {
			for c := range rng.IntN(5) {
				rec := PresenceRecord{DeviceID: fmt.Sprintf("dev%d", d), ConnID: fmt.Sprintf("c%d", c), Node: fmt.Sprintf("node-%d", rng.IntN(3)),
					State: states[rng.IntN(len(states))], Accounts: []string{"acc"}, At: base.Add(time.Duration(rng.IntN(1_000_000)) * time.Microsecond)}
				records[rec.key()] = rec
			}
		}
		p := &Presence{}
		p.replace(records, nil)
		for d := range devices + 1 { // one more: a device with no record
			id := fmt.Sprintf("dev%d", d)
			recs := p.DeviceRecords(id)
			node, state, ok := p.DeviceStanding(id)
			if ok != (len(recs) > 0) {
				t.Fatalf("round %d, %s: online %v with %d records", round, id, ok, len(recs))
			}
			if !ok {
				continue
			}
			want := recs[0] // newest
			for _, r := range recs {
				if r.State == StateBusy {
					want = r // the last busy of newest-first: the oldest busy
				}
			}
			if node != want.Node || state != want.State {
				t.Fatalf("round %d, %s: stands %s on %s, its records say %s on %s (%+v)", round, id, state, node, want.State, want.Node, recs)
			}
		}
	}
}
