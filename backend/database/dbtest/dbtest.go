// Package dbtest gives tests a fresh, migrated database: SQLite in a temp dir
// by default, or a new PostgreSQL database when LIVEMALL_TEST_DATABASE=postgres.
// The PostgreSQL suite never skips: without LIVEMALL_TEST_POSTGRES_URL it
// fails, so a CI run that forgot to start PostgreSQL is red, not green.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // driver for creating and dropping test databases

	"github.com/livemall/livemall/backend/database"
)

// Dialect returns the dialect the test run uses: "postgres" when
// LIVEMALL_TEST_DATABASE=postgres, "sqlite" otherwise.
func Dialect() string {
	if os.Getenv("LIVEMALL_TEST_DATABASE") == database.Postgres {
		return database.Postgres
	}
	return database.SQLite
}

// Config returns a database config for a fresh, empty database that is
// dropped when the test ends; dataDir is used for SQLite.
func Config(t testing.TB) database.Config {
	t.Helper()
	if Dialect() == database.SQLite {
		return database.Config{DataDir: t.TempDir()}
	}
	return database.Config{URL: freshPostgres(t)}
}

// Open returns a fresh, migrated database, closed when the test ends.
func Open(t testing.TB) *database.DB {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, Config(t))
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	return db
}

// freshPostgres creates a new database on the server named by
// LIVEMALL_TEST_POSTGRES_URL and returns its URL.
func freshPostgres(t testing.TB) string {
	t.Helper()
	base := os.Getenv("LIVEMALL_TEST_POSTGRES_URL")
	if base == "" {
		t.Fatalf("LIVEMALL_TEST_DATABASE=postgres but LIVEMALL_TEST_POSTGRES_URL is empty: start PostgreSQL (make test does) and set it")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("connect to test PostgreSQL: %v", err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	rand.Read(b)
	name := "lm_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create test database on %s: %v", base, err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse LIVEMALL_TEST_POSTGRES_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// PostgresConfig returns a config for a fresh, empty PostgreSQL database on
// the server named by LIVEMALL_TEST_POSTGRES_URL, whatever dialect the run
// uses, dropped when the test ends. It fails the test when the URL is empty.
// Tests that compare the two dialects use it beside a SQLite config.
func PostgresConfig(t testing.TB) database.Config {
	t.Helper()
	return database.Config{URL: freshPostgres(t)}
}
