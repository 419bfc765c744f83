package app_test

import (
	"fmt"
	"go/scanner"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gorm.io/gorm/schema"
)

// tableOwners maps each slice to its folders and the tables it owns. A
// slice reads and writes only its own tables; what others need from them
// it offers as methods in its api.go.
var tableOwners = []struct {
	slice  string
	dirs   []string
	tables []string
}{
	{"auth", []string{"backend/auth"}, []string{"accounts", "sessions", "passkeys", "ceremonies", "enrollments", "invites", "account_recoveries", "device_sessions"}},
	{"directory", []string{"directory"}, []string{"numbers", "number_blocks", "number_claims", "calls", "messages", "store_messages", "email_tokens", "devices", "device_accounts", "device_guests", "member_profiles", "call_members", "region_entries", "region_outbox"}},
	{"mall", []string{"mall"}, []string{"stores", "products", "product_addons", "carts", "cart_items", "orders", "order_lines", "order_events", "age_checks", "age_judgements", "order_sign_ceremonies", "order_signatures", "credit_applications", "credit_charges", "credit_sign_ceremonies", "credit_signatures", "credit_rules", "payment_attempts", "webhook_events", "mall_presence"}},
	{"agentdesk", []string{"agentdesk"}, []string{"agent_states", "queue_entries", "board_items", "engagement_supervisions", "engagement_transfers"}},
	{"media", []string{"media"}, nil},
	{"appointments", []string{"appointments"}, []string{"appointment_settings", "agent_hours", "appointments"}},
	{"push", []string{"push"}, []string{"vapid_keys", "push_subscriptions"}},
	{"notices", []string{"notices"}, []string{"notice_settings"}},
}

// knownCrossings are the queries of another slice's table that are left
// to move behind the owner's api.go (file and table). The list only
// shrinks: a crossing not in it fails the test, and so does an entry that
// no longer crosses.
var knownCrossings = map[string]bool{}

// queryOf finds the tables named in the SQL of a Go string literal.
var (
	tableCall = regexp.MustCompile(`\bTable\(\s*"([a-z_]+)`)
	modelCall = regexp.MustCompile(`\bModel\(\s*&(?:[a-z]+\.)?([A-Z][A-Za-z0-9]*)\{`)
	sqlWord   = regexp.MustCompile(`(?i)\b(?:FROM|JOIN|UPDATE|INTO)\s+([a-z_]+)`)
	// A variable of another slice's model type that a query fills:
	// var x auth.Account … Take(&x).
	modelVar  = regexp.MustCompile(`\bvar\s+([a-zA-Z_][A-Za-z0-9_]*)\s+(?:\[\])?\*?(?:auth|mall|directory|agentdesk|media)\.([A-Z][A-Za-z0-9]*)\b`)
	filledVar = regexp.MustCompile(`\b(?:Take|Find|First|Last|Scan)\(\s*&([a-zA-Z_][A-Za-z0-9_]*)\s*\)`)
	tableName = regexp.MustCompile(`func \(\*?([A-Z][A-Za-z0-9]*)\) TableName\(\) string \{\s*return "([a-z_]+)"`)
)

// crossing is a query of another slice's table.
type crossing struct {
	pos          string // file:line
	table, owner string
}

// queriedTables lists the tables that the Go source src queries: names in
// Table("x"), Model(&T{}) (by T's TableName in models, else GORM's default
// name), variables of another slice's model type filled by Take, Find,
// First, Last or Scan, and SQL in string literals (FROM, JOIN, UPDATE, INSERT INTO,
// DELETE FROM). Only names in known count, so prose is not mistaken for SQL.
func queriedTables(file string, src []byte, models map[string]string, known map[string]string) []struct {
	line  int
	table string
} {
	var out []struct {
		line  int
		table string
	}
	add := func(line int, t string) {
		if _, ok := known[t]; ok {
			out = append(out, struct {
				line  int
				table string
			}{line, t})
		}
	}
	fset := token.NewFileSet()
	f := fset.AddFile(file, -1, len(src))
	var s scanner.Scanner
	s.Init(f, src, nil, 0)
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok != token.STRING {
			continue
		}
		line := fset.Position(pos).Line
		for _, m := range sqlWord.FindAllStringSubmatch(lit, -1) {
			add(line, strings.ToLower(m[1]))
		}
	}
	typeOf := map[string]string{} // variable → the other slice's model type
	for i, text := range strings.Split(string(src), "\n") {
		if strings.HasPrefix(strings.TrimSpace(text), "//") {
			continue
		}
		for _, m := range modelVar.FindAllStringSubmatch(text, -1) {
			typeOf[m[1]] = m[2]
		}
		for _, m := range filledVar.FindAllStringSubmatch(text, -1) {
			if typ, ok := typeOf[m[1]]; ok {
				t, ok := models[typ]
				if !ok {
					t = schema.NamingStrategy{}.TableName(typ)
				}
				add(i+1, t)
			}
		}
		for _, m := range tableCall.FindAllStringSubmatch(text, -1) {
			add(i+1, m[1])
		}
		for _, m := range modelCall.FindAllStringSubmatch(text, -1) {
			t, ok := models[m[1]]
			if !ok {
				t = schema.NamingStrategy{}.TableName(m[1])
			}
			add(i+1, t)
		}
	}
	return out
}

