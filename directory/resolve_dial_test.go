package directory_test

import (
	"context"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/directory"
)

// TestADialResolvesASalesNumberWithoutItsLinesState: a dial resolves a
// store's sales number to the same store as a look-up does, but without
// the state of its line (the agents' calls in progress are not read: the
// line takes the call whatever its agents are doing), so it says offline
// where a look-up says available; a member's number resolves for a dial
// exactly as for a look-up. (The state is what shows it: counting
// statements with gorm callbacks registered on a running app races with
// its background loops.)
func TestADialResolvesASalesNumberWithoutItsLinesState(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	sales := apptest.SalesNumber(t, a, apptest.RoutingStore)
	ag := apptest.AgentOf(t, a, apptest.RoutingStore, "Ada Agent")
	apptest.NewPhone(t, ag, base)
	apptest.WaitFor(t, 10*time.Second, "the agent available", func() bool { return agentState(a, ag.AccountID()) == "available" })
	alice := apptest.Member(t, a, "Alice Online")
	apptest.NewPhone(t, alice, base)

	ctx := context.Background()
	num, err := directory.ParseNumber(sales)
	if err != nil {
		t.Fatal(err)
	}
	// A look-up works out the line's state (OnlineAgents: the agents'
	// devices and their calls in progress); a dial's resolve does not, so
	// the state it leaves is offline although the agent is available.
	var looked *directory.Resolution
	apptest.WaitFor(t, 10*time.Second, "a look-up to find the line available", func() bool {
		looked, err = a.Directory.Resolve(ctx, num)
		return err == nil && looked.State == directory.StateAvailable
	})
	dialed, err := a.Directory.ResolveToDial(ctx, num)
	if err != nil {
		t.Fatal(err)
	}
	if dialed.State != directory.StateOffline {
		t.Fatalf("a dial's resolve of the sales number worked out the line's state (%s)", dialed.State)
	}
	if dialed.Party.Type != directory.PartyQueue || dialed.Party.StoreID != looked.Party.StoreID || dialed.Party.Name != looked.Party.Name ||
		dialed.Party.Store == nil || dialed.Party.Store.Slug != looked.Party.Store.Slug || dialed.Number != looked.Number {
		t.Fatalf("a dial resolves the sales number to %+v, a look-up to %+v", dialed.Party, looked.Party)
	}

	mine, err := directory.ParseNumber(alice.MyNumber())
	if err != nil {
		t.Fatal(err)
	}
	apptest.WaitFor(t, 10*time.Second, "alice online", func() bool {
		r, err := a.Directory.Resolve(ctx, mine)
		return err == nil && r.State == directory.StateAvailable
	})
	looked, err = a.Directory.Resolve(ctx, mine)
	if err != nil {
		t.Fatal(err)
	}
	dialed, err = a.Directory.ResolveToDial(ctx, mine)
	if err != nil {
		t.Fatal(err)
	}
	if dialed.State != looked.State || dialed.Party != looked.Party || len(dialed.Ring) != len(looked.Ring) || len(dialed.Ring) == 0 {
		t.Fatalf("a dial resolves alice's number to %+v, a look-up to %+v", dialed, looked)
	}
	if _, err := a.Directory.ResolveToDial(ctx, directory.Number("299999999998")); err == nil {
		t.Fatal("a dial resolved a number nobody has")
	}
}
