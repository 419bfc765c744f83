package database_test

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/livemall/livemall/backend/database"
	"github.com/livemall/livemall/backend/database/dbtest"
	"github.com/livemall/livemall/migrations"
)

// The two migration folders must build the same schema, version by version:
// the same tables, columns (type family, nullability, whether a default
// exists, whether the database generates the value), primary keys, indexes
// (unique, partial, their columns), foreign keys (columns, target, ON
// DELETE) and the number of CHECK constraints. Each dialect is migrated up one
// step at a time, and rolled back one step at a time; after every step the
// two are compared with each other, and after every rollback each is
// compared with the schema it had at that version on the way up, so a Down
// that leaves something behind (or drops too much) fails on either dialect.
//
// The SQLite pass of `make test` runs before PostgreSQL is started: there the
// test checks SQLite's round trip alone and says so in its log, unless
// LIVEMALL_TEST_POSTGRES_URL is set. The PostgreSQL pass (where
// LIVEMALL_TEST_DATABASE=postgres) always has both databases, and fails when
// the URL is missing.
func TestDialectsMigrateToTheSameSchema(t *testing.T) {
	// The comparison itself must be able to fail: each hand-made pair
	// differs in one way, and that difference must be reported. These run
	// first, so a broken migration cannot hide them.
	t.Run("ReportsEachKindOfDifference", func(t *testing.T) {
		base := func() schema {
			return schema{"orders": {
				Columns: map[string]column{
					"id":     {Family: "text", NotNull: true},
					"total":  {Family: "integer", NotNull: true, Default: true},
					"paid":   {Family: "timestamp"},
					"serial": {Family: "integer", NotNull: true, Generated: true},
				},
				PrimaryKey: "id",
				Indexes: map[string]index{
					"orders_paid": {Columns: "paid", Partial: true},
				},
				ForeignKeys: map[string]string{"(store_id) → stores(id)": "cascade"},
				Checks:      2,
			}}
		}
		cases := []struct {
			name string
			edit func(schema)
			want string
		}{
			{"missing table", func(s schema) { delete(s, "orders") }, "table orders: only in sqlite"},
			{"missing column", func(s schema) { delete(s["orders"].Columns, "paid") }, "column orders.paid: only in sqlite"},
			{"nullability", func(s schema) { c := s["orders"].Columns["paid"]; c.NotNull = true; s["orders"].Columns["paid"] = c }, "column orders.paid: sqlite {timestamp null} ≠ postgres {timestamp not null}"},
			{"default", func(s schema) {
				c := s["orders"].Columns["total"]
				c.Default = false
				s["orders"].Columns["total"] = c
			}, "column orders.total: sqlite {integer not null default} ≠ postgres {integer not null}"},
			{"type family", func(s schema) { c := s["orders"].Columns["total"]; c.Family = "text"; s["orders"].Columns["total"] = c }, "column orders.total: sqlite {integer not null default} ≠ postgres {text not null default}"},
			{"generated", func(s schema) {
				c := s["orders"].Columns["serial"]
				c.Generated = false
				s["orders"].Columns["serial"] = c
			}, "column orders.serial: sqlite {integer not null generated} ≠ postgres {integer not null}"},
			{"primary key", func(s schema) { o := s["orders"]; o.PrimaryKey = "id,serial"; s["orders"] = o }, "primary key of orders: sqlite (id) ≠ postgres (id,serial)"},
			{"missing index", func(s schema) { delete(s["orders"].Indexes, "orders_paid") }, "index orders_paid on orders: only in sqlite"},
			{"index not partial", func(s schema) { s["orders"].Indexes["orders_paid"] = index{Columns: "paid"} }, "index orders_paid on orders: sqlite partial (paid) ≠ postgres (paid)"},
			{"index unique", func(s schema) {
				s["orders"].Indexes["orders_paid"] = index{Columns: "paid", Unique: true, Partial: true}
			}, "index orders_paid on orders: sqlite partial (paid) ≠ postgres unique partial (paid)"},
			{"index columns", func(s schema) { s["orders"].Indexes["orders_paid"] = index{Columns: "paid,id", Partial: true} }, "index orders_paid on orders: sqlite partial (paid) ≠ postgres partial (paid,id)"},
			{"missing foreign key", func(s schema) { clear(s["orders"].ForeignKeys) }, "foreign key orders(store_id) → stores(id): only in sqlite"},
			{"on delete", func(s schema) { s["orders"].ForeignKeys["(store_id) → stores(id)"] = "no action" }, "foreign key orders(store_id) → stores(id): sqlite on delete cascade ≠ postgres on delete no action"},
			{"missing check", func(s schema) { o := s["orders"]; o.Checks = 1; s["orders"] = o }, "checks on orders: sqlite has 2 ≠ postgres has 1"},
		}
		if diffs := compareSchemas(base(), base(), "sqlite", "postgres"); len(diffs) > 0 {
			t.Fatalf("identical schemas differ: %v", diffs)
		}
		for _, c := range cases {
			other := base()
			c.edit(other)
			diffs := compareSchemas(base(), other, "sqlite", "postgres")
			if len(diffs) != 1 || diffs[0] != c.want {
				t.Errorf("%s: got %q, want [%q]", c.name, diffs, c.want)
			}
		}
	})

	t.Run("MapsEveryDeclaredType", func(t *testing.T) {
		for _, c := range []struct{ declared, family string }{
			{"INTEGER", "integer"}, {"bigint", "integer"}, {"BIGINT", "integer"}, {"smallint", "integer"},
			{"TEXT", "text"}, {"character varying", "text"}, {"BOOLEAN", "boolean"},
			{"TIMESTAMP", "timestamp"}, {"timestamp with time zone", "timestamp"}, {"DATETIME", "timestamp"},
			{"REAL", "real"}, {"double precision", "real"}, {"BLOB", "blob"}, {"bytea", "blob"},
			{"jsonb", "json"}, {"JSON", "json"},
		} {
			if got, ok := typeFamily(c.declared); !ok || got != c.family {
				t.Errorf("typeFamily(%q) = %q, %v; want %q", c.declared, got, ok, c.family)
			}
		}
		if got, ok := typeFamily("VARCHAR(12)"); ok {
			t.Errorf("typeFamily(VARCHAR(12)) = %q: a type missing from the table must be reported, not guessed", got)
		}
	})

	ctx := context.Background()
	sides := []*schemaSide{openSchemaSide(t, database.Config{DataDir: t.TempDir()})}
	if dbtest.Dialect() == database.Postgres || os.Getenv("LIVEMALL_TEST_POSTGRES_URL") != "" {
		sides = append(sides, openSchemaSide(t, dbtest.PostgresConfig(t)))
	} else {
		t.Logf("LIVEMALL_TEST_POSTGRES_URL is not set: SQLite's up/down round trip only; the comparison with PostgreSQL runs in the PostgreSQL pass")
	}

	versions := migrationVersions(t)
	compareSides := func(when string) {
		t.Helper()
		if len(sides) < 2 {
			return
		}
		if diffs := compareSchemas(sides[0].read(t), sides[1].read(t), "sqlite", "postgres"); len(diffs) > 0 {
			t.Errorf("%s: sqlite and postgres differ:\n  %s", when, strings.Join(diffs, "\n  "))
		}
	}

	// up[i] is each side's schema with versions[:i] applied.
	up := make([][]schema, len(sides))
	for i, s := range sides {
		up[i] = append(up[i], s.read(t))
	}
	compareSides("before any migration")
	for _, v := range versions {
		for i, s := range sides {
			r, err := s.provider.UpByOne(ctx)
			if err != nil {
				t.Fatalf("%s: up to %d: %v", s.dialect, v, err)
			}
			if r.Source.Version != v {
				t.Fatalf("%s: up applied %d, want %d", s.dialect, r.Source.Version, v)
			}
			up[i] = append(up[i], s.read(t))
		}
		compareSides(fmt.Sprintf("after up to %05d", v))
	}
	for n := len(versions); n > 0; n-- {
		for i, s := range sides {
			r, err := s.provider.Down(ctx)
			if err != nil {
				t.Fatalf("%s: down from %d: %v", s.dialect, versions[n-1], err)
			}
			if r.Source.Version != versions[n-1] {
				t.Fatalf("%s: down rolled back %d, want %d", s.dialect, r.Source.Version, versions[n-1])
			}
			if diffs := compareSchemas(up[i][n-1], s.read(t), "before", "after"); len(diffs) > 0 {
				t.Errorf("%s: rolling back %05d leaves a schema unlike the one before its up:\n  %s",
					s.dialect, versions[n-1], strings.Join(diffs, "\n  "))
			}
		}
		compareSides(fmt.Sprintf("after rolling back %05d", versions[n-1]))
	}

}

