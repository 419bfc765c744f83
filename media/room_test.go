package media_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/media"
)

// TestRoomForwardsEveryPartyToEveryOther puts 3 and then 4 parties in a
// room: each receives audio and video from every other, none of its own,
// each sender on a stream of its own, and each knows the others.
func TestRoomForwardsEveryPartyToEveryOther(t *testing.T) {
	onEachEngine(t, testRoomForwardsEveryPartyToEveryOther)
}

func testRoomForwardsEveryPartyToEveryOther(t *testing.T, engine media.SFUConfig) {
	for _, n := range []int{3, 4} {
		t.Run(fmt.Sprintf("%d parties", n), func(t *testing.T) {
			_, room := newRoom(t, engine, fmt.Sprintf("mesh-%d", n))
			var devs []*device
			for i := range n {
				devs = append(devs, joinDevice(t, room, fmt.Sprintf("p%d", i+1), uint32(i+1), media.RoleParty, ""))
			}
			expectMedia(t, devs, everyone(devs...))
			for _, d := range devs {
				if a, v := d.got(d.tag); a != 0 || v != 0 {
					t.Errorf("%s got its own media back: %d audio, %d video", d.id, a, v)
				}
				if got := d.cp.Streams(); len(got) != n-1 {
					t.Errorf("%s receives on streams %v, want %d (one per other party)", d.id, got, n-1)
				}
				ids, role := d.rosterIDs()
				if role != media.RoleParty || len(ids) != n-1 || slices.Contains(ids, d.id) {
					t.Errorf("%s's roster: %v as %q, want the %d others as party", d.id, ids, role, n-1)
				}
			}
		})
	}
}

// TestListenerIsInvisibleAndSilent has a listener in a two-party call: it
// receives both parties, neither party receives a packet from it (though
// it sends), and neither learns of it.
func TestListenerIsInvisibleAndSilent(t *testing.T) {
	onEachEngine(t, testListenerIsInvisibleAndSilent)
}

func testListenerIsInvisibleAndSilent(t *testing.T, engine media.SFUConfig) {
	_, room := newRoom(t, engine, "listener")
	shopper := joinDevice(t, room, "shopper", 1, media.RoleParty, "")
	agent := joinDevice(t, room, "agent", 2, media.RoleParty, "")
	sup := joinDevice(t, room, "supervisor", 3, media.RoleListener, "")
	devs := []*device{shopper, agent, sup}
	want := everyone(shopper, agent)
	want[sup] = map[*device]flow{shopper: {true, true}, agent: {true, true}}
	expectMedia(t, devs, want)
	apptest.WaitFor(t, 10*time.Second, "the listener's own media to go out", func() bool {
		a, v := sup.part.Received()
		return a > 20 && v > 20
	})
	for _, p := range []*device{shopper, agent} {
		if a, v := p.got(sup.tag); a != 0 || v != 0 {
			t.Errorf("%s got %d audio and %d video packets from the listener", p.id, a, v)
		}
		if got := p.cp.Streams(); len(got) != 1 {
			t.Errorf("%s receives on streams %v: the listener must add none", p.id, got)
		}
		ids, _ := p.rosterIDs()
		if slices.Contains(ids, "supervisor") {
			t.Errorf("%s's roster names the listener: %v", p.id, ids)
		}
		if r := room.Roster(p.id); slices.ContainsFunc(r, func(m media.RosterMember) bool { return m.ID == "supervisor" }) {
			t.Errorf("room.Roster(%s) names the listener: %v", p.id, r)
		}
	}
	if ids, role := sup.rosterIDs(); role != media.RoleListener || len(ids) != 2 {
		t.Errorf("the listener's roster: %v as %q, want both parties", ids, role)
	}
}

// TestWhisperIsHeardOnlyByTheAgent has a supervisor whisper to the agent:
// the agent gets the whisperer's audio (no video), the shopper gets no
// packet from it and does not learn of it.
func TestWhisperIsHeardOnlyByTheAgent(t *testing.T) {
	onEachEngine(t, testWhisperIsHeardOnlyByTheAgent)
}

