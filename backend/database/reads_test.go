package database_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/livemall/livemall/backend/database"
	"github.com/livemall/livemall/backend/database/dbtest"
)

// TestWatchingReadsRacesNoQuery checks that a watcher set while other
// goroutines query is told of every read statement, and of none after it
// stops (run under -race: setting one must not race the queries).
func TestWatchingReadsRacesNoQuery(t *testing.T) {
	ctx := context.Background()
	db, err := database.Open(ctx, dbtest.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() { // queries already running when the watcher is set
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				var n int64
				db.WithContext(ctx).Table("stores").Count(&n)
			}
		}()
	}
	var seen, mine atomic.Int64
	stop := db.WatchReads(func(sql string) {
		seen.Add(1)
		if sql == `SELECT 7 AS "seven"` || sql == "SELECT 7 AS `seven`" || sql == "SELECT 7 AS seven" {
			mine.Add(1)
		}
	})
	var seven int
	for range 3 {
		if err := db.WithContext(ctx).Raw("SELECT 7 AS seven").Row().Scan(&seven); err != nil || seven != 7 {
			t.Fatalf("select 7: %d %v", seven, err)
		}
	}
	close(done)
	wg.Wait()
	stop()
	if mine.Load() != 3 {
		t.Fatalf("the watcher saw %d of the 3 reads it should have (%d reads in all)", mine.Load(), seen.Load())
	}
	after := seen.Load()
	var n int64
	db.WithContext(ctx).Table("stores").Count(&n)
	if seen.Load() != after {
		t.Fatal("the watcher was told of a read after it stopped")
	}
}
