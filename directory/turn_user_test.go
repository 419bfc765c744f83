package directory

import (
	"strings"
	"testing"
)

// TestTURNUserNamesAreOnePerMemberAndGuest: every side of a call gets a
// TURN user name of its own, so the TURN server's per-user allocation quota
// bounds each guest and member apart; before, every guest was the user ""
// and one guest could use up the allocations of them all.
func TestTURNUserNamesAreOnePerMemberAndGuest(t *testing.T) {
	guestA := party{ConnID: "c1", Guest: strings.Repeat("a", 64)}
	guestB := party{ConnID: "c2", Guest: strings.Repeat("b", 64)}
	guestA2 := party{ConnID: "c3", Guest: strings.Repeat("a", 64)} // guest A's other tab
	member := party{ConnID: "c4", AccountID: "acc_1"}
	memberAsGuestID := party{ConnID: "c5", Guest: "acc_1"}
	nobody := party{ConnID: "c6"}

	names := map[string]party{}
	for _, p := range []party{guestA, guestB, member, memberAsGuestID, nobody} {
		u := turnUser(p)
		if u == "" || strings.HasSuffix(u, "-") {
			t.Fatalf("turnUser(%+v) = %q: every side needs a name", p, u)
		}
		if other, dup := names[u]; dup {
			t.Fatalf("turnUser gives %+v and %+v the same name %q", p, other, u)
		}
		names[u] = p
	}
	if turnUser(guestA) != turnUser(guestA2) {
		t.Fatal("one guest's two connections have two TURN user names: the quota would not bound the guest")
	}
	if u := turnUser(guestA); len(u) > 40 {
		t.Fatalf("guest TURN user %q is longer than it needs to be", u)
	}
}