func testWhisperIsHeardOnlyByTheAgent(t *testing.T, engine media.SFUConfig) {
	_, room := newRoom(t, engine, "whisper")
	shopper := joinDevice(t, room, "shopper", 1, media.RoleParty, "")
	agent := joinDevice(t, room, "agent", 2, media.RoleParty, "")
	sup := joinDevice(t, room, "supervisor", 3, media.RoleWhisperer, "agent")
	devs := []*device{shopper, agent, sup}
	want := everyone(shopper, agent)
	want[agent][sup] = flow{audio: true}
	want[sup] = map[*device]flow{shopper: {true, true}, agent: {true, true}}
	expectMedia(t, devs, want)
	if a, v := shopper.got(sup.tag); a != 0 || v != 0 {
		t.Errorf("the shopper got %d audio and %d video packets from the whisperer", a, v)
	}
	if _, v := agent.got(sup.tag); v != 0 {
		t.Errorf("the agent got %d video packets from the whisperer: a whisper is audio only", v)
	}
	if ids, _ := shopper.rosterIDs(); slices.Contains(ids, "supervisor") {
		t.Errorf("the shopper's roster names the whisperer: %v", ids)
	}
	if ids, _ := agent.rosterIDs(); !slices.Contains(ids, "supervisor") {
		t.Errorf("the agent's roster does not name who whispers to them: %v", ids)
	}
}

// TestRoleChangesInPlace moves a supervisor from listener to whisperer to
// party on one connection: at each step what everyone hears follows the
// role, and the parties learn of the supervisor only once it barges in.
func TestRoleChangesInPlace(t *testing.T) { onEachEngine(t, testRoleChangesInPlace) }

func testRoleChangesInPlace(t *testing.T, engine media.SFUConfig) {
	_, room := newRoom(t, engine, "roles")
	shopper := joinDevice(t, room, "shopper", 1, media.RoleParty, "")
	agent := joinDevice(t, room, "agent", 2, media.RoleParty, "")
	sup := joinDevice(t, room, "supervisor", 3, media.RoleListener, "")
	devs := []*device{shopper, agent, sup}
	sees := func(d *device, who string) bool {
		ids, _ := d.rosterIDs()
		return slices.Contains(ids, who)
	}

	want := everyone(shopper, agent)
	want[sup] = map[*device]flow{shopper: {true, true}, agent: {true, true}}
	expectMedia(t, devs, want)
	if sees(shopper, "supervisor") || sees(agent, "supervisor") {
		t.Error("a party knows of the listener")
	}

	if err := room.SetRole("supervisor", media.RoleWhisperer, "agent"); err != nil {
		t.Fatal(err)
	}
	want[agent][sup] = flow{audio: true}
	expectMedia(t, devs, want)
	if sees(shopper, "supervisor") || !sees(agent, "supervisor") {
		t.Error("whispering: the shopper must not know of the supervisor, the agent must")
	}

	if err := room.SetRole("supervisor", media.RoleParty, ""); err != nil {
		t.Fatal(err)
	}
	expectMedia(t, devs, everyone(shopper, agent, sup))
	apptest.WaitFor(t, 10*time.Second, "both parties to learn of the supervisor", func() bool {
		return sees(shopper, "supervisor") && sees(agent, "supervisor")
	})
	if _, role := sup.rosterIDs(); role != media.RoleParty {
		t.Errorf("the supervisor's roster says %q, want party", role)
	}
	if n := sup.offers.Load(); n < 1 {
		t.Errorf("the supervisor answered %d offers", n)
	}
}

// TestLeavingThreePartyRoomKeepsTheOtherTwo has the first of three parties
// leave: the room stays open, the other two go on hearing and seeing each
// other (the one who was on each's first stream is replaced there by the
// other), and the leaver's streams are gone.
func TestLeavingThreePartyRoomKeepsTheOtherTwo(t *testing.T) {
	onEachEngine(t, testLeavingThreePartyRoomKeepsTheOtherTwo)
}

