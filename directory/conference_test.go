package directory_test

import (
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/config"
	"github.com/livemall/livemall/media"
)

// TestThreeMembersInOneCall: Alice calls Bob, Bob answers, Alice adds
// Cara, Cara answers; each phone receives audio and video from each of the
// other two and nothing else (not its own). The refusals of call.invite,
// then a decline, an offline member and a member who does not answer: the
// call goes on. Alice hangs up: Bob and Cara go on together; Bob hangs up:
// the call ends for Cara.
func TestThreeMembersInOneCall(t *testing.T) {
	a := apptest.New(t, func(c *config.Config) { c.RingTimeout = 4 * time.Second })
	base := apptest.ServeOnLoopback(t, a)
	alice, bob, cara := apptest.Member(t, a, "Alice Conf"), apptest.Member(t, a, "Bob Conf"), apptest.Member(t, a, "Cara Conf")
	dan, eve := apptest.Member(t, a, "Dan Conf"), apptest.Member(t, a, "Eve Conf")
	pa, pb, pc, pd := apptest.NewPhone(t, alice, base), apptest.NewPhone(t, bob, base), apptest.NewPhone(t, cara, base), apptest.NewPhone(t, dan, base)
	const within = 15 * time.Second
	id := apptest.Connect(t, alice, pa, bob, pb)
	caraNumber, danNumber, eveNumber := cara.MyNumber(), dan.MyNumber(), eve.MyNumber()
	apptest.WaitFor(t, 5*time.Second, "cara and dan online", func() bool {
		return alice.Resolve(caraNumber).State == "available" && alice.Resolve(danNumber).State == "available"
	})

	// Alice adds Cara: Cara's phone rings, saying who is in the call.
	pa.Send("call.invite", map[string]any{"callId": id, "number": caraNumber})
	pa.Expect("call.invited", `"state":"ringing"`, 15*time.Second)
	pb.Expect("call.invited", `Calling Cara Conf`, 15*time.Second)
	in := pc.Expect("call.incoming", id, 15*time.Second)
	for _, want := range []string{`"conference"`, `"invitedBy":"Alice Conf"`, "Bob Conf"} {
		if !strings.Contains(string(in.Data), want) {
			t.Fatalf("the invitation does not say %s: %s", want, in.Data)
		}
	}
	pc.Send("call.answer", map[string]any{"callId": id})
	pc.Expect("call.state", `"state":"active"`, 15*time.Second)
	pa.Expect("call.invited", `"state":"joined"`, 15*time.Second)

	everyone := map[*apptest.Phone]string{pa: "Alice Conf", pb: "Bob Conf", pc: "Cara Conf"}
	others := func(self *apptest.Phone) []string {
		var out []string
		for p, n := range everyone {
			if p != self {
				out = append(out, n)
			}
		}
		return out
	}
	for p := range everyone {
		p.WaitRoster(within, "the two others", func(r *media.RoomRosterData) bool { return len(r.Members) == 2 && r.Role == media.RoleParty })
		p.ExpectHears(within, others(p), others(p))
	}

	// Refusals, while three are in the call.
	var queue string
	a.DB.Table("numbers").Where("party_type = ?", "queue").Limit(1).Pluck("number", &queue)
	for _, c := range []struct {
		name  string
		phone *apptest.Phone
		data  map[string]any
		code  string
		msg   string
	}{
		{"someone already in the call", pa, map[string]any{"callId": id, "number": bob.MyNumber()}, apperr.Conflict, "Bob Conf is in this call already"},
		{"oneself", pb, map[string]any{"callId": id, "number": bob.MyNumber()}, apperr.Conflict, "in this call already"},
		{"a store's sales number", pa, map[string]any{"callId": id, "number": queue}, apperr.Invalid, "only members can be added"},
		{"a malformed number", pa, map[string]any{"callId": id, "number": "12"}, apperr.Invalid, "has 2"},
		{"a number nobody has", pa, map[string]any{"callId": id, "number": "999999999990"}, apperr.NotFound, "nobody has the number"},
		{"a member not in the call", pd, map[string]any{"callId": id, "number": eveNumber}, apperr.Forbidden, "only someone in the call"},
		{"a call that does not exist", pa, map[string]any{"callId": "call_000000000000000000000000", "number": danNumber}, apperr.NotFound, "no such call"},
		{"no number", pa, map[string]any{"callId": id}, apperr.Invalid, "number"},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.phone.Send("call.invite", c.data)
			m := c.phone.Expect("error", `"for":"call.invite"`, 15*time.Second)
			if !strings.Contains(string(m.Data), `"code":"`+c.code+`"`) || !strings.Contains(string(m.Data), c.msg) {
				t.Fatalf("got %s, want %s with %q", m.Data, c.code, c.msg)
			}
		})
	}

	// Dan declines, Eve is offline, Dan then lets it ring out: the parties
	// are told and the call goes on.
	pb.Send("call.invite", map[string]any{"callId": id, "number": danNumber})
	pd.Expect("call.incoming", id, 15*time.Second)
	pd.Send("call.decline", map[string]any{"callId": id})
	pa.Expect("call.invited", `Dan Conf declined`, 15*time.Second)
	pc.Send("call.invite", map[string]any{"callId": id, "number": eveNumber})
	pc.Expect("call.invited", `Eve Conf is offline`, 15*time.Second)
	pa.Send("call.invite", map[string]any{"callId": id, "number": danNumber})
	pd.Expect("call.incoming", id, 15*time.Second)
	pa.Send("call.invite", map[string]any{"callId": id, "number": danNumber})
	pa.Expect("error", `being called already`, 15*time.Second)
	pb.Expect("call.invited", `Dan Conf did not answer`, 20*time.Second)
	pd.Expect("call.state", `"reason":"no answer"`, 15*time.Second)
	for p := range everyone {
		p.ExpectHears(within, others(p), others(p))
	}

	// Alice hangs up: Bob and Cara go on, hearing each other only.
	pa.Send("call.hangup", map[string]any{"callId": id})
	pa.Expect("call.state", `you left the call`, 15*time.Second)
	pb.WaitRoster(within, "only Cara", func(r *media.RoomRosterData) bool { return len(r.Members) == 1 })
	pc.WaitRoster(within, "only Bob", func(r *media.RoomRosterData) bool { return len(r.Members) == 1 })
	pb.ExpectHears(within, []string{"Cara Conf"}, []string{"Cara Conf"})
	pc.ExpectHears(within, []string{"Bob Conf"}, []string{"Bob Conf"})
	if st, _ := apptest.CallRecord(t, a, id); st != "active" {
		t.Fatalf("the call is %s after the caller left, want active", st)
	}

	// Bob hangs up: two parties no longer remain, the call ends for Cara.
	pb.Send("call.hangup", map[string]any{"callId": id})
	pc.Expect("call.state", `"state":"ended"`, 15*time.Second)
	apptest.WaitFor(t, 5*time.Second, "the call record", func() bool {
		st, out := apptest.CallRecord(t, a, id)
		return st == "ended" && out == "answered"
	})
	apptest.WaitFor(t, 5*time.Second, "the room to close", func() bool { return a.SFU.RoomCount() == 0 })
}

