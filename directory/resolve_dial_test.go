package directory_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/directory"
)

// TestADialResolvesASalesNumberWithoutItsLinesState: a dial resolves a
// store's sales number to the same store as a look-up does, but without
// the state of its line (no statement reads the calls in progress, which
// only that state needs: the line takes the call whatever its agents are
// doing); a member's number resolves for a dial exactly as for a look-up.
func TestADialResolvesASalesNumberWithoutItsLinesState(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	sales := apptest.SalesNumber(t, a, apptest.RoutingStore)
	ag := apptest.AgentOf(t, a, apptest.RoutingStore, "Ada Agent")
	apptest.NewPhone(t, ag, base)
	apptest.WaitFor(t, 10*time.Second, "the agent available", func() bool { return agentState(a, ag.AccountID()) == "available" })
	alice := apptest.Member(t, a, "Alice Online")
	apptest.NewPhone(t, alice, base)

	var inProgress atomic.Int64
	count := func(tx *gorm.DB) {
		if strings.Contains(tx.Statement.SQL.String(), "call_members") {
			inProgress.Add(1)
		}
	}
	if err := a.DB.Callback().Raw().After("gorm:raw").Register("count_in_progress", count); err != nil {
		t.Fatal(err)
	}
	if err := a.DB.Callback().Query().After("gorm:query").Register("count_in_progress_q", count); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	num, err := directory.ParseNumber(sales)
	if err != nil {
		t.Fatal(err)
	}
	// A look-up works out the line's state: it reads the calls in progress.
	before := inProgress.Load()
	looked, err := a.Directory.Resolve(ctx, num)
	if err != nil {
		t.Fatal(err)
	}
	if looked.State != directory.StateAvailable || inProgress.Load() == before {
		t.Fatalf("a look-up of the sales number: state %s, %d reads of calls in progress", looked.State, inProgress.Load()-before)
	}
	before = inProgress.Load()
	dialed, err := a.Directory.ResolveToDial(ctx, num)
	if err != nil {
		t.Fatal(err)
	}
	if n := inProgress.Load() - before; n != 0 {
		t.Fatalf("a dial's resolve of the sales number read the calls in progress %d times, want 0", n)
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