// schema is one database's schema in a form both dialects map to: tables by
// name.
type schema map[string]table

type table struct {
	Columns map[string]column
	// PrimaryKey lists the key's columns in key order, comma-separated.
	PrimaryKey string
	// Indexes are keyed by name for indexes a migration named, and by
	// "unique(columns)" for those a UNIQUE constraint created (whose names
	// the dialects choose differently). The primary key's index is left out.
	Indexes map[string]index
	// ForeignKeys maps "(columns) → table(columns)" to the ON DELETE
	// action (no action, cascade, set null, restrict, set default).
	ForeignKeys map[string]string
	// Checks counts the CHECK constraints; their text is not compared
	// (SQLite spells a regular expression with GLOB).
	Checks int
}

type column struct {
	// Family is the declared type mapped by typeFamilies.
	Family  string
	NotNull bool
	// Default says a default exists, not what it is: the dialects spell
	// the same default differently ('ready'::text).
	Default bool
	// Generated marks a value the database numbers itself: SQLite's
	// INTEGER PRIMARY KEY, PostgreSQL's identity and serial columns.
	Generated bool
}

func (c column) String() string {
	s := c.Family
	if c.NotNull {
		s += " not null"
	} else {
		s += " null"
	}
	if c.Default {
		s += " default"
	}
	if c.Generated {
		s += " generated"
	}
	return "{" + s + "}"
}

