package database_test

import (
	"context"
	"io/fs"
	"strings"
	"testing"

	"github.com/livemall/livemall/backend/database"
	"github.com/livemall/livemall/backend/database/dbtest"
	"github.com/livemall/livemall/migrations"
)

func TestMigrationsGoUpDownAndUpAgain(t *testing.T) {
	ctx := context.Background()
	db, err := database.Open(ctx, dbtest.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Dialect != dbtest.Dialect() {
		t.Fatalf("dialect %s, want %s", db.Dialect, dbtest.Dialect())
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := db.MigrationStatus(ctx)
	if err != nil || len(st) < 2 {
		t.Fatalf("status: %v %v", st, err)
	}
	for _, s := range st {
		if s.AppliedAt == nil {
			t.Fatalf("%s not applied after up", s.File)
		}
	}
	for range st {
		if err := db.MigrateDown(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.MigrateDown(ctx); err == nil || !strings.Contains(err.Error(), "no migration is applied") {
		t.Fatalf("down past the first migration: %v", err)
	}
	if empty, err := db.IsEmpty(ctx); err == nil {
		t.Fatalf("stores table still there after all downs (empty=%v)", empty)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
	if empty, err := db.IsEmpty(ctx); err != nil || !empty {
		t.Fatalf("IsEmpty after up = %v, %v", empty, err)
	}
}

// Both dialects must carry the same migration versions.
func TestDialectsHaveTheSameMigrations(t *testing.T) {
	names := func(dir string) []string {
		entries, err := fs.ReadDir(migrations.FS, dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		return out
	}
	s, p := names("sqlite"), names("postgres")
	if strings.Join(s, ",") != strings.Join(p, ",") {
		t.Fatalf("sqlite has %v, postgres has %v", s, p)
	}
}

func TestSQLiteRunsInWALModeWithForeignKeys(t *testing.T) {
	db, err := database.Open(context.Background(), database.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	var fk int
	if err := db.Raw("PRAGMA journal_mode").Scan(&mode).Error; err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v", mode, err)
	}
	if err := db.Raw("PRAGMA foreign_keys").Scan(&fk).Error; err != nil || fk != 1 {
		t.Fatalf("foreign_keys = %d, %v", fk, err)
	}
}
