package database

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
)

// More SQLite writers queue for the write turn than the pool has
// connections: the writer that holds the turn must still find a connection
// for a read outside its transaction (and gorm for preparing a statement
// there), or the turn is never given back and every writer waits out the
// busy timeout. CI saw exactly that when queued writers held connections:
// 32 sign-ups in flight, 24 connections, all of them failing after 30 s.
// Now a transaction takes its turn before a connection, and the pool stays
// bounded.
func TestSQLiteWriterHoldingTheTurnStillFindsAConnectionWhileOthersQueue(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Exec("CREATE TABLE t (n INTEGER NOT NULL)").Error; err != nil {
		t.Fatal(err)
	}
	const waiting = 40
	var wg sync.WaitGroup
	errs := make(chan error, waiting+1)
	err = db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("INSERT INTO t VALUES (0)").Error; err != nil {
			return err
		}
		for i := 1; i <= waiting; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				errs <- db.Transaction(func(tx *gorm.DB) error { return tx.Exec("INSERT INTO t VALUES (?)", i).Error })
			}(i)
		}
		// Wait until every writer is queued for the turn.
		deadline := time.Now().Add(time.Minute)
		for db.turns.waiting.Load() < waiting {
			if time.Now().After(deadline) {
				return errors.New("the writers never queued")
			}
			time.Sleep(5 * time.Millisecond)
		}
		// A read outside the transaction, with a statement not prepared yet.
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		var n int64
		if err := db.WithContext(rctx).Raw("SELECT count(*) FROM t WHERE n >= ?", 0).Scan(&n).Error; err != nil {
			return errors.New("a read beside the transaction found no connection: " + err.Error())
		}
		if n != 0 {
			t.Errorf("read outside the transaction saw %d rows, want 0 (nothing committed yet)", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a queued writer: %v", err)
		}
	}
	var n int64
	if err := db.Raw("SELECT count(*) FROM t").Scan(&n).Error; err != nil || n != waiting+1 {
		t.Fatalf("rows = %d (%v), want %d", n, err, waiting+1)
	}
}
