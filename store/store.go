// Package store keeps ESP's rows in SQLite (modernc.org/sqlite, pure Go;
// the default) or in PostgreSQL (pgx), where any number of ESP processes
// share one database. It knows tables and transactions, not rules: the
// lifecycle package decides which transition is allowed and the store
// applies it atomically. The SQL is written once, in what both backends
// accept; what a backend does its own way is its dialect (dialect.go).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"esp/lifecycle"
)

// Store is the database handle shared by every package of ESP.
//
// On SQLite, which has one writer at a time and lets readers run beside it
// in WAL mode, the store opens the file twice: DB, the writer, is a single
// connection (every write and every transaction goes through it, BEGIN
// IMMEDIATE), so this process's writers queue for it in database/sql, each
// honouring its own context, instead of sleeping in SQLite's busy handler;
// read is a pool of query_only connections for everything that only reads.
// On PostgreSQL, DB and read are one pool of connections.
type Store struct {
	// DB is the writer. Never use it from inside a transaction: on SQLite
	// its one connection is the transaction's, so a second write would
	// wait for itself.
	DB      *sql.DB
	read    *sql.DB
	dialect dialect
	stmts   statements      // the hot paths' queries, readied at Open
	built   builtStatements // queries built at run time, readied at first use
	path    string
	cache   readCache  // the web requests' lookups (readcache.go)
	locks   namedLocks // WithLock's, on SQLite
	// notify are the audit events whose notices are queued (NotifyOn).
	notify map[lifecycle.AuditEvent]bool
	// allowLists are the tenants' allowed addresses, parsed once each.
	allowLists lifecycle.StoredAllowLists
}

// Path is the SQLite database file's path ("" on PostgreSQL).
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error {
	s.stmts.close()
	s.built.close()
	var err error
	if s.dialect != nil {
		err = s.dialect.close()
	}
	if s.read != nil && s.read != s.DB {
		err = errors.Join(err, s.read.Close())
	}
	if s.DB != nil {
		err = errors.Join(s.DB.Close(), err)
	}
	return err
}

// Tx runs fn in one write transaction (SQLite: BEGIN IMMEDIATE on the
// writer; PostgreSQL: READ COMMITTED), committing when fn returns nil and
// rolling back otherwise. fn must use only tx: the writer's one connection
// is tx's until fn returns. An error that says the database cannot be
// reached is lifecycle.ErrUnavailable too (Reach).
func (s *Store) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.DB.BeginTx(ctx, s.dialect.txOptions())
	if err != nil {
		return fmt.Errorf("store: begin: %w", s.Reach(err))
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return s.Reach(err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", s.Reach(err))
	}
	return nil
}

// writeErr is a failed write's error as the store returns it: a
// constraint violation is ErrConflict, described by conflict; any other
// error is wrapped with what was being written.
func writeErr(err error, what, conflict string) error {
	if IsConstraint(err) {
		return fmt.Errorf("store: %s: %w", conflict, lifecycle.ErrConflict)
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

// IsConstraint reports whether err is a UNIQUE, CHECK or foreign-key
// violation (of either backend), which callers turn into ErrConflict.
func IsConstraint(err error) bool {
	if isPGConstraint(err) {
		return true
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
	}
	return false
}

// connTx runs fn in one write transaction on a connection of its own, as Tx
// does, giving fn the connection too, for what database/sql cannot say
// (PostgreSQL's COPY) inside the transaction.
func (s *Store) connTx(ctx context.Context, fn func(conn *sql.Conn, tx *sql.Tx) error) error {
	conn, err := s.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: connect: %w", err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, s.dialect.txOptions())
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(conn, tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}
