package agentdesk

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/database/dbtest"
	"github.com/livemall/livemall/mall"
)

// TestEngagementViewKeepsTheDesksFields pins GET /desk/engagements/{entry}
// as the desk reads it, now that a struct (EngagementView) answers it: the
// same keys as before (plus supervisions and agents, always lists), accountId only
// for a member, agent only once an agent was offered the shopper, the
// times not yet reached as null.
func TestEngagementViewKeepsTheDesksFields(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Open(t).DB
	seeded, err := mall.SeedDemo(ctx, db)
	if err != nil {
		t.Fatalf("seed demo mall: %v", err)
	}
	storeID := seeded.Stores[0].ID
	a, err := auth.New(db, auth.Config{PublicURL: "http://localhost"})
	if err != nil {
		t.Fatal(err)
	}
	agent, err := a.CreateAccount(ctx, auth.NewAccount{Role: auth.RoleAgent, Name: "Ada Agent", Email: "ada@view.example.com", StoreID: &storeID})
	if err != nil {
		t.Fatalf("create agent: %v", err)
	}
	member, err := a.CreateAccount(ctx, auth.NewAccount{Role: auth.RoleMember, Name: "Mo Member", Email: "mo@view.example.com", BirthDate: "1990-01-02", ByOperator: true})
	if err != nil {
		t.Fatalf("create member: %v", err)
	}
	guest, now := "guest-hash", time.Now().UTC()
	for _, e := range []QueueEntry{
		{ID: "qe_view_guest", StoreID: storeID, CallID: "call-1", Node: "n", ConnID: "c1", GuestHash: &guest, ShopperName: "Guest",
			Context: "{}", State: EntryWaiting, EnteredAt: now},
		{ID: "qe_view_member", StoreID: storeID, CallID: "call-2", Node: "n", ConnID: "c2", AccountID: &member.ID, ShopperName: "Mo Member",
			Context: "{}", State: EntryConnected, AgentAccountID: &agent.ID, EnteredAt: now, OfferedAt: &now, AnsweredAt: &now},
	} {
		if err := db.Create(&e).Error; err != nil {
			t.Fatalf("queue entry: %v", err)
		}
	}
	g := NewEngagements(db, nil, mall.NewCatalog(db), auth.NewAccounts(db), nil)
	common := []string{"entryId", "state", "name", "member", "context", "enteredAt", "answeredAt", "endedAt", "outcome", "note", "callback", "orders", "supervisions", "agents"}
	for _, c := range []struct {
		entry string
		extra []string
		nulls []string
	}{
		{"qe_view_guest", nil, []string{"answeredAt", "endedAt", "outcome"}},
		{"qe_view_member", []string{"accountId", "agent"}, []string{"endedAt", "outcome"}},
	} {
		v, err := g.View(ctx, storeID, c.entry)
		if err != nil {
			t.Fatalf("view %s: %v", c.entry, err)
		}
		raw, _ := json.Marshal(v)
		var got map[string]any
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		want := slices.Sorted(slices.Values(append(slices.Clone(common), c.extra...)))
		if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, want) {
			t.Errorf("%s: keys %v, want %v", c.entry, keys, want)
		}
		for _, k := range c.nulls {
			if got[k] != nil {
				t.Errorf("%s: %s = %v, want null", c.entry, k, got[k])
			}
		}
		if c.entry == "qe_view_member" && (got["agent"] != "Ada Agent" || got["accountId"] != member.ID || got["member"] != true) {
			t.Errorf("%s: agent %v, accountId %v, member %v; want Ada Agent, %s, true", c.entry, got["agent"], got["accountId"], got["member"], member.ID)
		}
		if agents, ok := got["agents"].([]any); !ok || (c.entry == "qe_view_member" && (len(agents) != 1 || agents[0] != "Ada Agent")) {
			t.Errorf("%s: agents %v, want a list (Ada Agent for the member's)", c.entry, got["agents"])
		}
	}
	if _, err := g.View(ctx, storeID+1, "qe_view_guest"); err == nil {
		t.Error("another store's staff saw the engagement")
	}
}
