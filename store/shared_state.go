package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// What several replicas of the server on one PostgreSQL database must
// share beyond their rows: the web admin's cookie keys, the counts of the
// rate limits, and a lock for what only one of them may do at a time. On
// SQLite there is one machine: the keys stay in the data folder's file and
// the counts in memory (their callers choose), and the lock is this
// process's.

// errPostgresOnly is the error of what only PostgreSQL keeps in the
// database.
var errPostgresOnly = errors.New("kept in the database only on PostgreSQL")

// SessionKeys are the web admin's cookie and CSRF keys: the HMAC key that
// signs cookies, the AES key that encrypts them, and the key each session's
// CSRF token is derived from.
type SessionKeys struct {
	Hash, Block, CSRF []byte
}

// SessionKeys returns the session keys every replica uses, keeping
// candidate as them when the database has none yet: replicas starting at
// the same instant all get the one set that was kept first. Deleting the
// row signs everybody out at the next start. PostgreSQL only.
func (s *Store) SessionKeys(ctx context.Context, candidate SessionKeys) (SessionKeys, error) {
	if !s.Postgres() {
		return SessionKeys{}, fmt.Errorf("store: session keys: %w", errPostgresOnly)
	}
	// The insert waits for one in flight elsewhere and then does nothing;
	// the select, a statement later, sees whichever was committed.
	if _, err := s.DB.ExecContext(ctx, `INSERT INTO session_keys (id, hash_key, block_key, csrf_key)
		VALUES (1, $1, $2, $3) ON CONFLICT (id) DO NOTHING`, candidate.Hash, candidate.Block, candidate.CSRF); err != nil {
		return SessionKeys{}, writeErr(err, "keep session keys", "keep session keys")
	}
	var k SessionKeys
	err := s.DB.QueryRowContext(ctx, `SELECT hash_key, block_key, csrf_key FROM session_keys WHERE id = 1`).
		Scan(&k.Hash, &k.Block, &k.CSRF)
	if err != nil {
		return SessionKeys{}, fmt.Errorf("store: read session keys: %w", err)
	}
	return k, nil
}

// AttemptLimit is an allowance of attempts per client address kept in the
// database, shared by every replica (it answers like web/httpx's limit in
// memory): burst attempts at once, then one more per every. Each address
// keeps one time, when its allowance is whole again (GCRA); a take or a
// refund is one statement on that row, so attempts arriving together at
// different replicas cost exactly what they cost one after another.
// PostgreSQL only.
type AttemptLimit struct {
	s             *Store
	name          string
	every, window time.Duration
	now           func() time.Time
}

// AttemptLimit is the limit called name (each name counts apart), by the
// clock now.
func (s *Store) AttemptLimit(name string, every time.Duration, burst int, now func() time.Time) *AttemptLimit {
	return &AttemptLimit{s: s, name: name, every: every, window: time.Duration(burst) * every, now: now}
}

// takeAttempt moves the address's full time one period on, unless that
// would put it more than the window ahead of now ($3 now, $4 the period,
// $5 the window, in nanoseconds). Times at or before now mean a whole
// allowance, so they count as now. Every SET expression reads the row as
// it was; the returned full_at is the new time when taken, the unchanged
// one when refused.
const takeAttemptQuery = `INSERT INTO rate_limits AS r (limit_name, addr, full_at, taken)
	VALUES ($1, $2, CASE WHEN $4::bigint <= $5::bigint THEN $3::bigint + $4 ELSE $3 END, $4 <= $5)
	ON CONFLICT (limit_name, addr) DO UPDATE SET
		full_at = CASE WHEN greatest(r.full_at, $3) + $4 - $3 <= $5 THEN greatest(r.full_at, $3) + $4 ELSE r.full_at END,
		taken = greatest(r.full_at, $3) + $4 - $3 <= $5
	RETURNING full_at, taken`

// Take takes one attempt from addr's allowance. When none is left it takes
// nothing, and wait says how long until one is (a second at least).
func (l *AttemptLimit) Take(ctx context.Context, addr string) (ok bool, wait time.Duration, err error) {
	if !l.s.Postgres() {
		return false, 0, fmt.Errorf("store: rate limit %s: %w", l.name, errPostgresOnly)
	}
	now := l.now().UnixNano()
	var full int64
	if err := l.s.DB.QueryRowContext(ctx, takeAttemptQuery, l.name, addr, now, int64(l.every), int64(l.window)).
		Scan(&full, &ok); err != nil {
		return false, 0, fmt.Errorf("store: rate limit %s: %w", l.name, err)
	}
	if ok {
		return true, 0, nil
	}
	wait = time.Duration(max(full, now)+int64(l.every)-now) - l.window
	return false, max(wait, time.Second), nil
}

// Refund gives back one attempt that Take took.
func (l *AttemptLimit) Refund(ctx context.Context, addr string) error {
	if !l.s.Postgres() {
		return fmt.Errorf("store: rate limit %s: %w", l.name, errPostgresOnly)
	}
	if _, err := l.s.DB.ExecContext(ctx, `UPDATE rate_limits SET full_at = greatest(full_at, $3::bigint) - $4::bigint
		WHERE limit_name = $1 AND addr = $2`, l.name, addr, l.now().UnixNano(), int64(l.every)); err != nil {
		return fmt.Errorf("store: rate limit %s: refund: %w", l.name, err)
	}
	return nil
}

// DeleteStaleLimits forgets the addresses whose allowances are whole again
// at now (they answer the same without a row), and reports how many; a
// housekeeping step. Nothing to do on SQLite.
func (s *Store) DeleteStaleLimits(ctx context.Context, now time.Time) (int, error) {
	if !s.Postgres() {
		return 0, nil
	}
	res, err := s.DB.ExecContext(ctx, `DELETE FROM rate_limits WHERE full_at <= $1`, now.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("store: delete stale rate limits: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// WithLock runs fn while holding the lock called name, which no other
// holder of the same name on the same database holds at the same time: on
// PostgreSQL an advisory lock, so replicas wait for each other; on SQLite a
// lock of this Store (SQLite has one writer, and one server per data
// folder). fn uses the store as usual; the lock ends when fn returns, or
// when the connection holding it is lost.
func (s *Store) WithLock(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	if !s.Postgres() {
		mu := s.namedLock(name)
		mu.Lock()
		defer mu.Unlock()
		return fn(ctx)
	}
	// A transaction's advisory lock ends with it however it ends (commit,
	// rollback, a broken connection): it can never stay behind on a
	// connection that goes back to the pool.
	// The lock is keyed by the schema too, as the migrations' is: schemas of
	// one database (the tests') do not wait for each other.
	tx, err := s.DB.BeginTx(ctx, s.dialect.txOptions())
	if err != nil {
		return fmt.Errorf("store: lock %s: %w", name, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('esp lock: ' || $1),
		hashtext(coalesce(current_schema(), '')))`, name); err != nil {
		return fmt.Errorf("store: lock %s: %w", name, err)
	}
	if err := fn(ctx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("store: unlock %s: %w", name, err)
	}
	return nil
}

// namedLocks are WithLock's locks on SQLite.
type namedLocks struct {
	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

func (s *Store) namedLock(name string) *sync.Mutex {
	s.locks.mu.Lock()
	defer s.locks.mu.Unlock()
	if s.locks.locks == nil {
		s.locks.locks = map[string]*sync.Mutex{}
	}
	mu, ok := s.locks.locks[name]
	if !ok {
		mu = &sync.Mutex{}
		s.locks.locks[name] = mu
	}
	return mu
}
