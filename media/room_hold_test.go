package media_test

import (
	"testing"

	"github.com/livemall/livemall/media"
)

// TestHeldParticipantHearsAndIsHeardByNobody holds the shopper of a call
// of three (a transfer's consultation): the two agents hear each other,
// the shopper hears nobody and nobody hears the shopper; off hold, the
// shopper and the agent left after the first one went hear each other
// again, each on the connection it had.
func TestHeldParticipantHearsAndIsHeardByNobody(t *testing.T) {
	onEachEngine(t, testHeldParticipantHearsAndIsHeardByNobody)
}

func testHeldParticipantHearsAndIsHeardByNobody(t *testing.T, engine media.SFUConfig) {
	_, room := newRoom(t, engine, "hold")
	shopper := joinDevice(t, room, "caller", 1, media.RoleParty, "")
	ana := joinDevice(t, room, "callee", 2, media.RoleParty, "")
	expectMedia(t, []*device{shopper, ana}, everyone(shopper, ana))

	if err := room.Hold("caller", true); err != nil {
		t.Fatal(err)
	}
	if !room.Held("caller") {
		t.Fatal("the shopper is not held")
	}
	maria := joinDevice(t, room, "p3", 3, media.RoleParty, "")
	expectMedia(t, []*device{shopper, ana, maria}, everyone(ana, maria))

	if _, err := room.Leave("callee"); err != nil {
		t.Fatal(err)
	}
	if err := room.Hold("caller", false); err != nil {
		t.Fatal(err)
	}
	expectMedia(t, []*device{shopper, maria}, everyone(shopper, maria))
	if n := shopper.offers.Load(); n != 1 {
		t.Errorf("the shopper got %d offers, want the first only (no renegotiation)", n)
	}
	if err := room.Hold("nobody", true); err == nil {
		t.Error("holding someone not in the call was not refused")
	}
}
