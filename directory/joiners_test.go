package directory_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/directory"
	"github.com/livemall/livemall/media"
)

// TestContactCenterBringsJoinersIntoALiveCall drives Rooms.Join, SetRole
// and Leave through a real node with pion phones: a joiner listening is
// heard by nobody and unknown to the parties, whispering is heard by the
// callee only, as a party by everyone; leaving leaves the two sides as they
// were. Then the refusals.
func TestContactCenterBringsJoinersIntoALiveCall(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	alice, bob, noor := apptest.Member(t, a, "Alice Joined"), apptest.Member(t, a, "Bob Joined"), apptest.Member(t, a, "Noor Joiner")
	pa, pb, pn := apptest.NewPhone(t, alice, base), apptest.NewPhone(t, bob, base), apptest.NewPhone(t, noor, base)
	id := apptest.Connect(t, alice, pa, bob, pb)
	apptest.WaitMedia(t, pa, pb)
	rooms := directory.NewRooms(a.Bus.Conn)
	ctx := t.Context()
	const within = 15 * time.Second
	both := []string{"Alice Joined", "Bob Joined"}

	// Monitor: Noor hears both sides; neither side hears or knows of Noor.
	nc := apptest.ConnOf(t, a, pn)
	sup := directory.Joiner{ConnID: nc.ID, AccountID: nc.AccountID, DeviceID: nc.DeviceID, Name: "Noor, supervisor", Role: media.RoleListener}
	if err := rooms.Join(ctx, id, sup); err != nil {
		t.Fatalf("join as listener: %v", err)
	}
	pn.WaitRoster(within, "both sides", func(r *media.RoomRosterData) bool {
		return r.Role == media.RoleListener && len(r.Members) == 2 && r.CallID == id
	})
	pn.ExpectHears(within, both, both)
	pa.ExpectHears(within, []string{"Bob Joined"}, []string{"Bob Joined"})
	pb.ExpectHears(within, []string{"Alice Joined"}, []string{"Alice Joined"})
	for _, p := range []*apptest.Phone{pa, pb} {
		if r := p.Roster(); len(r.Members) != 1 || strings.Contains(fmt.Sprint(r.Members), "Noor") {
			t.Fatalf("a party's roster names a listener: %+v", r)
		}
		if r := p.Roster(); r.Members[0].ID != "caller" && r.Members[0].ID != "callee" {
			t.Fatalf("roster ids are not the opaque ones: %+v", r)
		}
	}

	// Whisper: Bob, the callee, hears Noor; Alice does not.
	if err := rooms.SetRole(ctx, id, nc.ID, media.RoleWhisperer, true); err != nil {
		t.Fatalf("whisper: %v", err)
	}
	pb.WaitRoster(within, "the whisperer", func(r *media.RoomRosterData) bool { return len(r.Members) == 2 })
	pb.ExpectHears(within, []string{"Alice Joined", "Noor, supervisor"}, []string{"Alice Joined"})
	pa.ExpectHears(within, []string{"Bob Joined"}, []string{"Bob Joined"})
	pn.ExpectHears(within, both, both)
	if r := pa.Roster(); len(r.Members) != 1 {
		t.Fatalf("the caller's roster names a whisperer to someone else: %+v", r)
	}

	// Barge: everyone hears everyone, and the caller sees who joined.
	if err := rooms.SetRole(ctx, id, nc.ID, media.RoleParty, false); err != nil {
		t.Fatalf("barge: %v", err)
	}
	pa.WaitRoster(within, "Noor as a party", func(r *media.RoomRosterData) bool { return len(r.Members) == 2 })
	if m := pa.Member("Noor, supervisor"); m == nil || m.Role != media.RoleParty {
		t.Fatalf("the caller does not see the supervisor who barged in: %+v", pa.Roster())
	}
	pa.ExpectHears(within, []string{"Bob Joined", "Noor, supervisor"}, []string{"Bob Joined", "Noor, supervisor"})
	pb.ExpectHears(within, []string{"Alice Joined", "Noor, supervisor"}, []string{"Alice Joined", "Noor, supervisor"})
	pn.ExpectHears(within, both, both)

	// Refusals while the call is live.
	agentCall := func(connID string) func() error {
		return func() error { return rooms.Leave(ctx, id, connID) }
	}
	for _, c := range []struct {
		name, code, msg string
		do              func() error
	}{
		{"a device sends the join message", apperr.Forbidden, "only the contact center", func() error {
			return deviceEnvelope(t, a, id, pa, "call.join", sup)
		}},
		{"the same connection joins twice", apperr.Conflict, "in this call already", func() error { return rooms.Join(ctx, id, sup) }},
		{"a joiner without a name", apperr.Invalid, "needs a name", func() error {
			j := sup
			j.ConnID, j.Name = "conn-x", ""
			return rooms.Join(ctx, id, j)
		}},
		{"a made-up role", apperr.Invalid, "not a role", func() error {
			j := sup
			j.ConnID, j.Role = "conn-x", "boss"
			return rooms.Join(ctx, id, j)
		}},
		{"a whisperer to nobody", apperr.Invalid, "whisperToCallee", func() error {
			return rooms.SetRole(ctx, id, nc.ID, media.RoleWhisperer, false)
		}},
		{"a role change for someone who did not join", apperr.NotFound, "has not joined", func() error {
			return rooms.SetRole(ctx, id, apptest.ConnOf(t, a, pa).ID, media.RoleListener, false)
		}},
		{"the caller taken out", apperr.Invalid, "caller cannot be taken out", agentCall(apptest.ConnOf(t, a, pa).ID)},
		{"someone not in the call taken out", apperr.NotFound, "not in this call", agentCall("conn-nobody")},
	} {
		t.Run(c.name, func(t *testing.T) { wantErr(t, c.do(), c.code, c.msg) })
	}

	// Leave: Noor goes, told so; the two sides go on as before.
	if err := rooms.Leave(ctx, id, nc.ID); err != nil {
		t.Fatalf("leave: %v", err)
	}
	pn.Expect("call.state", `you left the call`, 5*time.Second)
	pa.WaitRoster(within, "only Bob", func(r *media.RoomRosterData) bool { return len(r.Members) == 1 })
	pa.ExpectHears(within, []string{"Bob Joined"}, []string{"Bob Joined"})
	pb.ExpectHears(within, []string{"Alice Joined"}, []string{"Alice Joined"})
	// Its media connection is gone, and so is its say in the call.
	pn.Send("rtc.answer", map[string]any{"callId": id, "sdp": "v=0"})
	pn.Expect("error", `"code":"forbidden"`, 5*time.Second)

	// Up to 8 in a room: six more listeners fill it, a ninth is refused.
	for i := range 6 {
		j := directory.Joiner{ConnID: fmt.Sprintf("conn-fill-%d", i), AccountID: nc.AccountID, Name: fmt.Sprintf("Listener %d", i), Role: media.RoleListener}
		if err := rooms.Join(ctx, id, j); err != nil {
			t.Fatalf("listener %d: %v", i, err)
		}
	}
	ninth := directory.Joiner{ConnID: "conn-ninth", AccountID: nc.AccountID, Name: "Ninth", Role: media.RoleListener}
	wantErr(t, rooms.Join(ctx, id, ninth), apperr.Conflict, "the call is full")

	// Listeners do not keep a call going: the caller's hang-up ends it,
	// and a call that ended takes nobody in.
	pa.Send("call.hangup", map[string]any{"callId": id})
	pb.Expect("call.state", `"state":"ended"`, 5*time.Second)
	apptest.WaitFor(t, 5*time.Second, "the room to close", func() bool { return a.SFU.RoomCount() == 0 })
	wantErr(t, rooms.Join(ctx, id, ninth), apperr.NotFound, "no such call")
}

