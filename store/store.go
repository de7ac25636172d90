// Package store keeps ESP's rows in SQLite (modernc.org/sqlite, pure Go).
// It knows tables and transactions, not rules: the lifecycle package decides
// which transition is allowed and the store applies it atomically.
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
)

// ErrNotFound means the row asked for does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict means the change would break an invariant (a duplicate name, a
// second live credential) or the row was not in the state the change expected.
var ErrConflict = errors.New("conflict")

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the database handle shared by every package of ESP.
type Store struct {
	DB     *sql.DB
	path   string
	tokens tokenBatcher // InsertToken's group commit (tokens_batch.go)
	cache  readCache    // the web requests' lookups (readcache.go)
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
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	dsn, err := fileURI(path, q)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db, err := openCached(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	s := &Store{DB: db, path: path}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %s", path, describe(err))
	}
	if err := s.migrate(ctx, last); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
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
func (s *Store) Close() error { return s.DB.Close() }

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
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = ?`, base).Scan(&n); err != nil {
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
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, strftime('%s','now'))`, base); err != nil {
		return fmt.Errorf("store: migration %s: %w", base, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migration %s: commit: %w", base, err)
	}
	return nil
}

// Tx runs fn in one write transaction (BEGIN IMMEDIATE), committing when fn
// returns nil and rolling back otherwise.
func (s *Store) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.DB.BeginTx(ctx, nil)
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

// IsConstraint reports whether err is a UNIQUE, CHECK or foreign-key
// violation, which callers turn into ErrConflict.
func IsConstraint(err error) bool {
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
