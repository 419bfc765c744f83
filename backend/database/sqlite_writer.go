package database

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// SQLite lets one writer in at a time and its busy handler is not fair: it
// sleeps and retries, so under load one writer can lose to the others again
// and again until its busy timeout runs out (CI saw a sign-up fail that way
// with 32 in flight under -race). writerTurns hands the write lock out in
// the order it was asked for: every transaction (they all begin IMMEDIATE,
// so every one is a writer) and every statement executed outside a
// transaction waits for its turn here, first come first served, before it
// touches the database. Other processes on the same file (the CLI while the
// server runs) still meet SQLite's busy timeout.
type writerTurns struct {
	turn    chan struct{}
	wait    time.Duration
	waiting atomic.Int32 // writers waiting for their turn now
}

// errWriterBusy is returned when a writer waited longer than the busy
// timeout for its turn.
var errWriterBusy = errors.New("database is busy: waited too long for the write lock")

// take waits for the write turn, for at most wait or until ctx ends.
func (w *writerTurns) take(ctx context.Context) error {
	select {
	case w.turn <- struct{}{}:
		return nil
	default:
	}
	w.waiting.Add(1)
	defer w.waiting.Add(-1)
	timer := time.NewTimer(w.wait)
	defer timer.Stop()
	select {
	case w.turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return errWriterBusy
	}
}

// give hands the turn to the next writer.
func (w *writerTurns) give() { <-w.turn }

// openSerializedSQLite opens dsn with the registered "sqlite" driver behind
// a connector whose writers take turns.
func openSerializedSQLite(dsn string, wait time.Duration) (*sql.DB, error) {
	p, err := openTurnPool(dsn, wait)
	if err != nil {
		return nil, err
	}
	return p.DB, nil
}

// openTurnPool opens dsn like openSerializedSQLite and returns the pool
// gorm uses, whose transactions take their turn before a connection.
func openTurnPool(dsn string, wait time.Duration) (*turnPool, error) {
	probe, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	drv := probe.Driver()
	probe.Close()
	turns := &writerTurns{turn: make(chan struct{}, 1), wait: wait}
	return &turnPool{DB: sql.OpenDB(&turnConnector{dsn: dsn, drv: drv, turns: turns}), turns: turns}, nil
}

// turnPool is the connection pool gorm works on with SQLite. A transaction
// takes its write turn before it takes a connection from the pool, so the
// writers queued for the turn hold no connection: the pool stays small and
// the writer holding the turn always finds a connection for a read beside
// its transaction (or for gorm preparing a statement there).
type turnPool struct {
	*sql.DB
	turns *writerTurns
}

// turnTicket travels in the context from turnPool.BeginTx to the driver
// connection's BeginTx, which adopts the turn already taken instead of
// taking another.
type turnTicket struct{ adopted bool }

// turnTicketKey is the context key of a turnTicket.
type turnTicketKey struct{}

// BeginTx takes the write turn, then a connection, then begins.
func (p *turnPool) BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error) {
	if err := p.turns.take(ctx); err != nil {
		return nil, err
	}
	ticket := &turnTicket{}
	tx, err := p.DB.BeginTx(context.WithValue(ctx, turnTicketKey{}, ticket), opts)
	if !ticket.adopted {
		p.turns.give() // no connection began with it
	}
	return tx, err
}

// GetDBConn returns the pool's *sql.DB (gorm's DB() asks for it).
func (p *turnPool) GetDBConn() (*sql.DB, error) { return p.DB, nil }

// turnConnector opens driver connections that share one writerTurns.
type turnConnector struct {
	dsn   string
	drv   driver.Driver
	turns *writerTurns
}

// Connect opens a connection to the database.
func (c *turnConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &turnConn{Conn: conn, turns: c.turns}, nil
}

// Driver returns the underlying driver.
func (c *turnConnector) Driver() driver.Driver { return c.drv }

