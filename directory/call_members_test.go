package directory_test

import (
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/directory"
	"github.com/livemall/livemall/media"
)

// TestCallMembersShowBusyInTheDirectory: a member added to a call (Cara,
// by call.invite) and one the contact center joined (Noor, by Rooms.Join)
// show busy to a directory watcher while in the call and available again
// once they left it; the call's end forgets every member.
func TestCallMembersShowBusyInTheDirectory(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	alice, bob, cara, noor := apptest.Member(t, a, "Alice Busy"), apptest.Member(t, a, "Bob Busy"), apptest.Member(t, a, "Cara Busy"), apptest.Member(t, a, "Noor Busy")
	pa, pb, pc, pn := apptest.NewPhone(t, alice, base), apptest.NewPhone(t, bob, base), apptest.NewPhone(t, cara, base), apptest.NewPhone(t, noor, base)
	watcher := apptest.Member(t, a, "Wanda Watcher")
	ws := watcher.OpenSocket(base)
	ws.Send("directory.watch", "")
	const within = 30 * time.Second

	// expect waits for the watcher to be told the account's state.
	expect := func(who *apptest.Client, state directory.State) {
		t.Helper()
		id := who.AccountID()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			m := ws.Next()
			if m.Type == "presence" && strings.Contains(string(m.Data), id) && strings.Contains(string(m.Data), `"state":"`+string(state)+`"`) {
				return
			}
		}
		t.Fatalf("the watcher was not told %s is %s", id, state)
	}
	members := func() int64 {
		var n int64
		a.DB.Table("call_members").Count(&n)
		return n
	}

	id := apptest.Connect(t, alice, pa, bob, pb)
	if st := alice.Resolve(cara.MyNumber()).State; st != "available" {
		t.Fatalf("Cara before the call is %s", st)
	}

	// Cara is added and answers: busy; she hangs up, the call goes on
	// without her: available.
	pa.Send("call.invite", map[string]any{"callId": id, "number": cara.MyNumber()})
	pc.Expect("call.incoming", id, 15*time.Second)
	pc.Send("call.answer", map[string]any{"callId": id})
	pc.Expect("call.state", `"state":"active"`, 15*time.Second)
	expect(cara, directory.StateBusy)
	if st := bob.Resolve(cara.MyNumber()).State; st != "busy" {
		t.Fatalf("Cara in the call resolves as %s", st)
	}
	pc.ExpectHears(within, []string{"Alice Busy", "Bob Busy"}, []string{"Alice Busy", "Bob Busy"})
	pc.Send("call.hangup", map[string]any{"callId": id})
	pc.Expect("call.state", `you left the call`, 15*time.Second)
	expect(cara, directory.StateAvailable)
	if n := members(); n != 0 {
		t.Fatalf("%d members recorded after Cara left", n)
	}

	// Noor is joined by the contact center as a listener: busy until the
	// contact center takes her out.
	rooms := directory.NewRooms(a.Bus.Conn)
	nc := apptest.ConnOf(t, a, pn)
	if err := rooms.Join(t.Context(), id, directory.Joiner{ConnID: nc.ID, AccountID: nc.AccountID, DeviceID: nc.DeviceID, Name: "Noor, supervisor", Role: media.RoleListener}); err != nil {
		t.Fatalf("join: %v", err)
	}
	expect(noor, directory.StateBusy)
	pn.ExpectHears(within, []string{"Alice Busy", "Bob Busy"}, []string{"Alice Busy", "Bob Busy"})
	if err := rooms.Leave(t.Context(), id, nc.ID); err != nil {
		t.Fatalf("leave: %v", err)
	}
	expect(noor, directory.StateAvailable)

	// Noor joins again and the call ends under her: she is free again and
	// no member is left recorded.
	if err := rooms.Join(t.Context(), id, directory.Joiner{ConnID: nc.ID, AccountID: nc.AccountID, DeviceID: nc.DeviceID, Name: "Noor, supervisor", Role: media.RoleListener}); err != nil {
		t.Fatalf("join again: %v", err)
	}
	expect(noor, directory.StateBusy)
	pa.Send("call.hangup", map[string]any{"callId": id})
	pb.Expect("call.state", `"state":"ended"`, 15*time.Second)
	expect(noor, directory.StateAvailable)
	if n := members(); n != 0 {
		t.Fatalf("%d members recorded after the call ended", n)
	}
}