type index struct {
	Columns string
	Unique  bool
	// Partial marks a WHERE clause; its text is not compared (PostgreSQL
	// rewrites it, IN becomes = ANY (ARRAY[…])).
	Partial bool
}

func (i index) String() string {
	s := ""
	if i.Unique {
		s += "unique "
	}
	if i.Partial {
		s += "partial "
	}
	return s + "(" + i.Columns + ")"
}

// typeFamilies maps every declared column type the migrations use, as
// SQLite's pragma table_info and PostgreSQL's information_schema report it
// (lower-cased), to the family both dialects must agree on. A type missing
// here fails the test: add it rather than guess.
var typeFamilies = map[string]string{
	"text":                        "text",
	"character varying":           "text",
	"integer":                     "integer",
	"bigint":                      "integer",
	"smallint":                    "integer",
	"boolean":                     "boolean",
	"timestamp":                   "timestamp",
	"datetime":                    "timestamp",
	"timestamp with time zone":    "timestamp",
	"timestamptz":                 "timestamp",
	"timestamp without time zone": "timestamp",
	"real":                        "real",
	"double precision":            "real",
	"blob":                        "blob",
	"bytea":                       "blob",
	"json":                        "json",
	"jsonb":                       "json",
}

// typeFamily returns the family of a declared type, and false when the
// type is not in typeFamilies.
func typeFamily(declared string) (string, bool) {
	f, ok := typeFamilies[strings.ToLower(strings.TrimSpace(declared))]
	return f, ok
}

// compareSchemas lists every difference between a and b, named an and bn
// in the report, one line each, in a stable order; none means equal.
func compareSchemas(a, b schema, an, bn string) []string {
	var out []string
	for _, name := range unionKeys(a, b) {
		ta, inA := a[name]
		tb, inB := b[name]
		switch {
		case !inB:
			out = append(out, "table "+name+": only in "+an)
			continue
		case !inA:
			out = append(out, "table "+name+": only in "+bn)
			continue
		}
		for _, col := range unionKeys(ta.Columns, tb.Columns) {
			ca, inA := ta.Columns[col]
			cb, inB := tb.Columns[col]
			switch {
			case !inB:
				out = append(out, fmt.Sprintf("column %s.%s: only in %s", name, col, an))
			case !inA:
				out = append(out, fmt.Sprintf("column %s.%s: only in %s", name, col, bn))
			case ca != cb:
				out = append(out, fmt.Sprintf("column %s.%s: %s %v ≠ %s %v", name, col, an, ca, bn, cb))
			}
		}
		for _, fk := range unionKeys(ta.ForeignKeys, tb.ForeignKeys) {
			fa, inA := ta.ForeignKeys[fk]
			fb, inB := tb.ForeignKeys[fk]
			switch {
			case !inB:
				out = append(out, fmt.Sprintf("foreign key %s%s: only in %s", name, fk, an))
			case !inA:
				out = append(out, fmt.Sprintf("foreign key %s%s: only in %s", name, fk, bn))
			case fa != fb:
				out = append(out, fmt.Sprintf("foreign key %s%s: %s on delete %s ≠ %s on delete %s", name, fk, an, fa, bn, fb))
			}
		}
		if ta.Checks != tb.Checks {
			out = append(out, fmt.Sprintf("checks on %s: %s has %d ≠ %s has %d", name, an, ta.Checks, bn, tb.Checks))
		}
		if ta.PrimaryKey != tb.PrimaryKey {
			out = append(out, fmt.Sprintf("primary key of %s: %s (%s) ≠ %s (%s)", name, an, ta.PrimaryKey, bn, tb.PrimaryKey))
		}
		for _, ix := range unionKeys(ta.Indexes, tb.Indexes) {
			ia, inA := ta.Indexes[ix]
			ib, inB := tb.Indexes[ix]
			switch {
			case !inB:
				out = append(out, fmt.Sprintf("index %s on %s: only in %s", ix, name, an))
			case !inA:
				out = append(out, fmt.Sprintf("index %s on %s: only in %s", ix, name, bn))
			case ia != ib:
				out = append(out, fmt.Sprintf("index %s on %s: %s %v ≠ %s %v", ix, name, an, ia, bn, ib))
			}
		}
	}
	return out
}

