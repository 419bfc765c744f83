package apptest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app"
	lmmedia "github.com/livemall/livemall/media"
)

// What a phone in a call of several hears: its roster names the others it
// may know of and the MediaStream each one's media comes on, and the phone
// counts packets per stream, so a test checks packets from each expected
// sender and none from anyone else.

// Roster returns the latest "call.roster" of the phone's current call, nil
// before one came.
func (p *Phone) Roster() *lmmedia.RoomRosterData {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.roster == nil {
		return nil
	}
	r := *p.roster
	r.Members = slices.Clone(r.Members)
	return &r
}

// Member returns the roster's member with the name, or nil.
func (p *Phone) Member(name string) *lmmedia.RosterMember {
	if r := p.Roster(); r != nil {
		for i := range r.Members {
			if r.Members[i].Name == name {
				return &r.Members[i]
			}
		}
	}
	return nil
}

// WaitRoster waits until the phone's roster satisfies cond, failing with
// the roster it has after within.
func (p *Phone) WaitRoster(within time.Duration, what string, cond func(r *lmmedia.RoomRosterData) bool) *lmmedia.RoomRosterData {
	p.T.Helper()
	var r *lmmedia.RoomRosterData
	deadline := time.Now().Add(within)
	for {
		if r = p.Roster(); r != nil && cond(r) {
			return r
		}
		if time.Now().After(deadline) {
			p.T.Fatalf("roster: no %s within %v; have %s", what, within, describeRoster(r))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// describeRoster prints a roster for a failing test's log.
func describeRoster(r *lmmedia.RoomRosterData) string {
	if r == nil {
		return "none"
	}
	var ms []string
	for _, m := range r.Members {
		ms = append(ms, fmt.Sprintf("%s(%s %s on %q)", m.Name, m.ID, m.Role, m.Stream))
	}
	return fmt.Sprintf("role %s, members [%s]", r.Role, strings.Join(ms, ", "))
}

// StreamCounts returns the audio and video packets received so far on
// each stream of the current call.
func (p *Phone) StreamCounts() map[string][2]int64 {
	p.mu.Lock()
	cp := p.cp
	p.mu.Unlock()
	out := map[string][2]int64{}
	if cp == nil {
		return out
	}
	for _, s := range cp.Streams() {
		a, v := cp.Received(s)
		out[s] = [2]int64{a, v}
	}
	return out
}

// heardPackets is how many packets of each kind count as hearing a sender.
const heardPackets = 10

// ExpectHears waits (up to within) until the phone receives, from now on,
// audio from each member named in audio and video from each named in
// video (names as the roster shows them), and then checks that in that
// time nothing came on any other stream: whoever else is in the call, the
// phone did not hear them. The phone's roster must name every one of
// them.
func (p *Phone) ExpectHears(within time.Duration, audio, video []string) {
	p.T.Helper()
	before := p.StreamCounts()
	streamOf := func(name string) string {
		if m := p.Member(name); m != nil {
			return m.Stream
		}
		return ""
	}
	var after map[string][2]int64
	deadline := time.Now().Add(within)
	for {
		after = p.StreamCounts()
		ok := true
		for i, names := range [][]string{audio, video} {
			for _, n := range names {
				s := streamOf(n)
				if s == "" || after[s][i]-before[s][i] < heardPackets {
					ok = false
				}
			}
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			p.T.Fatalf("phone did not hear audio from %v and video from %v within %v: roster %s, packets before %v, now %v; %s",
				audio, video, within, describeRoster(p.Roster()), before, after, p.Describe())
		}
		time.Sleep(50 * time.Millisecond)
	}
	allowed := [2]map[string]bool{{}, {}}
	for i, names := range [][]string{audio, video} {
		for _, n := range names {
			allowed[i][streamOf(n)] = true
		}
	}
	for s, n := range after {
		for i := range 2 {
			if got := n[i] - before[s][i]; got > 0 && !allowed[i][s] {
				p.T.Fatalf("phone heard %d %s packets on stream %q, which carries nobody it should hear (roster %s)",
					got, [2]string{"audio", "video"}[i], s, describeRoster(p.Roster()))
			}
		}
	}
}

// ConnOf returns the node's connection of the phone's socket (the
// connection id the contact center brings into a call), failing when the
// node holds none.
func ConnOf(t *testing.T, a *app.App, p *Phone) *lmmedia.Conn {
	t.Helper()
	var found *lmmedia.Conn
	WaitFor(t, 5*time.Second, "the phone's connection on the node", func() bool {
		a.Signaling.Conns(func(c *lmmedia.Conn) bool {
			if c.DeviceID == p.C.Device && c.AccountID != "" {
				found = c
				return false
			}
			return true
		})
		return found != nil
	})
	return found
}

// Connect places a video call from caller to callee's number and has the
// callee's phone answer it; it returns the call's id once both sides are
// active.
func Connect(t *testing.T, caller *Client, pc *Phone, callee *Client, pe *Phone) string {
	t.Helper()
	number := callee.MyNumber()
	WaitFor(t, 5*time.Second, "the callee online", func() bool { return caller.Resolve(number).State == "available" })
	pc.Send("call.dial", map[string]any{"number": number, "video": true})
	id := CallIDOf(pc.Expect("call.state", `"state":"ringing"`, 5*time.Second))
	pe.Expect("call.incoming", id, 5*time.Second)
	pe.Send("call.answer", map[string]any{"callId": id})
	pc.Expect("call.state", `"state":"active"`, 5*time.Second)
	pe.Expect("call.state", `"state":"active"`, 5*time.Second)
	return id
}
