package agentdesk

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/database/dbtest"
	"github.com/livemall/livemall/mall"
)

// Compare two commits with: go test -run='^$' -bench=Router -count=10
// ./agentdesk > old.txt (then new.txt) and benchstat old.txt new.txt.

// BenchmarkRouterAssign times one routing decision: the transaction that
// pairs a store's first shopper in line with its longest-idle free agent
// (Queue.assign), on the test database (SQLite, or PostgreSQL in the
// PostgreSQL run). Between iterations, with the timer stopped, the pair is
// put back (the shopper at the end of the line, the agent free), so the
// line and the free agents keep their size.
func BenchmarkRouterAssign(b *testing.B) {
	for _, size := range []struct{ line, agents int }{{1, 1}, {100, 10}, {1000, 50}} {
		b.Run(fmt.Sprintf("line=%d/agents=%d", size.line, size.agents), func(b *testing.B) {
			r, storeID, online := routingBench(b, size.line, size.agents)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				e, agentID, err := r.assign(ctx, storeID, online)
				if err != nil {
					b.Fatalf("assign: %v", err)
				}
				b.StopTimer()
				putBack(b, r.db, e.ID, agentID)
				b.StartTimer()
			}
		})
	}
}

// routingBench seeds the demo mall, gives its first store agents free
// agents (idle since different moments) and line waiting guests, and
// returns a queue over that database with the store and its agents.
func routingBench(b *testing.B, line, agents int) (*Queue, int64, []string) {
	b.Helper()
	ctx := context.Background()
	db := dbtest.Open(b).DB
	seeded, err := mall.SeedDemo(ctx, db)
	if err != nil {
		b.Fatalf("seed demo mall: %v", err)
	}
	storeID := seeded.Stores[0].ID
	accounts, err := auth.New(db, auth.Config{PublicURL: "http://localhost"})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	var online []string
	for i := 0; i < agents; i++ {
		a, err := accounts.CreateAccount(ctx, auth.NewAccount{Role: auth.RoleAgent, Name: fmt.Sprintf("Agent %d", i),
			Email: fmt.Sprintf("agent-%d@bench.example.com", i), StoreID: &storeID})
		if err != nil {
			b.Fatalf("create agent: %v", err)
		}
		idle := now.Add(-time.Duration(agents-i) * time.Second)
		if err := db.Create(&AgentState{AccountID: a.ID, StoreID: storeID, State: AgentAvailable, Since: idle, IdleSince: idle}).Error; err != nil {
			b.Fatalf("agent state: %v", err)
		}
		online = append(online, a.ID)
	}
	for i := 0; i < line; i++ {
		guest := fmt.Sprintf("guest-%d", i)
		e := QueueEntry{ID: fmt.Sprintf("qe_bench_%06d", i), StoreID: storeID, CallID: fmt.Sprintf("call-%d", i), Node: "bench",
			ConnID: fmt.Sprintf("conn-%d", i), GuestHash: &guest, ShopperName: "Guest", Context: "{}", State: EntryWaiting,
			EnteredAt: now.Add(time.Duration(i) * time.Millisecond)}
		if err := db.Create(&e).Error; err != nil {
			b.Fatalf("queue entry: %v", err)
		}
	}
	return &Queue{db: db}, storeID, online
}

// putBack returns an assigned shopper to the end of the line and the agent
// to the free agents, idle since now.
func putBack(b *testing.B, db *gorm.DB, entryID, agentID string) {
	b.Helper()
	now := time.Now().UTC()
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&QueueEntry{}).Where("id = ?", entryID).
			Updates(map[string]any{"state": EntryWaiting, "agent_account_id": nil, "offered_at": nil, "entered_at": now.Add(time.Hour)}).Error; err != nil {
			return err
		}
		return tx.Model(&AgentState{}).Where("account_id = ?", agentID).
			Updates(map[string]any{"state": AgentAvailable, "since": now, "idle_since": now, "entry_id": nil}).Error
	})
	if err != nil {
		b.Fatalf("put back: %v", err)
	}
}
