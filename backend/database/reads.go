package database

import (
	"sync/atomic"

	"gorm.io/gorm"
)

// readWatch holds the function told of every read statement, if any. The
// callbacks that call it are registered once, when the database opens:
// registering gorm callbacks later races with the queries already running.
type readWatch struct {
	f atomic.Pointer[func(sql string)]
}

// register adds the read callbacks to g: after every query and every row
// read, the watching function (if one is set) is told the statement.
func (w *readWatch) register(g *gorm.DB) error {
	tell := func(tx *gorm.DB) {
		if f := w.f.Load(); f != nil {
			(*f)(tx.Statement.SQL.String())
		}
	}
	if err := g.Callback().Query().After("gorm:query").Register("livemall:watch_reads", tell); err != nil {
		return err
	}
	return g.Callback().Row().After("gorm:row").Register("livemall:watch_rows", tell)
}

// WatchReads calls f with the SQL of every read statement from now until
// stop is called: tests count the queries a path makes with it. One
// watcher at a time; a second replaces the first.
func (db *DB) WatchReads(f func(sql string)) (stop func()) {
	db.reads.f.Store(&f)
	return func() { db.reads.f.CompareAndSwap(&f, nil) }
}
