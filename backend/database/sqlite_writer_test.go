package database

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// Many writers at once, each reading then writing in one transaction and
// doing some work while it holds the lock: every one of them gets its turn
// (none fails with "database is locked"), and no increment is lost.
func TestSQLiteWritersTakeTurnsAndNoneStarves(t *testing.T) {
	db, err := openSerializedSQLite(sqliteDSN(t.TempDir()+"/turns.db"), 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(24)
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE counter (n INTEGER NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO counter VALUES (0)"); err != nil {
		t.Fatal(err)
	}
	const writers, rounds = 64, 5
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				tx, err := db.BeginTx(context.Background(), nil)
				if err != nil {
					errs <- err
					return
				}
				var n int
				if err := tx.QueryRow("SELECT n FROM counter").Scan(&n); err != nil {
					tx.Rollback()
					errs <- err
					return
				}
				time.Sleep(200 * time.Microsecond)
				if _, err := tx.Exec("UPDATE counter SET n = ?", n+1); err != nil {
					tx.Rollback()
					errs <- err
					return
				}
				if r%2 == 0 {
					// A write outside a transaction takes its turn too.
					if err := tx.Commit(); err != nil {
						errs <- err
						return
					}
					if _, err := db.Exec("UPDATE counter SET n = n + 1"); err != nil {
						errs <- err
						return
					}
					continue
				}
				if err := tx.Commit(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow("SELECT n FROM counter").Scan(&n); err != nil {
		t.Fatal(err)
	}
	want := writers*rounds + writers*((rounds+1)/2)
	if n != want {
		t.Fatalf("counter = %d, want %d: an update was lost", n, want)
	}
}

// A writer that cannot get its turn within the wait gets a clear error,
// and a rolled-back transaction hands the turn on.
func TestSQLiteWriterGivesUpAfterTheWaitAndRollbackHandsTheTurnOn(t *testing.T) {
	db, err := openSerializedSQLite(sqliteDSN(t.TempDir()+"/turns.db"), 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE t (n INTEGER)"); err != nil {
		t.Fatal(err)
	}
	holder, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO t VALUES (1)"); !errors.Is(err, errWriterBusy) {
		t.Fatalf("write while another transaction holds the turn: %v, want %v", err, errWriterBusy)
	}
	if _, err := db.BeginTx(context.Background(), nil); !errors.Is(err, errWriterBusy) {
		t.Fatalf("second transaction: %v, want %v", err, errWriterBusy)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.ExecContext(ctx, "INSERT INTO t VALUES (1)"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled write: %v", err)
	}
	// Reads do not wait for the turn.
	var n int
	if err := db.QueryRow("SELECT count(*) FROM t").Scan(&n); err != nil || n != 0 {
		t.Fatalf("read during a write: %d %v", n, err)
	}
	if err := holder.Rollback(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO t VALUES (2)"); err != nil {
		t.Fatalf("write after the rollback: %v", err)
	}
}
