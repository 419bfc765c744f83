package database_test

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"time"

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

// Rolling back 00006 (the contact center) with calls in the table: the
// members' calls and their mailbox messages stay, guests' calls go (the
// schema before 00006 requires a caller account) and a message that pointed
// at one keeps its row without the call. Rolling forward again keeps them.
func TestRollingBackTheContactCenterKeepsMembersCalls(t *testing.T) {
	ctx := context.Background()
	cfg := dbtest.Config(t)
	db, err := database.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if err := db.WithContext(ctx).Exec(q, args...).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	exec(`INSERT INTO accounts (id, webauthn_id, role, name, email, created_at) VALUES (?, ?, 'member', 'Ann', 'ann@example.com', ?)`, "acc_ann", []byte{1, 2, 3}, now)
	call := `INSERT INTO calls (id, caller_account_id, caller_guest, callee_number, node, state, started_at) VALUES (?, ?, ?, '200000000001', 'n1', 'ended', ?)`
	exec(call, "call_member", "acc_ann", nil, now)
	exec(call, "call_guest", nil, "guesthash", now)
	msg := `INSERT INTO messages (id, account_id, number, call_id, from_name, blob_key, content_type, has_video, duration_ms, bytes, created_at) VALUES (?, 'acc_ann', '200000000001', ?, 'x', 'k', 'audio/ogg', FALSE, 1, 1, ?)`
	exec(msg, "msg_member", "call_member", now)
	exec(msg, "msg_guest", "call_guest", now)

	for {
		st, err := db.MigrationStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var current int64
		for _, s := range st {
			if s.AppliedAt != nil {
				current = s.Version
			}
		}
		if current <= 5 {
			break
		}
		if err := db.MigrateDown(ctx); err != nil {
			t.Fatalf("down from %d: %v", current, err)
		}
	}
	check := func(when string) {
		t.Helper()
		var calls []string
		if err := db.WithContext(ctx).Raw(`SELECT id FROM calls ORDER BY id`).Scan(&calls).Error; err != nil {
			t.Fatal(err)
		}
		if strings.Join(calls, ",") != "call_member" {
			t.Errorf("%s: calls = %v, want [call_member]", when, calls)
		}
		var msgs []string
		if err := db.WithContext(ctx).Raw(`SELECT id || ' on ' || coalesce(call_id, 'no call') FROM messages ORDER BY id`).Scan(&msgs).Error; err != nil {
			t.Fatal(err)
		}
		if strings.Join(msgs, ", ") != "msg_guest on no call, msg_member on call_member" {
			t.Errorf("%s: messages = %v, want [msg_guest on no call, msg_member on call_member]", when, msgs)
		}
	}
	check("after rolling back to 00005")
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
	check("after migrating up again")
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

// Migration 00022 makes stores.time_zone the store's one zone: a store
// whose zone is still the default UTC takes its appointment zone; a store
// that set its own keeps it; rolling back gives appointments the store's
// zone again.
func TestOneTimeZonePerStoreMigration(t *testing.T) {
	ctx := context.Background()
	db, err := database.Open(ctx, dbtest.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	current := func() int64 {
		t.Helper()
		st, err := db.MigrationStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var v int64
		for _, s := range st {
			if s.AppliedAt != nil {
				v = s.Version
			}
		}
		return v
	}
	for current() >= 22 {
		if err := db.MigrateDown(ctx); err != nil {
			t.Fatal(err)
		}
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if err := db.WithContext(ctx).Exec(q, args...).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	store := `INSERT INTO stores (id, slug, name, brand_color, building_floors, building_width, building_roof, tax_rate_bp, created_at, time_zone) VALUES (?, ?, 'S', '#112233', 3, 2, 'flat', 2000, ?, ?)`
	exec(store, 1, "utc-with-appointments", now, "UTC")
	exec(store, 2, "own-zone", now, "Asia/Tokyo")
	exec(store, 3, "no-appointments", now, "UTC")
	settings := `INSERT INTO appointment_settings (store_id, time_zone, updated_at) VALUES (?, ?, ?)`
	exec(settings, 1, "Europe/Berlin", now)
	exec(settings, 2, "Europe/Lisbon", now)
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	zones := func(q string) string {
		t.Helper()
		var z []string
		if err := db.WithContext(ctx).Raw(q).Scan(&z).Error; err != nil {
			t.Fatal(err)
		}
		return strings.Join(z, ",")
	}
	if got := zones(`SELECT time_zone FROM stores ORDER BY id`); got != "Europe/Berlin,Asia/Tokyo,UTC" {
		t.Fatalf("stores' zones after 00022: %s", got)
	}
	if got := zones(`SELECT CAST(settings_version AS TEXT) FROM stores ORDER BY id`); got != "0,0,0" {
		t.Fatalf("versions after 00022: %s", got)
	}
	for current() >= 22 {
		if err := db.MigrateDown(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := zones(`SELECT time_zone FROM appointment_settings ORDER BY store_id`); got != "Europe/Berlin,Asia/Tokyo" {
		t.Fatalf("appointment zones after rolling 00022 back: %s", got)
	}
}

// TestSQLiteWritesTimesAsOlderDatabasesHoldThem stores times as the text
// the driver before modernc.org/sqlite wrote ("2006-01-02
// 15:04:05.999999999-07:00", no monotonic reading), so that the rows of an
// older database sort and compare with new ones, and reads them back.
func TestSQLiteWritesTimesAsOlderDatabasesHoldThem(t *testing.T) {
	db, err := database.Open(context.Background(), database.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Exec("CREATE TABLE times (id INTEGER PRIMARY KEY, at DATETIME)").Error; err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 6, 9, 5, 3, 120000000, time.UTC)
	now := time.Now() // carries a monotonic reading
	old := "2026-12-06 09:05:02.5+00:00"
	for i, v := range []any{at, now, old} {
		if err := db.Exec("INSERT INTO times (id, at) VALUES (?, ?)", i+1, v).Error; err != nil {
			t.Fatal(err)
		}
	}
	var texts []string
	if err := db.Raw("SELECT CAST(at AS TEXT) FROM times ORDER BY id").Scan(&texts).Error; err != nil {
		t.Fatal(err)
	}
	if texts[0] != "2026-12-06 09:05:03.12+00:00" {
		t.Fatalf("a time is written as %q, want 2026-12-06 09:05:03.12+00:00", texts[0])
	}
	if strings.Contains(texts[1], "m=") || strings.Contains(texts[1], " +0") {
		t.Fatalf("time.Now() is written as %q: Go's time.String, not the stored format", texts[1])
	}
	var order []int
	if err := db.Raw("SELECT id FROM times WHERE id <> 2 ORDER BY at").Scan(&order).Error; err != nil {
		t.Fatal(err)
	}
	if len(order) != 2 || order[0] != 3 || order[1] != 1 {
		t.Fatalf("an older row and a new one sort as %v, want [3 1]", order)
	}
	var back time.Time
	if err := db.Raw("SELECT at FROM times WHERE id = 1").Scan(&back).Error; err != nil || !back.Equal(at) {
		t.Fatalf("read back %v (%v), want %v", back, err, at)
	}
}
