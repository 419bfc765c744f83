package regions_test

import (
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app/apptest"
	lmmedia "github.com/livemall/livemall/media"
)

// ipOf is region name's node address, as its media candidates give it.
func (r *regions) ipOf(name string) string {
	return strings.TrimSuffix(strings.TrimPrefix(r.Base(name), "http://"), ":8080")
}

// callerAndCallee signs up alice in region a and carol in region c, waits
// until a knows carol's entry, and connects a phone of each to its own
// region's node.
func (r *regions) callerAndCallee() (alice, carol *member, pa, pc *apptest.Phone) {
	r.t.Helper()
	carol = r.joinRegion("c", "Carol Homedinc", "carol@c.example.com")
	alice = r.joinRegion("a", "Alice Homedina", "alice@a.example.com")
	apptest.WaitFor(r.t, 60*time.Second, "region a to know c's member", func() bool {
		_, _, ok := resolve(r.t, alice.c, carol.number)
		return ok
	})
	pc = apptest.NewPhone(r.t, carol.c, r.Base("c"))
	pa = apptest.NewPhone(r.t, alice.c, r.Base("a"))
	return alice, carol, pa, pc
}

// expect waits for p's message of type typ containing want, failing at
// once on an error message (which it shows) instead of waiting on.
func expect(t *testing.T, p *apptest.Phone, typ, want string, within time.Duration) []byte {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case m := <-p.Msgs:
			if m.Type == typ && strings.Contains(string(m.Data), want) {
				return m.Data
			}
			if m.Type == "error" {
				t.Fatalf("waiting for %s %s: error %s", typ, want, m.Data)
			}
		case <-deadline:
			t.Fatalf("no %s with %q within %v", typ, want, within)
		}
	}
}

// callRow is a call's record in a region's database.
func (r *regions) callRow(region, id string) (state, outcome, callee, number string) {
	r.t.Helper()
	var o *string
	if err := r.DB[region].QueryRow(`SELECT state, outcome, COALESCE(callee_account_id, ''), callee_number FROM calls WHERE id = $1`, id).Scan(&state, &o, &callee, &number); err != nil {
		r.t.Fatalf("call %s in region %s: %v", id, region, err)
	}
	if o != nil {
		outcome = *o
	}
	return state, outcome, callee, number
}

// TestMemberInRegionACallsMemberInRegionC: alice, homed in region a, dials
// the number of carol, homed in region c, each with a phone on their own
// region's node. Carol's phone rings (the ring crossed the gateway), she
// answers, and audio and video arrive at both phones; carol's media comes
// from region a's node (the room stays on the caller's node). Carol hangs
// up from c and alice hears the end; the call's record is a's.
func TestMemberInRegionACallsMemberInRegionC(t *testing.T) {
	rg := startRegions(t, nodeFlags)
	alice, carol, pa, pc := rg.callerAndCallee()

	pa.Send("call.dial", map[string]any{"number": carol.number, "video": true})
	id := apptest.CallIDOf(lmmedia.Message{Data: expect(t, pa, "call.state", `"state":"ringing"`, 15*time.Second)})
	incoming := pc.Expect("call.incoming", id, 15*time.Second)
	if !strings.Contains(string(incoming.Data), "Alice Homedina") || !strings.Contains(string(incoming.Data), alice.number) {
		t.Fatalf("carol's ring does not name alice and her number: %s", incoming.Data)
	}
	pc.Send("call.answer", map[string]any{"callId": id})
	pa.Expect("call.state", `"state":"active"`, 15*time.Second)
	pc.Expect("call.state", `"state":"active"`, 15*time.Second)

	apptest.WaitMediaWithin(t, 60*time.Second, pa, pc)
	for who, p := range map[string]*apptest.Phone{"alice": pa, "carol": pc} {
		audio, video := p.Received()
		t.Logf("%s's phone received %d audio and %d video packets", who, audio, video)
		pair := p.SelectedPair()
		if pair == nil || pair.Remote.Address != rg.ipOf("a") {
			t.Fatalf("%s's media path %v: want region a's node %s (the room stays on the caller's node)", who, pair, rg.ipOf("a"))
		}
	}
	// a's record names carol by number: her account is c's.
	if state, _, callee, number := rg.callRow("a", id); state != "active" || callee != "" || number != carol.number {
		t.Fatalf("region a's record of the call: state %q, callee %q, number %s; want active, none, %s", state, callee, number, carol.number)
	}

	// Carol hangs up on her node in c; the room on a's node ends the call.
	pc.Send("call.hangup", map[string]any{"callId": id})
	pa.Expect("call.state", `"state":"ended"`, 15*time.Second)
	apptest.WaitFor(t, 15*time.Second, "a's record of the call to end", func() bool {
		state, outcome, _, _ := rg.callRow("a", id)
		return state == "ended" && outcome == "answered"
	})
}

// TestCallToAnUnreachableRegionFailsFast: with the path between regions a
// and c cut, alice's dial of carol's number fails at once with "that
// member's region cannot be reached right now", carol's phone hears
// nothing, and no call is left open in a; after the heal the same dial
// rings carol.
func TestCallToAnUnreachableRegionFailsFast(t *testing.T) {
	rg := startRegions(t, nodeFlags)
	_, carol, pa, pc := rg.callerAndCallee()

	rg.Partition("a", "c")
	began := time.Now()
	pa.Send("call.dial", map[string]any{"number": carol.number})
	refused := pa.Expect("error", "region cannot be reached right now", 15*time.Second)
	t.Logf("the dial was refused after %v: %s", time.Since(began).Round(time.Millisecond), refused.Data)
	if !strings.Contains(string(refused.Data), `"code":"unavailable"`) || !strings.Contains(string(refused.Data), `"for":"call.dial"`) {
		t.Fatalf("refusal %s: want unavailable, for call.dial", refused.Data)
	}
	var open int
	if err := rg.DB["a"].QueryRow(`SELECT COUNT(*) FROM calls WHERE state <> 'ended'`).Scan(&open); err != nil || open != 0 {
		t.Fatalf("open calls in region a after the refused dial: %d (%v)", open, err)
	}

	for len(pc.Msgs) > 0 {
		if m := <-pc.Msgs; m.Type == "call.incoming" {
			t.Fatalf("carol's phone rang while her region was cut off: %s", m.Data)
		}
	}

	rg.Heal()
	var id string
	apptest.WaitFor(t, 90*time.Second, "a dial of carol to ring after the heal", func() bool {
		pa.Send("call.dial", map[string]any{"number": carol.number})
		for {
			select {
			case m := <-pa.Msgs:
				if m.Type == "call.state" && strings.Contains(string(m.Data), `"state":"ringing"`) {
					id = apptest.CallIDOf(m)
					return true
				}
				if m.Type == "error" {
					return false
				}
			case <-time.After(10 * time.Second):
				return false
			}
		}
	})
	for {
		m := pc.Expect("call.incoming", "", 15*time.Second)
		if apptest.CallIDOf(m) == id {
			break
		}
	}
	pa.Send("call.hangup", map[string]any{"callId": id})
	pa.Expect("call.state", `"state":"ended"`, 15*time.Second)
}
