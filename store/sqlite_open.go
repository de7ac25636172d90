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

// Opening an SQLite database: the data folder's file, its two pools (see
// Store) and its migrations.

//go:embed migrations/*.sql
var migrations embed.FS

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
	s := &Store{path: path}
	if err := s.openSQLite(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// readers is the size of the reader pool.
const readers = 8

func (s *Store) openSQLite(ctx context.Context) error {
	var err error
	if s.DB, err = s.openWriter(ctx); err != nil {
		return err
	}
	if err := s.migrate(ctx, ""); err != nil {
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
	d, err := newSQLiteDialect(ctx, s.DB, s.read)
	if err != nil {
		return err
	}
	s.dialect = d
	s.stmts, err = prepareStatements(ctx, d, s.read, s.DB)
	return err
}

// openWriter opens the writer: one connection, in WAL mode, that enforces
// foreign keys and begins every transaction IMMEDIATE.
func (s *Store) openWriter(ctx context.Context) (*sql.DB, error) {
	w := url.Values{}
	w.Add("_pragma", "journal_mode(WAL)")
	w.Add("_pragma", "busy_timeout(10000)")
	w.Add("_pragma", "foreign_keys(1)")
	w.Add("_pragma", "synchronous(NORMAL)")
	w.Set("_txlock", "immediate")
	db, err := s.openDB(ctx, w)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	return db, nil
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

// migrate applies the pending migrations up to and including the one
// named last ("": all of them).
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
