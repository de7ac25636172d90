// Package store keeps ESP's rows in SQLite (modernc.org/sqlite, pure Go;
// the default) or in PostgreSQL (pgx, postgres.go), where any number of
// ESP processes share one database. It knows tables and transactions, not
// rules: the lifecycle package decides which transition is allowed and the
// store applies it atomically. The SQL is written once, in what both
// backends accept.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"esp/lifecycle"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the database handle shared by every package of ESP.
//
// SQLite has one writer at a time, and WAL lets readers run beside it. So
// the store opens the file twice: DB, the writer, is a single connection
// (every write and every transaction goes through it, BEGIN IMMEDIATE), so
// this process's writers queue for it in database/sql, each honouring its
// own context, instead of sleeping in SQLite's busy handler; read is a pool
// of query_only connections for everything that only reads. The statements
// behind every web request are prepared once, at Open (stmts).
//
// On PostgreSQL, DB and read are one pool of connections
// (OpenPostgres).
type Store struct {
	// DB is the writer. Never use it from inside a transaction: on SQLite
	// its one connection is the transaction's, so a second write would
	// wait for itself.
	DB    *sql.DB
	read  *sql.DB
	stmts statements
	path  string
	cache readCache  // the web requests' lookups (readcache.go)
	pg    bool       // on PostgreSQL (postgres.go); DB and read are one pool
	locks namedLocks // WithLock's, on SQLite
}

// statements are the queries of the hot paths, prepared at Open: parsing
// costs modernc.org/sqlite more than running these small lookups. A
// *sql.Stmt is prepared again, once, on each connection of its pool that
// runs it.
type statements struct {
	// On the readers.
	sessionAccount, tokenGrant, keyGrant, plans, currentCredential *sql.Stmt
	dueCredentials, schedulerValue, tenantPlan, planLinesAfter     *sql.Stmt
	changeCounter                                                  *sql.Stmt
	// On the writer; those of transactions are used through tx.StmtContext.
	touchSession, touchCredential             *sql.Stmt
	credentialStatus, transition, insertAudit *sql.Stmt
	transitionAudit, claimDue                 *sql.Stmt
	insertToken, deleteExpiredTokens          *sql.Stmt

	all []*sql.Stmt // every one of them, for Close
}

// prepare prepares the statements (after the migrations: they name the
// tables). partly is for a database migrated only partly, as an older ESP
// left it (the tests'): a statement naming what is not there yet stays
// unprepared (nil), so only the methods that do not use it are for use.
func (s *Store) prepare(ctx context.Context, partly bool) error {
	for _, p := range []struct {
		db    *sql.DB
		stmt  **sql.Stmt
		query string
	}{
		{s.read, &s.stmts.sessionAccount, sessionAccountQuery},
		{s.read, &s.stmts.tokenGrant, tokenGrantQuery},
		{s.read, &s.stmts.keyGrant, keyGrantQuery},
		{s.read, &s.stmts.plans, plansQuery},
		{s.read, &s.stmts.currentCredential, currentCredentialQuery},
		{s.read, &s.stmts.dueCredentials, s.dialect(dueCredentialsQuery, pgDueCredentialsQuery)},
		{s.read, &s.stmts.schedulerValue, schedulerValueQuery},
		{s.read, &s.stmts.tenantPlan, tenantPlanQuery},
		{s.read, &s.stmts.planLinesAfter, planLinesAfter},
		{s.DB, &s.stmts.touchSession, touchSessionQuery},
		{s.DB, &s.stmts.touchCredential, touchCredentialQuery},
		{s.DB, &s.stmts.credentialStatus, s.dialect(credentialStatusQuery, pgCredentialStatusQuery)},
		{s.DB, &s.stmts.transition, s.dialect(transitionQuery, pgTransitionQuery)},
		{s.DB, &s.stmts.transitionAudit, s.dialect(transitionAuditQuery, "")}, // PostgreSQL's transition writes it
		{s.DB, &s.stmts.insertAudit, insertAuditQuery},
		{s.DB, &s.stmts.claimDue, s.dialect(claimDueQuery, "")}, // on PostgreSQL pgx prepares and caches pgClaimDueQuery itself
		{s.DB, &s.stmts.insertToken, insertTokenQuery},
		{s.DB, &s.stmts.deleteExpiredTokens, deleteExpiredTokensQuery},
	} {
		if p.query == "" {
			continue // not used on this backend
		}
		stmt, err := p.db.PrepareContext(ctx, p.query)
		if err != nil && partly {
			continue
		}
		if err != nil {
			return fmt.Errorf("store: prepare %q: %w", strings.Join(strings.Fields(p.query), " "), err)
		}
		*p.stmt = stmt
		s.stmts.all = append(s.stmts.all, stmt)
	}
	if s.pg {
		return nil // no change counter: the read cache is off
	}
	stmt, err := s.read.PrepareContext(ctx, changeCounterQuery)
	if err != nil && !partly {
		return fmt.Errorf("store: prepare %q: %w", changeCounterQuery, err)
	}
	if err == nil {
		s.stmts.changeCounter = stmt
		s.stmts.all = append(s.stmts.all, stmt)
	}
	return nil
}

