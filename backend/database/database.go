// Package database opens livemall's durable store, SQLite in the data dir by
// default or PostgreSQL when a URL is given, and applies the embedded
// migrations. Every slice works on the *gorm.DB it returns; the same queries
// run on both dialects.
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	sqlite "github.com/libtnb/sqlite"
	"github.com/pressly/goose/v3"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/livemall/livemall/migrations"
)

// Dialects supported by Open.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Config says where the database lives.
type Config struct {
	// URL selects PostgreSQL when it starts with postgres:// or postgresql://.
	// Empty means SQLite in DataDir.
	URL string
	// DataDir holds livemall.db when URL is empty.
	DataDir string
}

// DB is an open database: the gorm handle every slice uses, and its dialect.
type DB struct {
	*gorm.DB
	Dialect string
	sql     *sql.DB
	turns   *writerTurns // SQLite's write turns; nil on PostgreSQL
	reads   *readWatch   // who is told of every read (WatchReads)
}

// Open opens the database described by cfg and checks that it answers. It
// does not migrate; call Migrate. The error is one line fit for a terminal.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	// PrepareStmt caches prepared statements: preparing every query again
	// was a third of the CPU of a number lookup on SQLite.
	gcfg := &gorm.Config{Logger: logger.Discard, TranslateError: true, PrepareStmt: true, NowFunc: func() time.Time { return time.Now().UTC() }}
	var (
		g       *gorm.DB
		err     error
		dialect string
		turns   *writerTurns
	)
	switch {
	case strings.HasPrefix(cfg.URL, "postgres://"), strings.HasPrefix(cfg.URL, "postgresql://"):
		dialect = Postgres
		g, err = gorm.Open(postgres.Open(cfg.URL), gcfg)
	case cfg.URL == "":
		dialect = SQLite
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
		var pool *turnPool
		pool, err = openTurnPool(sqliteDSN(filepath.Join(cfg.DataDir, "livemall.db")), sqliteBusyTimeout)
		if err != nil {
			return nil, fmt.Errorf("open database: %s", oneLine(err))
		}
		g, err = gorm.Open(&sqlite.Dialector{Conn: pool}, gcfg)
		turns = pool.turns
	default:
		return nil, fmt.Errorf("open database: unsupported database URL %q (want postgres://…, or none for SQLite)", redact(cfg.URL))
	}
	if err != nil {
		return nil, fmt.Errorf("open %s database: %s", dialect, oneLine(err))
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, fmt.Errorf("open %s database: %s", dialect, oneLine(err))
	}
	reads := &readWatch{}
	if err := reads.register(g); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open %s database: %s", dialect, oneLine(err))
	}
	if dialect == SQLite {
		// One writer at a time is all SQLite allows: writers take turns
		// (sqlite_writer.go), and a transaction waits for its turn before
		// it takes a connection (turnPool), so the writers queued for the
		// turn hold none and the writer holding it finds one for a read
		// beside its transaction. Every connection has its own page cache:
		// the pool stays small.
		sqlDB.SetMaxOpenConns(24)
		sqlDB.SetMaxIdleConns(24)
	} else {
		sqlDB.SetMaxOpenConns(32)
		sqlDB.SetMaxIdleConns(32)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	// Keep the pool's connections open between bursts: database/sql keeps
	// only 2 idle by default, so every burst opened new connections (new
	// PostgreSQL backends, statements prepared again), which the queue
	// benchmark measured as most of join → ring.
	db := &DB{DB: g, Dialect: dialect, sql: sqlDB, turns: turns, reads: reads}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.Ping(pctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open %s database: %s", dialect, oneLine(err))
	}
	return db, nil
}

// sqliteBusyTimeout is how long a writer waits for the write lock, in this
// process (its turn) and across processes (SQLite's busy timeout).
const sqliteBusyTimeout = 30 * time.Second

// sqliteDSN turns a file path into a DSN with WAL, foreign keys, a busy
// timeout and write-locking transactions. Times are written as
// "2006-01-02 15:04:05.999999999-07:00" (_time_format=sqlite), as the
// driver before modernc.org/sqlite wrote them, so that rows of older
// databases sort and compare with new ones; modernc's own default is Go's
// time.String, which sorts differently and can carry a monotonic reading.
func sqliteDSN(path string) string {
	return "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(30000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate&_time_format=sqlite"
}

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.sql.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Close closes the connection pool.
func (db *DB) Close() error { return db.sql.Close() }

// SQL returns the underlying *sql.DB, for code that talks to the driver
// directly (benchmarks, migrations).
func (db *DB) SQL() *sql.DB { return db.sql }

// migrationProvider returns the goose provider for db's dialect.
func (db *DB) migrationProvider() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations.FS, db.Dialect)
	if err != nil {
		return nil, err
	}
	dialect := goose.DialectSQLite3
	if db.Dialect == Postgres {
		dialect = goose.DialectPostgres
	}
	return goose.NewProvider(dialect, db.sql, sub)
}

// Migrate applies every pending migration, each in its own transaction, and
// logs the ones it applied.
func (db *DB) Migrate(ctx context.Context) error {
	p, err := db.migrationProvider()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	results, err := p.Up(ctx)
	for _, r := range results {
		if r.Error == nil {
			slog.Info("migration applied", "version", r.Source.Version, "file", filepath.Base(r.Source.Path), "took", r.Duration)
		}
	}
	if err != nil {
		return fmt.Errorf("migrate: %s", oneLine(err))
	}
	return nil
}

// MigrateDown rolls back the newest applied migration.
func (db *DB) MigrateDown(ctx context.Context) error {
	p, err := db.migrationProvider()
	if err != nil {
		return fmt.Errorf("migrate down: %w", err)
	}
	r, err := p.Down(ctx)
	if err != nil {
		if errors.Is(err, goose.ErrNoNextVersion) {
			return errors.New("migrate down: no migration is applied")
		}
		return fmt.Errorf("migrate down: %s", oneLine(err))
	}
	slog.Info("migration rolled back", "version", r.Source.Version, "file", filepath.Base(r.Source.Path))
	return nil
}

// MigrationStatus is one migration and whether it is applied.
type MigrationStatus struct {
	Version   int64
	File      string
	AppliedAt *time.Time
}

// MigrationStatus lists every known migration in order.
func (db *DB) MigrationStatus(ctx context.Context) ([]MigrationStatus, error) {
	p, err := db.migrationProvider()
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %s", oneLine(err))
	}
	out := make([]MigrationStatus, 0, len(st))
	for _, s := range st {
		m := MigrationStatus{Version: s.Source.Version, File: filepath.Base(s.Source.Path)}
		if s.State == goose.StateApplied {
			at := s.AppliedAt
			m.AppliedAt = &at
		}
		out = append(out, m)
	}
	return out, nil
}

// IsEmpty reports whether the database holds no stores yet, which is when
// `make run` seeds the demo.
func (db *DB) IsEmpty(ctx context.Context) (bool, error) {
	var n int64
	if err := db.WithContext(ctx).Table("stores").Count(&n).Error; err != nil {
		return false, err
	}
	return n == 0, nil
}

// oneLine keeps the first line of an error so start-up failures print as one
// line.
func oneLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// redact hides a password in a URL before it is printed.
func redact(u string) string {
	if i := strings.Index(u, "@"); i > 0 {
		if j := strings.Index(u, "://"); j > 0 && j < i {
			return u[:j+3] + "…" + u[i:]
		}
	}
	return u
}
