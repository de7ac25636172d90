package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"esp/lifecycle"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgreSQL is the second backend: any number of ESP processes (replicas)
// share one database. The SQL is the SQLite one; postgresDialect has a
// body of its own only where PostgreSQL has a better tool (row locks that
// skip what another scheduler holds, statements that write and audit in
// one, COPY, advisory locks).

//go:embed migrations/postgres/*.sql
var pgMigrations embed.FS

// DefaultMaxConns is how many connections one process opens at most unless
// told otherwise. Every replica has its own pool, so this times the number
// of replicas must stay under the server's max_connections (or PgBouncer's
// max_client_conn, in front of it).
const DefaultMaxConns = 16

// PostgresOptions are how OpenPostgresWith opens a database.
type PostgresOptions struct {
	// MaxConns bounds the process's pool; 0 is DefaultMaxConns.
	MaxConns int
	// Existing refuses a database (or search_path schema) without ESP's
	// tables with ErrNoDatabase, leaving it as it was.
	Existing bool
}

// pgConnectTimeout bounds connecting when the URL sets no connect_timeout:
// an unreachable server is an error within seconds, not minutes.
const pgConnectTimeout = 10 * time.Second

// migrationApplied, when set (tests), hears of each migration this process
// applies.
var migrationApplied func(name string)

// OpenPostgres connects to the PostgreSQL database at url
// (postgres://USER:PASS@HOST:PORT/DB?sslmode=...), applies its pending
// migrations and readies the statements. Processes opening one database
// at the same time migrate it once: the migrations run under an advisory
// lock. The tables live in the URL's search_path (default: public).
func OpenPostgres(ctx context.Context, url string) (*Store, error) {
	return OpenPostgresWith(ctx, url, PostgresOptions{})
}

// OpenPostgresExisting is OpenPostgres for commands that only change an
// existing ESP database: a database (or search_path schema) without ESP's
// tables is ErrNoDatabase, and left as it was.
func OpenPostgresExisting(ctx context.Context, url string) (*Store, error) {
	return OpenPostgresWith(ctx, url, PostgresOptions{Existing: true})
}

// OpenPostgresWith is OpenPostgres, or OpenPostgresExisting, with options.
func OpenPostgresWith(ctx context.Context, url string, opts PostgresOptions) (*Store, error) {
	cfg, err := pgConfig(ctx, url)
	if err != nil {
		return nil, err
	}
	conns := opts.MaxConns
	if conns <= 0 {
		conns = DefaultMaxConns
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	// One pool for writes and reads: PostgreSQL has no single writer.
	s := &Store{DB: db, read: db, dialect: postgresDialect{db}}
	s.cache.off = true // no change counter: its writers would deadlock on its one row
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to PostgreSQL: %s", describePG(err))
	}
	if opts.Existing {
		var found bool
		if err := db.QueryRowContext(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&found); err != nil {
			db.Close()
			return nil, fmt.Errorf("store: %s", describePG(err))
		}
		if !found {
			db.Close()
			return nil, fmt.Errorf("store: PostgreSQL database: %w", ErrNoDatabase)
		}
	}
	if err := s.migratePostgres(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if s.stmts, err = prepareStatements(ctx, s.dialect, s.read, s.DB); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// migratePostgres applies the pending PostgreSQL migrations in one
// transaction that first takes an advisory lock of this schema: a second
// process waits for the first to commit and then finds nothing to do.
func (s *Store) migratePostgres(ctx context.Context) error {
	names, err := fs.Glob(pgMigrations, "migrations/postgres/*.sql")
	if err != nil {
		return fmt.Errorf("store: list migrations: %w", err)
	}
	sort.Strings(names)
	tx, err := s.DB.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return fmt.Errorf("store: migrate: %s", describePG(err))
	}
	defer tx.Rollback()
	// The lock is the database's, so it is keyed by the schema too: tests
	// migrate schemas of one database side by side.
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('esp migrations'),
		hashtext(coalesce(current_schema(), '')))`); err != nil {
		return fmt.Errorf("store: migrate: lock: %s", describePG(err))
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name text PRIMARY KEY, applied_at bigint NOT NULL)`); err != nil {
		return fmt.Errorf("store: migrate: %s", describePG(err))
	}
	applied := map[string]bool{}
	rows, err := tx.QueryContext(ctx, `SELECT name FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("store: migrate: %s", describePG(err))
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return fmt.Errorf("store: migrate: %w", err)
		}
		applied[name] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	for _, name := range names {
		base := filepath.Base(name)
		if applied[base] {
			continue
		}
		body, err := pgMigrations.ReadFile(name)
		if err != nil {
			return fmt.Errorf("store: read migration %s: %w", base, err)
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("store: migration %s: %s", base, describePG(err))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)`,
			base, time.Now().Unix()); err != nil {
			return fmt.Errorf("store: migration %s: %s", base, describePG(err))
		}
		if migrationApplied != nil {
			migrationApplied(base)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migrate: commit: %s", describePG(err))
	}
	return nil
}

