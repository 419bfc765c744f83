package database_test

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
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
// exists, whether the database generates the value), primary keys and
// indexes (unique, partial, their columns). Each dialect is migrated up one
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
				t.Errorf("%s: rolling back %05d leaves a schema unlike the one before its up :\n  %s",
					s.dialect, versions[n-1], strings.Join(diffs, "\n  "))
			}
		}
		compareSides(fmt.Sprintf("after rolling back %05d", versions[n-1]))
	}

	// The comparison itself must be able to fail: each hand-made pair
	// differs in one way, and that difference must be reported.
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

func readSQLiteSchema(db *sql.DB) (schema, error) {
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	type tdef struct{ name string }
	var tables []tdef
	for rows.Next() {
		var d tdef
		if err := rows.Scan(&d.name); err != nil {
			rows.Close()
			return nil, err
		}
		if !ignoredTable(d.name) {
			tables = append(tables, d)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := schema{}
	for _, d := range tables {
		tb := table{Columns: map[string]column{}, Indexes: map[string]index{}}
		rows, err := db.Query(`SELECT name, type, "notnull", dflt_value IS NOT NULL, pk FROM pragma_table_info(?) ORDER BY cid`, d.name)
		if err != nil {
			return nil, err
		}
		pk := map[int]string{}
		declared := map[string]string{}
		for rows.Next() {
			var (
				name, typ  string
				notNull    bool
				hasDefault bool
				pkPos      int
			)
			if err := rows.Scan(&name, &typ, &notNull, &hasDefault, &pkPos); err != nil {
				rows.Close()
				return nil, err
			}
			fam, ok := typeFamily(typ)
			if !ok {
				rows.Close()
				return nil, fmt.Errorf("column %s.%s: type %q is not in typeFamilies", d.name, name, typ)
			}
			declared[name] = strings.ToUpper(typ)
			if pkPos > 0 {
				pk[pkPos] = name
				// SQLite lets a PRIMARY KEY column hold NULL unless it
				// says NOT NULL (a bug kept for compatibility); every
				// key livemall writes is set by the code, so a key
				// column counts as NOT NULL as it is in PostgreSQL.
				notNull = true
			}
			out := column{Family: fam, NotNull: notNull, Default: hasDefault}
			tb.Columns[name] = out
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		keys := make([]string, len(pk))
		for pos, name := range pk {
			keys[pos-1] = name
		}
		tb.PrimaryKey = strings.Join(keys, ",")
		// A lone primary key declared exactly INTEGER is the rowid:
		// SQLite numbers it (with or without AUTOINCREMENT).
		if len(keys) == 1 && declared[keys[0]] == "INTEGER" {
			c := tb.Columns[keys[0]]
			c.Generated = true
			tb.Columns[keys[0]] = c
		}

		irows, err := db.Query(`SELECT name, "unique", origin, partial FROM pragma_index_list(?)`, d.name)
		if err != nil {
			return nil, err
		}
		type idef struct {
			name, origin    string
			unique, partial bool
		}
		var idx []idef
		for irows.Next() {
			var i idef
			if err := irows.Scan(&i.name, &i.unique, &i.origin, &i.partial); err != nil {
				irows.Close()
				return nil, err
			}
			idx = append(idx, i)
		}
		irows.Close()
		if err := irows.Err(); err != nil {
			return nil, err
		}
		for _, i := range idx {
			if i.origin == "pk" {
				continue
			}
			crows, err := db.Query(`SELECT coalesce(name, '<expr>') FROM pragma_index_info(?) ORDER BY seqno`, i.name)
			if err != nil {
				return nil, err
			}
			var cols []string
			for crows.Next() {
				var c string
				if err := crows.Scan(&c); err != nil {
					crows.Close()
					return nil, err
				}
				cols = append(cols, c)
			}
			crows.Close()
			if err := crows.Err(); err != nil {
				return nil, err
			}
			ix := index{Columns: strings.Join(cols, ","), Unique: i.unique, Partial: i.partial}
			key := i.name
			if i.origin == "u" {
				key = "unique(" + ix.Columns + ")"
			}
			tb.Indexes[key] = ix
		}
		out[d.name] = tb
	}
	return out, nil
}

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
			tb = table{Columns: map[string]column{}, Indexes: map[string]index{}}
			out[tname] = tb
		}
		tb.Columns[cname] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
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