// TestJoinerHangsUpAndJoinsRingingCall: a joiner's own call.hangup takes
// it out of the call (the call goes on), and nobody joins a call that is
// not answered yet.
func TestJoinerHangsUpAndJoinsRingingCall(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	alice, bob, sam := apptest.Member(t, a, "Alice Ringing"), apptest.Member(t, a, "Bob Ringing"), apptest.Member(t, a, "Sam Colleague")
	pa, pb, ps := apptest.NewPhone(t, alice, base), apptest.NewPhone(t, bob, base), apptest.NewPhone(t, sam, base)
	rooms := directory.NewRooms(a.Bus.Conn)
	ctx := t.Context()
	bobNumber := bob.MyNumber()
	apptest.WaitFor(t, 3*time.Second, "bob online", func() bool { return alice.Resolve(bobNumber).State == "available" })
	pa.Send("call.dial", map[string]any{"number": bobNumber, "video": true})
	id := apptest.CallIDOf(pa.Expect("call.state", `"state":"ringing"`, 5*time.Second))
	pb.Expect("call.incoming", id, 5*time.Second)
	sc := apptest.ConnOf(t, a, ps)
	sam1 := directory.Joiner{ConnID: sc.ID, AccountID: sc.AccountID, DeviceID: sc.DeviceID, Name: "Sam Colleague", Role: media.RoleParty}
	wantErr(t, rooms.Join(ctx, id, sam1), apperr.Conflict, "not connected")

	pb.Send("call.answer", map[string]any{"callId": id})
	pa.Expect("call.state", `"state":"active"`, 5*time.Second)
	if err := rooms.Join(ctx, id, sam1); err != nil {
		t.Fatalf("join: %v", err)
	}
	const within = 15 * time.Second
	ps.ExpectHears(within, []string{"Alice Ringing", "Bob Ringing"}, []string{"Alice Ringing", "Bob Ringing"})
	pa.ExpectHears(within, []string{"Bob Ringing", "Sam Colleague"}, []string{"Bob Ringing", "Sam Colleague"})
	ps.Send("call.hangup", map[string]any{"callId": id})
	ps.Expect("call.state", `you left the call`, 5*time.Second)
	pa.WaitRoster(within, "Sam gone", func(r *media.RoomRosterData) bool { return len(r.Members) == 1 })
	pa.ExpectHears(within, []string{"Bob Ringing"}, []string{"Bob Ringing"})
	pb.ExpectHears(within, []string{"Alice Ringing"}, []string{"Alice Ringing"})
	if st, _ := apptest.CallRecord(t, a, id); st != "active" {
		t.Fatalf("the call is %s after a joiner left, want active", st)
	}
}