// isPGConstraint reports whether err is PostgreSQL's integrity constraint
// violation (class 23: unique, check, foreign key, not null, exclusion).
func isPGConstraint(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && strings.HasPrefix(pe.Code, "23")
}

// describePG shortens a PostgreSQL or pgx error to one readable line. pgx
// leaves the password out of what it reports of a URL.
func describePG(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Severity + ": " + pe.Message + " (SQLSTATE " + pe.Code + ")"
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}

// postgresDialect is PostgreSQL's way. Its statements are plain: their
// text, never prepared through database/sql, which would name them on the
// server whatever the query mode; pgx prepares them itself on a direct
// connection only (pgConfig).
type postgresDialect struct{ db *sql.DB }

func (d postgresDialect) prepare(_ context.Context, db *sql.DB, query string) (statement, error) {
	return plain{db, query}, nil
}

func (postgresDialect) close() error { return nil }

// txOptions is READ COMMITTED whatever the server's default, because every
// change that depends on what it read is a conditional UPDATE or is held
// by a constraint, never by the isolation level.
func (postgresDialect) txOptions() *sql.TxOptions {
	return &sql.TxOptions{Isolation: sql.LevelReadCommitted}
}

func (postgresDialect) lockRows(query string) string { return query + ` FOR UPDATE` }

// skipLocked skips the rows another scheduler is claiming at this moment
// (their claim's transaction holds them): that one takes them, this one
// the rest.
func (postgresDialect) skipLocked(query string) string { return query + ` FOR UPDATE SKIP LOCKED` }

// pgTransitionQuery is a transition and its audit row in one statement (one
// round trip per transition): the audit row is inserted only when the
// UPDATE changed the row, so the rows inserted are the rows changed.
const pgTransitionQuery = `WITH changed AS (` + transitionQuery + `
	RETURNING id, tenant_id, access_last4)
	INSERT INTO audit (at, tenant_id, credential_id, access_last4, actor, action, from_status, to_status, detail)
	SELECT $2, tenant_id, id, access_last4, $10, $11, NULLIF($9, ''), NULLIF($1, ''), $12 FROM changed
	RETURNING id`

func (postgresDialect) transitions(ctx context.Context, tx *sql.Tx) writeTransition {
	return func(t lifecycle.CredentialWrite, from lifecycle.Status) (int64, error) {
		args := append(transitionArgs(t, from), t.Actor, string(t.Action), storableDetail(t.Detail))
		var id int64
		err := tx.QueryRowContext(ctx, pgTransitionQuery, args...).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil
		}
		return id, err
	}
}

// pgClaimDueQuery claims a batch in one statement: each row whose status
// and due time are still the ones read and that no other scheduler's claim
// holds locked right now (SKIP LOCKED: it neither waits for that one nor
// takes its rows). $1..$4 are the claims' ids, statuses, due times read
// and lease ends, in step.
const pgClaimDueQuery = `UPDATE credentials c SET due_at = v.until, attempts = c.attempts + 1, claim = c.claim + 1
	FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[]) AS v (id, status, due, until)
	WHERE c.id = v.id AND c.status = v.status AND c.due_at = v.due
		AND c.id IN (SELECT id FROM credentials WHERE id = ANY ($1) FOR UPDATE SKIP LOCKED)
	RETURNING c.id, c.claim`

func (d postgresDialect) claimDue(ctx context.Context, claims []lifecycle.Claim) (*sql.Rows, error) {
	ids := make([]int64, len(claims))
	statuses := make([]string, len(claims))
	dues := make([]int64, len(claims))
	untils := make([]int64, len(claims))
	for i, c := range claims {
		ids[i], statuses[i], dues[i], untils[i] = c.CredentialID, string(c.Status), c.DueAt.UnixNano(), c.Until.UnixNano()
	}
	return d.db.QueryContext(ctx, pgClaimDueQuery, ids, statuses, dues, untils)
}

// pgPurgeQuery deletes and audits in one statement: a row deleted by a
// concurrent purge is neither deleted nor audited twice.
const pgPurgeQuery = `WITH gone AS (
		DELETE FROM credentials WHERE status = 'deactivated' AND deactivated_at <= $1
		RETURNING tenant_id, id, access_last4, status)
	INSERT INTO audit (at, tenant_id, credential_id, access_last4, actor, action, from_status, to_status, detail)
	SELECT $2, tenant_id, id, access_last4, $3, $4, status, NULL, '' FROM gone`

func (postgresDialect) purge(ctx context.Context, tx *sql.Tx, p lifecycle.Purge) (int, error) {
	res, err := tx.ExecContext(ctx, pgPurgeQuery, purgeArgs(p)...)
	if err != nil {
		return 0, fmt.Errorf("store: purge: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