func testLeavingThreePartyRoomKeepsTheOtherTwo(t *testing.T, engine media.SFUConfig) {
	sfu, room := newRoom(t, engine, "leave")
	a := joinDevice(t, room, "a", 1, media.RoleParty, "")
	b := joinDevice(t, room, "b", 2, media.RoleParty, "")
	c := joinDevice(t, room, "c", 3, media.RoleParty, "")
	expectMedia(t, []*device{a, b, c}, everyone(a, b, c))
	left, err := room.Leave("a")
	if err != nil || left != 2 {
		t.Fatalf("Leave: %d parties left, %v; want 2", left, err)
	}
	if sfu.Room("leave") == nil {
		t.Fatal("the room closed when one of three left")
	}
	a.close()
	expectMedia(t, []*device{a, b, c}, everyone(b, c))
	for _, d := range []*device{b, c} {
		apptest.WaitFor(t, 10*time.Second, d.id+"'s roster to drop the leaver", func() bool {
			ids, _ := d.rosterIDs()
			return len(ids) == 1 && !slices.Contains(ids, "a")
		})
		if r := room.Roster(d.id); len(r) != 1 || r[0].Stream != "livemall-"+d.id {
			t.Errorf("%s's roster %v: the other party must be on its first stream", d.id, r)
		}
	}
}

// TestKeyframeRequestsGoToTheirSender has a receiver ask for a keyframe
// on the stream of one sender: that sender gets the request, the other
// does not, and a new receiver's arrival asks every sender it will see.
func TestKeyframeRequestsGoToTheirSender(t *testing.T) {
	onEachEngine(t, testKeyframeRequestsGoToTheirSender)
}

func testKeyframeRequestsGoToTheirSender(t *testing.T, engine media.SFUConfig) {
	_, room := newRoom(t, engine, "keyframes")
	a := joinDevice(t, room, "a", 1, media.RoleParty, "")
	b := joinDevice(t, room, "b", 2, media.RoleParty, "")
	expectMedia(t, []*device{a, b}, everyone(a, b))
	before := a.plis.Load()
	c := joinDevice(t, room, "c", 3, media.RoleParty, "")
	expectMedia(t, []*device{a, b, c}, everyone(a, b, c))
	if a.plis.Load() == before {
		t.Error("a new receiver of a's video did not ask a for a keyframe")
	}
	for _, tc := range []struct{ asked, other *device }{{a, b}, {b, a}} {
		stream := c.streamOf(tc.asked.id)
		if stream == "" {
			t.Fatalf("c's roster has no stream for %s", tc.asked.id)
		}
		asked, other := tc.asked.plis.Load(), tc.other.plis.Load()
		if err := c.cp.RequestKeyframe(stream); err != nil {
			t.Fatal(err)
		}
		apptest.WaitFor(t, 10*time.Second, "the keyframe request to reach "+tc.asked.id, func() bool { return tc.asked.plis.Load() > asked })
		if n := tc.other.plis.Load() - other; n != 0 {
			t.Errorf("c asked for %s's keyframe, and %s got %d requests too", tc.asked.id, tc.other.id, n)
		}
	}
}

// TestRoomRefusals checks the room's refusals: a ninth participant, an
// unknown role, whispering to someone not in the room, to nobody or to
// oneself, and changing or removing someone not in it.
func TestRoomRefusals(t *testing.T) { onEachEngine(t, testRoomRefusals) }