// crossings returns the queries in the sources (file name → text) of
// slice that name a table another slice owns.
func crossings(slice string, sources map[string][]byte, models, owner map[string]string) []crossing {
	var out []crossing
	names := make([]string, 0, len(sources))
	for n := range sources {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, q := range queriedTables(name, sources[name], models, owner) {
			if o := owner[q.table]; o != slice {
				out = append(out, crossing{pos: fmt.Sprintf("%s:%d", name, q.line), table: q.table, owner: o})
			}
		}
	}
	return out
}

// migratedTables returns the tables the migrations of one dialect create,
// leaving out SQLite's rebuild copies (x_new, x_old), renamed or dropped
// in the same migration, and scratch tables the same migration drops.
func migratedTables(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations in %s: %v", dir, err)
	}
	create := regexp.MustCompile(`(?i)CREATE TABLE (?:IF NOT EXISTS )?"?([a-z_]+)`)
	seen := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// A table created and dropped within one direction (Up or Down) is
		// a migration's scratch space, not a table anyone queries.
		for _, section := range strings.Split(string(b), "-- +goose Down") {
			for _, m := range create.FindAllStringSubmatch(section, -1) {
				n := m[1]
				scratch := regexp.MustCompile(`(?i)DROP TABLE (?:IF EXISTS )?"?` + n + `"?\s*;`).MatchString(section)
				if !strings.HasSuffix(n, "_new") && !strings.HasSuffix(n, "_old") && !scratch {
					seen[n] = true
				}
			}
		}
	}
	var out []string
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// TestSlicesQueryOnlyTheirOwnTables holds the map of which slice owns
// which table and fails on any query, in a slice's non-test Go source, of
// a table another slice owns.
func TestSlicesQueryOnlyTheirOwnTables(t *testing.T) {
	root := filepath.Join("..", "..")
	owner := map[string]string{}
	for _, s := range tableOwners {
		for _, tb := range s.tables {
			if o, dup := owner[tb]; dup {
				t.Errorf("table %s is owned by both %s and %s", tb, o, s.slice)
			}
			owner[tb] = s.slice
		}
	}
	for _, dialect := range []string{"sqlite", "postgres"} {
		for _, tb := range migratedTables(t, filepath.Join(root, "migrations", dialect)) {
			if owner[tb] == "" {
				t.Errorf("migrations/%s creates table %s, which no slice owns: add it to tableOwners", dialect, tb)
			}
		}
	}
	sources := map[string]map[string][]byte{}
	models := map[string]string{}
	for _, s := range tableOwners {
		sources[s.slice] = map[string][]byte{}
		for _, d := range s.dirs {
			files, _ := filepath.Glob(filepath.Join(root, d, "*.go"))
			for _, f := range files {
				if strings.HasSuffix(f, "_test.go") {
					continue
				}
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				rel, _ := filepath.Rel(root, f)
				sources[s.slice][rel] = b
				for _, m := range tableName.FindAllStringSubmatch(string(b), -1) {
					models[m[1]] = m[2]
				}
			}
		}
	}
	left := map[string]bool{}
	for _, s := range tableOwners {
		for _, c := range crossings(s.slice, sources[s.slice], models, owner) {
			key := c.pos[:strings.LastIndex(c.pos, ":")] + " " + c.table
			if knownCrossings[key] {
				left[key] = true
				continue
			}
			t.Errorf("%s: %s queries table %s, which %s owns: ask %s through its api.go", c.pos, s.slice, c.table, c.owner, c.owner)
		}
	}
	for key := range knownCrossings {
		if !left[key] {
			t.Errorf("knownCrossings lists %q, which no longer crosses: remove it", key)
		}
	}

	t.Run("a planted violation is found", func(t *testing.T) {
		src := []byte(`package agentdesk

// The stores are read from the orders' FROM clause below (prose: not a query).
func storeName(db *gorm.DB, id int64) string {
	var name string
	db.Table("stores").Where("id = ?", id).Pluck("name", &name)
	db.Model(&Order{}).Where("store_id = ?", id).Count(&n)
	db.Raw("SELECT 1 FROM queue_entries e JOIN carts c ON c.id = e.cart_id").Scan(&x)
	db.Exec("UPDATE agent_states SET state = 'away'")
	var shopper auth.Account
	db.Where("id = ?", id).Take(&shopper)
	var own QueueEntry
	db.Take(&own)
	return name
}
`)
		got := crossings("agentdesk", map[string][]byte{"agentdesk/planted.go": src}, map[string]string{"Order": "orders"}, owner)
		var lines []string
		for _, c := range got {
			lines = append(lines, c.pos+" "+c.table+" ("+c.owner+")")
		}
		want := []string{"agentdesk/planted.go:8 carts (mall)", "agentdesk/planted.go:6 stores (mall)", "agentdesk/planted.go:7 orders (mall)", "agentdesk/planted.go:11 accounts (auth)"}
		if strings.Join(lines, "\n") != strings.Join(want, "\n") {
			t.Fatalf("found:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
		}
	})
}