func unionKeys[V any](a, b map[string]V) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// migrationVersions lists the versions in the sqlite folder, in order
// (TestDialectsHaveTheSameMigrations holds the folders to the same names).
func migrationVersions(t *testing.T) []int64 {
	t.Helper()
	entries, err := fs.ReadDir(migrations.FS, database.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, e := range entries {
		v, err := goose.NumericComponent(e.Name())
		if err != nil {
			t.Fatalf("migration %s: %v", e.Name(), err)
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// schemaSide is one fresh database with a goose provider that moves it one
// version at a time.
type schemaSide struct {
	dialect  string
	db       *sql.DB
	provider *goose.Provider
}

func openSchemaSide(t *testing.T, cfg database.Config) *schemaSide {
	t.Helper()
	db, err := database.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sub, err := fs.Sub(migrations.FS, db.Dialect)
	if err != nil {
		t.Fatal(err)
	}
	gd := goose.DialectSQLite3
	if db.Dialect == database.Postgres {
		gd = goose.DialectPostgres
	}
	p, err := goose.NewProvider(gd, db.SQL(), sub)
	if err != nil {
		t.Fatal(err)
	}
	return &schemaSide{dialect: db.Dialect, db: db.SQL(), provider: p}
}

func (s *schemaSide) read(t *testing.T) schema {
	t.Helper()
	var (
		sc  schema
		err error
	)
	if s.dialect == database.Postgres {
		sc, err = readPostgresSchema(s.db)
	} else {
		sc, err = readSQLiteSchema(s.db)
	}
	if err != nil {
		t.Fatalf("read %s schema: %v", s.dialect, err)
	}
	return sc
}

// ignoredTable says whether a table is bookkeeping rather than livemall's:
// goose's version table and SQLite's own.
func ignoredTable(name string) bool {
	return name == "goose_db_version" || strings.HasPrefix(name, "sqlite_")
}

// readSQLiteSchema reads every table with four queries, joining
// sqlite_master with the table-valued pragmas (table_info,
// foreign_key_list, index_list, index_info).
func readSQLiteSchema(db *sql.DB) (schema, error) {
	out := schema{}
	tables, err := db.Query(`SELECT name, sql FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		return nil, err
	}
	for tables.Next() {
		var name, def string
		if err := tables.Scan(&name, &def); err != nil {
			tables.Close()
			return nil, err
		}
		if ignoredTable(name) {
			continue
		}
		out[name] = table{
			Columns:     map[string]column{},
			Indexes:     map[string]index{},
			ForeignKeys: map[string]string{},
			Checks:      len(sqliteCheck.FindAllStringIndex(sqlComment.ReplaceAllString(def, ""), -1)),
		}
	}
	tables.Close()
	if err := tables.Err(); err != nil {
		return nil, err
	}

	cols, err := db.Query(`
		SELECT m.name, p.name, p.type, p."notnull", p.dflt_value IS NOT NULL, p.pk
		FROM sqlite_master m JOIN pragma_table_info(m.name) p
		WHERE m.type = 'table' ORDER BY m.name, p.cid`)
	if err != nil {
		return nil, err
	}
	pks := map[string]map[int]string{}
	declared := map[string]string{}
	for cols.Next() {
		var (
			tname, name, typ string
			c                column
			pkPos            int
		)
		if err := cols.Scan(&tname, &name, &typ, &c.NotNull, &c.Default, &pkPos); err != nil {
			cols.Close()
			return nil, err
		}
		tb, ok := out[tname]
		if !ok {
			continue
		}
		fam, ok := typeFamily(typ)
		if !ok {
			cols.Close()
			return nil, fmt.Errorf("column %s.%s: type %q is not in typeFamilies", tname, name, typ)
		}
		c.Family = fam
		if pkPos > 0 {
			if pks[tname] == nil {
				pks[tname] = map[int]string{}
			}
			pks[tname][pkPos] = name
			declared[tname] = strings.ToUpper(typ)
			// SQLite lets a PRIMARY KEY column hold NULL unless it says
			// NOT NULL (a bug it keeps for compatibility); every key
			// livemall writes is set by the code, so a key column counts
			// as NOT NULL, as it is in PostgreSQL.
			c.NotNull = true
		}
		tb.Columns[name] = c
	}
	cols.Close()
	if err := cols.Err(); err != nil {
		return nil, err
	}
	for tname, pk := range pks {
		keys := make([]string, len(pk))
		for pos, name := range pk {
			keys[pos-1] = name
		}
		tb := out[tname]
		tb.PrimaryKey = strings.Join(keys, ",")
		// A lone primary key declared exactly INTEGER is the rowid:
		// SQLite numbers it (with or without AUTOINCREMENT).
		if len(keys) == 1 && declared[tname] == "INTEGER" {
			c := tb.Columns[keys[0]]
			c.Generated = true
			tb.Columns[keys[0]] = c
		}
		out[tname] = tb
	}

	fks, err := db.Query(`
		SELECT m.name, f.id, f."table", f."from", coalesce(f."to", ''), f.on_delete
		FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f
		WHERE m.type = 'table' ORDER BY m.name, f.id, f.seq`)
	if err != nil {
		return nil, err
	}
	type fkdef struct {
		table, onDelete string
		from, to        []string
	}
	byTable := map[string]map[int]*fkdef{}
	for fks.Next() {
		var (
			tname, ref, from, to, onDelete string
			id                             int
		)
		if err := fks.Scan(&tname, &id, &ref, &from, &to, &onDelete); err != nil {
			fks.Close()
			return nil, err
		}
		if byTable[tname] == nil {
			byTable[tname] = map[int]*fkdef{}
		}
		f, ok := byTable[tname][id]
		if !ok {
			f = &fkdef{table: ref, onDelete: strings.ToLower(onDelete)}
			byTable[tname][id] = f
		}
		f.from = append(f.from, from)
		f.to = append(f.to, to)
	}
	fks.Close()
	if err := fks.Err(); err != nil {
		return nil, err
	}
	for tname, defs := range byTable {
		tb, ok := out[tname]
		if !ok {
			continue
		}
		for _, f := range defs {
			tb.ForeignKeys[fmt.Sprintf("(%s) → %s(%s)", strings.Join(f.from, ","), f.table, strings.Join(f.to, ","))] = f.onDelete
		}
	}

	idx, err := db.Query(`
		SELECT m.name, l.name, l."unique", l.origin, l.partial, coalesce(i.name, '<expr>')
		FROM sqlite_master m JOIN pragma_index_list(m.name) l JOIN pragma_index_info(l.name) i
		WHERE m.type = 'table' AND l.origin <> 'pk' ORDER BY m.name, l.name, i.seqno`)
	if err != nil {
		return nil, err
	}
	type idef struct {
		table, origin string
		ix            index
		cols          []string
	}
	var order []string
	byName := map[string]*idef{}
	for idx.Next() {
		var (
			tname, iname, origin, col string
			unique, partial           bool
		)
		if err := idx.Scan(&tname, &iname, &unique, &origin, &partial, &col); err != nil {
			idx.Close()
			return nil, err
		}
		d, ok := byName[iname]
		if !ok {
			d = &idef{table: tname, origin: origin, ix: index{Unique: unique, Partial: partial}}
			byName[iname] = d
			order = append(order, iname)
		}
		d.cols = append(d.cols, col)
	}
	idx.Close()
	if err := idx.Err(); err != nil {
		return nil, err
	}
	for _, iname := range order {
		d := byName[iname]
		tb, ok := out[d.table]
		if !ok {
			continue
		}
		d.ix.Columns = strings.Join(d.cols, ",")
		key := iname
		if d.origin == "u" {
			// UNIQUE constraints get names SQLite makes up.
			key = "unique(" + d.ix.Columns + ")"
		}
		tb.Indexes[key] = d.ix
	}
	return out, nil
}

// postgresActions names pg_constraint.confdeltype as SQLite's
// pragma foreign_key_list does.
var postgresActions = map[string]string{"a": "no action", "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}

// sqliteCheck finds CHECK constraints in a CREATE TABLE statement once its
// comments are gone (sqlComment).
var (
	sqliteCheck = regexp.MustCompile(`(?i)\bCHECK\s*\(`)
	sqlComment  = regexp.MustCompile(`--[^\n]*`)
)

func readPostgresSchema(db *sql.DB) (schema, error) {
	out := schema{}
	rows, err := db.Query(`
		SELECT c.table_name, c.column_name, c.data_type, c.is_nullable = 'NO',
		       c.column_default IS NOT NULL AND c.column_default NOT LIKE 'nextval(%',
		       c.is_identity = 'YES' OR coalesce(c.column_default LIKE 'nextval(%', false)
		FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
		ORDER BY c.table_name, c.ordinal_position`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var (
			tname, cname, typ string
			c                 column
		)
		if err := rows.Scan(&tname, &cname, &typ, &c.NotNull, &c.Default, &c.Generated); err != nil {
			rows.Close()
			return nil, err
		}
		if ignoredTable(tname) {
			continue
		}
		fam, ok := typeFamily(typ)
		if !ok {
			rows.Close()
			return nil, fmt.Errorf("column %s.%s: type %q is not in typeFamilies", tname, cname, typ)
		}
		c.Family = fam
		tb, ok := out[tname]
		if !ok {
			tb = table{Columns: map[string]column{}, Indexes: map[string]index{}, ForeignKeys: map[string]string{}}
			out[tname] = tb
		}
		tb.Columns[cname] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	crows, err := db.Query(`
		SELECT t.relname, k.contype, k.confdeltype,
		       coalesce(r.relname, ''),
		       coalesce((SELECT string_agg(a.attname, ',' ORDER BY c.n)
		          FROM unnest(k.conkey) WITH ORDINALITY c(attnum, n)
		          JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = c.attnum), ''),
		       coalesce((SELECT string_agg(a.attname, ',' ORDER BY c.n)
		          FROM unnest(k.confkey) WITH ORDINALITY c(attnum, n)
		          JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = c.attnum), '')
		FROM pg_constraint k
		JOIN pg_class t ON t.oid = k.conrelid
		JOIN pg_namespace s ON s.oid = t.relnamespace
		LEFT JOIN pg_class r ON r.oid = k.confrelid
		WHERE s.nspname = current_schema() AND k.contype IN ('c', 'f')`)
	if err != nil {
		return nil, err
	}
	for crows.Next() {
		var tname, kind, onDelete, ref, from, to string
		if err := crows.Scan(&tname, &kind, &onDelete, &ref, &from, &to); err != nil {
			crows.Close()
			return nil, err
		}
		tb, ok := out[tname]
		if !ok {
			continue
		}
		if kind == "c" {
			tb.Checks++
			out[tname] = tb
			continue
		}
		tb.ForeignKeys[fmt.Sprintf("(%s) → %s(%s)", from, ref, to)] = postgresActions[onDelete]
	}
	crows.Close()
	if err := crows.Err(); err != nil {
		return nil, err
	}

	irows, err := db.Query(`
		SELECT t.relname, i.relname, ix.indisunique, ix.indisprimary, ix.indpred IS NOT NULL,
		       EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = ix.indexrelid AND k.contype = 'u'),
		       (SELECT string_agg(pg_get_indexdef(ix.indexrelid, n, true), ',' ORDER BY n)
		          FROM generate_series(1, ix.indnatts) n)
		FROM pg_index ix
		JOIN pg_class i ON i.oid = ix.indexrelid
		JOIN pg_class t ON t.oid = ix.indrelid
		JOIN pg_namespace s ON s.oid = t.relnamespace
		WHERE s.nspname = current_schema()`)
	if err != nil {
		return nil, err
	}
	defer irows.Close()
	for irows.Next() {
		var (
			tname, iname            string
			cols                    string
			ix                      index
			primary, fromConstraint bool
		)
		if err := irows.Scan(&tname, &iname, &ix.Unique, &primary, &ix.Partial, &fromConstraint, &cols); err != nil {
			return nil, err
		}
		tb, ok := out[tname]
		if !ok {
			continue // goose's table
		}
		ix.Columns = cols
		switch {
		case primary:
			tb.PrimaryKey = cols
			out[tname] = tb
		case fromConstraint:
			tb.Indexes["unique("+cols+")"] = ix
		default:
			tb.Indexes[iname] = ix
		}
	}
	return out, irows.Err()
}