// turnConn is one SQLite connection whose writes wait for their turn.
// database/sql uses a connection from one goroutine at a time, so inTx
// needs no lock.
type turnConn struct {
	driver.Conn
	turns *writerTurns
	inTx  bool
}

// BeginTx takes the write turn, then begins the transaction; the turn is
// given back when it commits or rolls back.
func (c *turnConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if t, ok := ctx.Value(turnTicketKey{}).(*turnTicket); ok && !t.adopted {
		t.adopted = true // turnPool took the turn for this transaction
	} else if err := c.turns.take(ctx); err != nil {
		return nil, err
	}
	var (
		tx  driver.Tx
		err error
	)
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		tx, err = b.BeginTx(ctx, opts)
	} else {
		tx, err = c.Conn.Begin() //nolint:staticcheck // fallback for drivers without BeginTx
	}
	if err != nil {
		c.turns.give()
		return nil, err
	}
	c.inTx = true
	return &turnTx{Tx: tx, conn: c}, nil
}

// ExecContext runs a statement; outside a transaction it takes the write
// turn for the statement's duration.
func (c *turnConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	if c.inTx {
		return e.ExecContext(ctx, query, args)
	}
	if err := c.turns.take(ctx); err != nil {
		return nil, err
	}
	defer c.turns.give()
	return e.ExecContext(ctx, query, args)
}

// QueryContext runs a query; reads do not need the write turn.
func (c *turnConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	return q.QueryContext(ctx, query, args)
}

// PrepareContext prepares a statement; its Exec takes the write turn when
// it runs outside a transaction.
func (c *turnConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	var (
		st  driver.Stmt
		err error
	)
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		st, err = p.PrepareContext(ctx, query)
	} else {
		st, err = c.Conn.Prepare(query)
	}
	if err != nil {
		return nil, err
	}
	return &turnStmt{Stmt: st, conn: c}, nil
}

// Prepare prepares a statement (see PrepareContext).
func (c *turnConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// Ping checks the connection.
func (c *turnConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

// turnTx gives the write turn back when the transaction ends.
type turnTx struct {
	driver.Tx
	conn *turnConn
	once sync.Once
}

// Commit commits and gives the turn back.
func (t *turnTx) Commit() error {
	err := t.Tx.Commit()
	t.end()
	return err
}

// Rollback rolls back and gives the turn back.
func (t *turnTx) Rollback() error {
	err := t.Tx.Rollback()
	t.end()
	return err
}

func (t *turnTx) end() {
	t.once.Do(func() {
		t.conn.inTx = false
		t.conn.turns.give()
	})
}

// turnStmt is a prepared statement whose Exec outside a transaction takes
// the write turn.
type turnStmt struct {
	driver.Stmt
	conn *turnConn
}

// ExecContext executes the statement.
func (s *turnStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if !s.conn.inTx {
		if err := s.conn.turns.take(ctx); err != nil {
			return nil, err
		}
		defer s.conn.turns.give()
	}
	if e, ok := s.Stmt.(driver.StmtExecContext); ok {
		return e.ExecContext(ctx, args)
	}
	values, err := namedToValues(args)
	if err != nil {
		return nil, err
	}
	return s.Stmt.Exec(values) //nolint:staticcheck // fallback for drivers without StmtExecContext
}

// QueryContext runs the prepared query.
func (s *turnStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if q, ok := s.Stmt.(driver.StmtQueryContext); ok {
		return q.QueryContext(ctx, args)
	}
	values, err := namedToValues(args)
	if err != nil {
		return nil, err
	}
	return s.Stmt.Query(values) //nolint:staticcheck // fallback for drivers without StmtQueryContext
}

func namedToValues(args []driver.NamedValue) ([]driver.Value, error) {
	values := make([]driver.Value, len(args))
	for i, a := range args {
		if a.Name != "" {
			return nil, fmt.Errorf("named parameter %s is not supported", a.Name)
		}
		values[i] = a.Value
	}
	return values, nil
}