func testRoomRefusals(t *testing.T, engine media.SFUConfig) {
	_, room := newRoom(t, engine, "refusals")
	quiet := func(string, any) {}
	for i := range media.MaxParticipants {
		if _, err := room.JoinAs(fmt.Sprintf("p%d", i), media.RoleListener, "", quiet); err != nil {
			t.Fatalf("participant %d: %v", i+1, err)
		}
	}
	_, other := newRoom(t, engine, "refusals-2")
	if _, err := other.JoinAs("agent", media.RoleParty, "", quiet); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, code, message string
		do                  func() error
	}{
		{"ninth participant", apperr.Conflict, "at most 8 people", func() error {
			_, err := room.JoinAs("p9", media.RoleParty, "", quiet)
			return err
		}},
		{"ninth participant by Join", apperr.Conflict, "at most 8 people", func() error {
			_, err := room.Join("p9", quiet)
			return err
		}},
		{"unknown role", apperr.Invalid, `"boss" is not a role`, func() error {
			_, err := other.JoinAs("x", media.Role("boss"), "", quiet)
			return err
		}},
		{"empty role", apperr.Invalid, `"" is not a role`, func() error {
			_, err := other.JoinAs("x", "", "", quiet)
			return err
		}},
		{"whisper to someone not in the room", apperr.Invalid, "cannot whisper to ghost: they are not in this call", func() error {
			_, err := other.JoinAs("x", media.RoleWhisperer, "ghost", quiet)
			return err
		}},
		{"whisper to nobody", apperr.Invalid, "must name whom", func() error {
			_, err := other.JoinAs("x", media.RoleWhisperer, "", quiet)
			return err
		}},
		{"whisper to oneself", apperr.Invalid, "themselves", func() error {
			return other.SetRole("agent", media.RoleWhisperer, "agent")
		}},
		{"a party whispering", apperr.Invalid, "only a whisperer", func() error {
			return other.SetRole("agent", media.RoleParty, "agent")
		}},
		{"unknown role change", apperr.Invalid, "not a role", func() error {
			return other.SetRole("agent", media.Role("PARTY"), "")
		}},
		{"role of someone not in the room", apperr.NotFound, "ghost is not in this call", func() error {
			return other.SetRole("ghost", media.RoleListener, "")
		}},
		{"someone not in the room leaves", apperr.NotFound, "ghost is not in this call", func() error {
			_, err := other.Leave("ghost")
			return err
		}},
		{"joining twice", apperr.Conflict, "in the room already", func() error {
			_, err := other.JoinAs("agent", media.RoleParty, "", quiet)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			if apperr.Code(err) != tc.code || !strings.Contains(apperr.Message(err), tc.message) {
				t.Fatalf("got %v, want %s with %q", err, tc.code, tc.message)
			}
		})
	}
	if r := other.Roster("agent"); len(r) != 0 {
		t.Errorf("refused joins left someone behind: %v", r)
	}
	if other.Participant("x") != nil {
		t.Error("a refused join left a participant")
	}
}

// TestParseRole reads roles strictly.
func TestParseRole(t *testing.T) {
	for _, ok := range []string{"party", "listener", "whisperer"} {
		if r, err := media.ParseRole(ok); err != nil || string(r) != ok {
			t.Errorf("ParseRole(%q) = %q, %v", ok, r, err)
		}
	}
	for _, bad := range []string{"", "Party", " party", "party ", "monitor", "barge", "listener\x00", strings.Repeat("x", 100)} {
		if _, err := media.ParseRole(bad); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("ParseRole(%q) = %v, want invalid", bad, err)
		}
	}
}

// FuzzParseRole: any text is a known role or an Invalid error, and a
// refusal quotes at most a short prefix.
func FuzzParseRole(f *testing.F) {
	for _, s := range []string{"party", "listener", "whisperer", "", "PARTY", "x\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := media.ParseRole(s)
		if err == nil {
			if string(r) != s {
				t.Fatalf("ParseRole(%q) = %q", s, r)
			}
			return
		}
		if !apperr.Is(err, apperr.Invalid) || len(apperr.Message(err)) > 200 {
			t.Fatalf("ParseRole(%q): %v", s, err)
		}
	})
}

// TestAParticipantWhoseDeviceLeavesStops: a device that closes its
// connection without a word on the signaling stops its participant's
// media (OnMediaStopped), which is how a call learns the device is gone.
func TestAParticipantWhoseDeviceLeavesStops(t *testing.T) {
	onEachEngine(t, testAParticipantWhoseDeviceLeavesStops)
}

func testAParticipantWhoseDeviceLeavesStops(t *testing.T, engine media.SFUConfig) {
	_, room := newRoom(t, engine, "leaves")
	a := joinDevice(t, room, "a", 1, media.RoleParty, "")
	b := joinDevice(t, room, "b", 2, media.RoleParty, "")
	expectMedia(t, []*device{a, b}, everyone(a, b))
	stopped := make(chan struct{})
	room.Participant("a").OnMediaStopped(func() { close(stopped) })
	a.close()
	select {
	case <-stopped:
	case <-time.After(30 * time.Second):
		t.Fatal("the participant's media did not stop after its device closed")
	}
}