// deviceEnvelope sends typ with data to the call's room as if a device
// (the phone's connection) had sent it, and returns the room's verdict.
func deviceEnvelope(t *testing.T, a *app.App, id string, p *apptest.Phone, typ string, data any) error {
	t.Helper()
	c := apptest.ConnOf(t, a, p)
	raw, _ := json.Marshal(data)
	env, _ := json.Marshal(map[string]any{
		"from":    map[string]any{"connId": c.ID, "accountId": c.AccountID, "deviceId": c.DeviceID},
		"message": media.Message{Type: typ, V: media.ProtocolVersion, Data: raw},
	})
	reply, err := a.Bus.Conn.Request("lm.room."+id, env, 5*time.Second)
	if err != nil {
		t.Fatalf("request the room: %v", err)
	}
	var v struct {
		Error *struct{ Code, Message string }
	}
	if err := json.Unmarshal(reply.Data, &v); err != nil {
		t.Fatalf("room verdict %s: %v", reply.Data, err)
	}
	if v.Error != nil {
		return apperr.New(v.Error.Code, "%s", v.Error.Message)
	}
	return nil
}

// wantErr checks an apperr refusal.
func wantErr(t *testing.T, err error, code, msg string) {
	t.Helper()
	if err == nil || apperr.Code(err) != code || !strings.Contains(apperr.Message(err), msg) {
		t.Fatalf("got %v (code %q), want %s containing %q", err, apperr.Code(err), code, msg)
	}
}