// DBFile is the name of the SQLite file inside the data folder.
const DBFile = "esp.db"

// Open opens (creating if needed) the database in dir and applies pending
// migrations.
func Open(ctx context.Context, dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: create data folder: %w", err)
	}
	path := filepath.Join(dir, DBFile)
	// The file holds password, session and secret hashes: owner only. SQLite
	// gives its -wal and -shm files the same mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: create database file: %w", err)
	}
	f.Close()
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, fmt.Errorf("store: make database file private: %w", err)
	}
	return OpenFile(ctx, path)
}

// ErrNoDatabase means the data folder holds no database yet.
var ErrNoDatabase = errors.New("no ESP database here")

// OpenExisting opens the database in dir like Open, but refuses to create
// one: commands that only change an existing database leave an empty or
// mistyped folder as it was.
func OpenExisting(ctx context.Context, dir string) (*Store, error) {
	path := filepath.Join(dir, DBFile)
	if _, err := os.Stat(path); err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("store: %s: %w", path, ErrNoDatabase)
		}
		return nil, fmt.Errorf("store: %w", err)
	}
	return OpenFile(ctx, path)
}

// OpenFile opens the database at path and applies pending migrations.
func OpenFile(ctx context.Context, path string) (*Store, error) {
	return openFile(ctx, path, "")
}

// openFile opens the database at path and applies the pending migrations
// up to and including the one named last ("": all of them).
func openFile(ctx context.Context, path, last string) (*Store, error) {
	s := &Store{path: path}
	if err := s.open(ctx, last); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// readers is the size of the reader pool.
const readers = 8

func (s *Store) open(ctx context.Context, last string) error {
	w := url.Values{}
	w.Add("_pragma", "journal_mode(WAL)")
	w.Add("_pragma", "busy_timeout(10000)")
	w.Add("_pragma", "foreign_keys(1)")
	w.Add("_pragma", "synchronous(NORMAL)")
	w.Set("_txlock", "immediate")
	var err error
	if s.DB, err = s.openDB(ctx, w); err != nil {
		return err
	}
	s.DB.SetMaxOpenConns(1)
	s.DB.SetMaxIdleConns(1)
	if err := s.migrate(ctx, last); err != nil {
		return err
	}
	// The file is in WAL mode now (the mode is kept in the file); readers
	// only read.
	r := url.Values{}
	r.Add("_pragma", "busy_timeout(10000)")
	r.Add("_pragma", "query_only(1)")
	if s.read, err = s.openDB(ctx, r); err != nil {
		return err
	}
	s.read.SetMaxOpenConns(readers)
	s.read.SetMaxIdleConns(readers)
	return s.prepare(ctx, last != "")
}

// openDB opens the database file with the driver's options q and checks
// that a connection opens.
func (s *Store) openDB(ctx context.Context, q url.Values) (*sql.DB, error) {
	dsn, err := fileURI(s.path, q)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", s.path, err)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", s.path, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %s", s.path, describe(err))
	}
	return db, nil
}