// TestConferenceInvitesAreBounded: a call sends at most 24 invitations
// over its life, and nobody adds people to a call that is not answered.
func TestConferenceInvitesAreBounded(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	alice, bob, eve := apptest.Member(t, a, "Alice Bound"), apptest.Member(t, a, "Bob Bound"), apptest.Member(t, a, "Eve Bound")
	pa, pb := apptest.NewPhone(t, alice, base), apptest.NewPhone(t, bob, base)
	eveNumber := eve.MyNumber()
	bobNumber := bob.MyNumber()
	apptest.WaitFor(t, 5*time.Second, "bob online", func() bool { return alice.Resolve(bobNumber).State == "available" })
	pa.Send("call.dial", map[string]any{"number": bobNumber, "video": true})
	id := apptest.CallIDOf(pa.Expect("call.state", `"state":"ringing"`, 15*time.Second))
	pb.Expect("call.incoming", id, 15*time.Second)
	pa.Send("call.invite", map[string]any{"callId": id, "number": eveNumber})
	pa.Expect("error", `the call is not connected`, 15*time.Second)
	pb.Send("call.answer", map[string]any{"callId": id})
	pa.Expect("call.state", `"state":"active"`, 15*time.Second)
	for range 24 {
		pa.Send("call.invite", map[string]any{"callId": id, "number": eveNumber})
		pa.Expect("call.invited", `Eve Bound is offline`, 15*time.Second)
	}
	pa.Send("call.invite", map[string]any{"callId": id, "number": eveNumber})
	pa.Expect("error", `"code":"rate_limited"`, 15*time.Second)
}
