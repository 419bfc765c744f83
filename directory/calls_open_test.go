package directory

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/database"
	"github.com/livemall/livemall/backend/database/dbtest"
)

// TestOpenCallQuestionsReadOnlyOpenCalls gives a member a long history of
// ended calls and another one answered call, then asks the questions of
// every dial: the answers are right, and the plans search the indexes of
// open calls (never the whole table, never a member's whole history).
func TestOpenCallQuestionsReadOnlyOpenCalls(t *testing.T) {
	db := dbtest.Open(t)
	now := time.Now().UTC()
	for i, id := range []string{"acc_long", "acc_busy", "acc_other"} {
		if err := db.Exec(`INSERT INTO accounts (id, webauthn_id, role, name, email, created_at) VALUES (?, ?, 'member', ?, ?, ?)`,
			id, []byte{byte(i + 1)}, id, id+"@example.com", now).Error; err != nil {
			t.Fatal(err)
		}
	}
	long, busy, other := "acc_long", "acc_busy", "acc_other"
	var history []CallRecord
	for i := range 1500 {
		caller, callee := &long, &other
		if i%2 == 1 {
			caller, callee = &other, &long
		}
		history = append(history, CallRecord{ID: fmt.Sprintf("c%04d", i), CallerAccountID: caller, CalleeAccountID: callee,
			CalleeNumber: "200000000001", Node: "n1", State: callEnded, StartedAt: now.Add(-time.Duration(i) * time.Minute)})
	}
	history = append(history, CallRecord{ID: "live", CallerAccountID: &other, CalleeAccountID: &busy, CalleeNumber: "200000000002", Node: "n1", State: callActive, StartedAt: now},
		CallRecord{ID: "ringing", CallerAccountID: &long, CalleeAccountID: &other, CalleeNumber: "200000000001", Node: "n1", State: callRinging, StartedAt: now})
	if err := db.CreateInBatches(history, 200).Error; err != nil {
		t.Fatal(err)
	}
	if db.Dialect == database.Postgres {
		db.Exec("ANALYZE calls")
	} else {
		db.Exec("ANALYZE")
	}

	for who, want := range map[string]bool{long: false, busy: true, other: true} {
		var in bool
		if err := db.Raw("SELECT "+inAnsweredCallSQL, who, who).Scan(&in).Error; err != nil || in != want {
			t.Errorf("%s in an answered call: %v (%v), want %v", who, in, err, want)
		}
	}
	var open int64
	if err := db.Model(&CallRecord{}).Where(openCallsSQL).Where("caller_account_id = ?", long).Count(&open).Error; err != nil || open != 1 {
		t.Errorf("open calls of %s: %d (%v), want 1", long, open, err)
	}

	questions := map[string]string{
		"in an answered call":  "SELECT " + inAnsweredCallSQL,
		"open calls by caller": "SELECT count(*) FROM calls WHERE " + openCallsSQL + " AND caller_account_id = ?",
		"open calls by guest":  "SELECT count(*) FROM calls WHERE " + openCallsSQL + " AND caller_guest = ?",
	}
	for name, q := range questions {
		args := []any{long, long}
		if strings.Count(q, "?") == 1 {
			args = args[:1]
		}
		plan := explain(t, db, q, args...)
		if !strings.Contains(plan, "calls_open_") || strings.Contains(plan, "calls_caller") || strings.Contains(plan, "calls_callee") {
			t.Errorf("%s: the plan does not read the open calls' indexes alone:\n%s", name, plan)
		}
		if db.Dialect == database.SQLite && strings.Contains(plan, "SCAN calls") {
			t.Errorf("%s: the plan scans the calls table:\n%s", name, plan)
		}
	}
}

// explain returns the query plan of q, one line per step. On PostgreSQL a
// sequential scan is switched off: the table is small for its planner, and
// the question is which index it takes.
func explain(t *testing.T, db *database.DB, q string, args ...any) string {
	t.Helper()
	var lines []string
	if db.Dialect == database.Postgres {
		tx := db.Begin()
		defer tx.Rollback()
		tx.Exec("SET LOCAL enable_seqscan = off")
		if err := tx.Raw("EXPLAIN "+q, args...).Scan(&lines).Error; err != nil {
			t.Fatal(err)
		}
		return strings.Join(lines, "\n")
	}
	rows, err := db.Raw("EXPLAIN QUERY PLAN "+q, args...).Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	return strings.Join(lines, "\n")
}