// fileURI is the SQLite URI naming the file at path, with the driver's
// options as its query. The path is made absolute and escaped, so that a
// folder named with '#', '?' or '%' is opened as itself: SQLite would read
// the first two as the start of the URI's fragment or query, and decode the
// third.
func fileURI(path string, q url.Values) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive: file:///C:/...
	}
	return (&url.URL{Scheme: "file", Path: p, RawQuery: q.Encode()}).String(), nil
}

// Path is the database file's path.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error {
	for _, stmt := range s.stmts.all {
		stmt.Close()
	}
	var err error
	if s.read != nil && s.read != s.DB {
		err = s.read.Close()
	}
	if s.DB != nil {
		err = errors.Join(s.DB.Close(), err)
	}
	return err
}

func (s *Store) migrate(ctx context.Context, last string) error {
	if _, err := s.DB.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("store: open database: %s", describe(err))
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("store: list migrations: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := s.applyMigration(ctx, name); err != nil {
			return err
		}
		if filepath.Base(name) == last {
			break
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, name string) error {
	body, err := migrations.ReadFile(name)
	if err != nil {
		return fmt.Errorf("store: read migration %s: %w", name, err)
	}
	base := filepath.Base(name)
	// A migration that rebuilds a table (create the new one, copy, drop the
	// old, rename) must not let the drop's implicit DELETE cascade into the
	// rows that reference it. SQLite ignores PRAGMA foreign_keys inside a
	// transaction, so the migration's connection turns enforcement off
	// before BEGIN, checks every key with foreign_key_check before COMMIT,
	// and turns enforcement on again before it goes back to the pool.
	conn, err := s.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: migration %s: %s", base, describe(err))
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return fmt.Errorf("store: migration %s: %w", base, err)
	}
	err = migrateTx(ctx, conn, base, string(body))
	if _, onErr := conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`); onErr != nil && err == nil {
		// Open fails and closes the pool: no connection stays unenforced.
		err = fmt.Errorf("store: migration %s: enable foreign keys: %w", base, onErr)
	}
	return err
}

// migrateTx applies one migration in one write transaction on conn and
// records it, unless it is recorded already.
func migrateTx(ctx context.Context, conn *sql.Conn, base, body string) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migration %s: begin: %w", base, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = $1`, base).Scan(&n); err != nil {
		return fmt.Errorf("store: migration %s: %w", base, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return fmt.Errorf("store: migration %s: %w", base, err)
	}
	rows, err := tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return fmt.Errorf("store: migration %s: check foreign keys: %w", base, err)
	}
	broken := rows.Next()
	var table, parent string
	if broken {
		var rowid, fkid sql.NullInt64
		rows.Scan(&table, &rowid, &parent, &fkid)
	}
	rowsErr := rows.Err()
	rows.Close()
	if rowsErr != nil {
		return fmt.Errorf("store: migration %s: check foreign keys: %w", base, rowsErr)
	}
	if broken {
		return fmt.Errorf("store: migration %s: a row of %s references a missing row of %s", base, table, parent)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES ($1, strftime('%s','now'))`, base); err != nil {
		return fmt.Errorf("store: migration %s: %w", base, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migration %s: commit: %w", base, err)
	}
	return nil
}

// Tx runs fn in one write transaction (SQLite: BEGIN IMMEDIATE on the
// writer; PostgreSQL: READ COMMITTED), committing when fn returns nil and
// rolling back otherwise. fn must use only tx: the writer's one connection
// is tx's until fn returns.
func (s *Store) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.DB.BeginTx(ctx, s.txOptions())
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
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

// describe shortens driver errors to one readable line for the command line.
func describe(err error) string {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
			return "the file is not a valid ESP database (corrupt or another format)"
		case sqlite3.SQLITE_CANTOPEN:
			return "cannot open the database file (check the folder exists and is writable)"
		case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM:
			return "the database is read-only (check permissions on the data folder)"
		}
	}
	return strings.TrimSpace(err.Error())
}
