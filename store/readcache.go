package store

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"esp/lifecycle"
)

// Read cache of the lookups behind every web request.
//
// A signed-in page or an API call asked SQLite the same small questions on
// every request (the session with its user and tenant, the tenant's plans;
// or the token's credential grant and the plan asked for), each a query of 20-40 µs in
// modernc.org/sqlite. The answers change rarely, but a change made by any process (another server
// on the same folder, `esp tenant feature ... off`, the scheduler) must be
// seen on the very next request.
//
// So every such change bumps change_counter, by trigger, in its own
// transaction (migration 0006). Each cached lookup reads the counter first
// (one row by primary key) and answers from memory only what was read at
// that same counter value; otherwise it reads the database and remembers
// the answer under that value. An answer is read after the counter it is
// tagged with, so it includes every change committed before that value: a
// hit includes every change committed before the lookup began, by this
// process or any other, and a lookup after a write of its own (which bumps
// the counter in the write's transaction) reads the database again.
//
// Last-seen and last-used times are written without bumping the counter
// (they change on every request); cached copies of them can only be older
// than the database's. Touches through this Store update the cached copies
// (the tenant's current credential, which the window shows, gets exactly
// the time written), so one process writes at most once per period and
// shows what it wrote; entries also expire after readCacheMaxAge, so
// another process's touches are seen within that.
//
// What it buys: with it bypassed (every lookup reading the database), `make bench` row 1 fell by 21 % in its
// ratio to GET /healthz (0.310× → 0.246×) and 32 % in req/s, row 2 by 28 %
// in req/s (9 % in ratio) and row 9 by 21 % (its req/s over the same run's
// healthz rate): medians of 3 alternating pairs on 2 busy cores. To
// re-measure, build esp from HEAD and once more with the bypass, then run
// each binary in turn, at least 3 times each,
//
//	go run ./cmd/espbench -esp BIN -rows 50000 -creds 20000 -due 1000 -ticks 50 -dur 4s -mixed 20s -out OUT.json
//
// and compare the medians of rows 1, 2 and 9.

// readCacheMaxAge bounds how stale a cached last-seen or last-used time
// can get when another process touches it.
const readCacheMaxAge = time.Minute

// maxCachedPerKind bounds each of the cache's maps; when one is full it is
// emptied (simpler than an LRU; the next requests read again).
const maxCachedPerKind = 4096

const changeCounterQuery = `SELECT value FROM change_counter WHERE id = 1`

// ChangeCounter reads the database-wide change counter (see readcache.go).
// PostgreSQL has none (its writers would deadlock on the one counter row):
// there it is always 0 and the cache is off, so every lookup reads the
// database.
//
// Every cached lookup reads it first. An ended context is refused before
// the read; the read itself runs without the context, since the SQLite
// driver spends two goroutines and a progress handler on watching a
// cancellable one (about a twentieth of a request to GET /api/v1/plans).
// It is one row by primary key in a WAL snapshot, which does not wait for
// writers: what it may wait for, uncancelled, is a free reader connection
// (the others' reads are as short) or, rarely, SQLite's busy timeout while
// another connection recovers the WAL.
func (s *Store) ChangeCounter(ctx context.Context) (int64, error) {
	if s.cache.off {
		return 0, nil
	}
	var n int64
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("store: change counter: %w", err)
	}
	if err := s.stmts.changeCounter.QueryRowContext(context.WithoutCancel(ctx)).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: change counter: %w", err)
	}
	return n, nil
}

type cacheEntry[T any] struct {
	counter int64
	readAt  time.Time
	v       T
}

// cacheMap is one kind of cached answer by key.
type cacheMap[K comparable, T any] struct{ m map[K]cacheEntry[T] }

func (c *cacheMap[K, T]) get(k K, counter int64, now time.Time) (T, bool) {
	e, ok := c.m[k]
	if !ok || e.counter != counter || now.Sub(e.readAt) >= readCacheMaxAge || now.Before(e.readAt) {
		var zero T
		return zero, false
	}
	return e.v, true
}

func (c *cacheMap[K, T]) put(k K, counter int64, now time.Time, v T) {
	if c.m == nil || len(c.m) >= maxCachedPerKind {
		c.m = make(map[K]cacheEntry[T])
	}
	c.m[k] = cacheEntry[T]{counter: counter, readAt: now, v: v}
}

type sessionAccount struct {
	sess   lifecycle.Session
	user   lifecycle.User
	tenant lifecycle.Tenant
}

// readCache holds the cached answers; one mutex, held only for map work.
type readCache struct {
	off      bool // never answer from memory (PostgreSQL)
	mu       sync.Mutex
	sessions cacheMap[string, sessionAccount]
	plans    cacheMap[int64, []lifecycle.Plan]
	plan     cacheMap[[2]int64, lifecycle.Plan]    // by tenant and plan id
	grants   cacheMap[int64, lifecycle.TokenGrant] // by credential
	current  cacheMap[int64, lifecycle.Credential] // by tenant
	lifetime cacheMap[int64, time.Duration]        // a tenant's maximum credential lifetime
}

// touchedSession records an in-process write of a session's last-seen time.
func (r *readCache) touchedSession(idHash []byte, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.sessions.m[string(idHash)]; ok && e.v.sess.LastSeenAt.Before(at) {
		e.v.sess.LastSeenAt = at
		r.sessions.m[string(idHash)] = e
	}
}

// touchedCredential records that a credential's last-used time is known to
// be at least at, and that the database holds at when written.
func (r *readCache) touchedCredential(id int64, at time.Time, written bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, e := range r.grants.m {
		if e.v.CredentialID == id && e.v.LastUsedAt.Before(at) {
			e.v.LastUsedAt = at
			r.grants.m[k] = e
		}
	}
	if !written {
		return
	}
	for k, e := range r.current.m {
		if e.v.ID == id && e.v.LastUsedAt.Before(at) {
			e.v.LastUsedAt = at
			r.current.m[k] = e
		}
	}
}

// cached answers key from m when it was read at the counter the database
// holds now, and otherwise reads it with read and remembers it under that
// counter. Errors (an unknown session or credential among them) are never
// remembered: a new session is inserted without bumping the counter.
func cached[K comparable, T any](s *Store, ctx context.Context, m *cacheMap[K, T], key K, read func() (T, error)) (T, error) {
	if s.cache.off {
		return read()
	}
	counter, err := s.ChangeCounter(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	now := time.Now()
	s.cache.mu.Lock()
	v, hit := m.get(key, counter, now)
	s.cache.mu.Unlock()
	if hit {
		return v, nil
	}
	v, err = read()
	if err != nil {
		return v, err
	}
	s.cache.mu.Lock()
	m.put(key, counter, now, v)
	s.cache.mu.Unlock()
	return v, nil
}

// cachedSessionAccount is SessionAccount through the cache.
func (s *Store) cachedSessionAccount(ctx context.Context, idHash []byte) (lifecycle.Session, lifecycle.User, lifecycle.Tenant, error) {
	a, err := cached(s, ctx, &s.cache.sessions, string(idHash), func() (a sessionAccount, err error) {
		a.sess, a.user, a.tenant, err = s.sessionAccount(ctx, idHash)
		return a, err
	})
	if err != nil {
		return lifecycle.Session{}, lifecycle.User{}, lifecycle.Tenant{}, err
	}
	a.sess.IDHash = idHash
	return a.sess, a.user, a.tenant, nil
}

// cachedPlans is Plans through the cache; callers get their own slice.
func (s *Store) cachedPlans(ctx context.Context, tenantID int64) ([]lifecycle.Plan, error) {
	plans, err := cached(s, ctx, &s.cache.plans, tenantID, func() ([]lifecycle.Plan, error) { return s.plans(ctx, tenantID) })
	if err != nil {
		return nil, err
	}
	return slices.Clone(plans), nil
}

// cachedCurrentCredential is CurrentCredential through the cache.
func (s *Store) cachedCurrentCredential(ctx context.Context, tenantID int64) (lifecycle.Credential, error) {
	return cached(s, ctx, &s.cache.current, tenantID, func() (lifecycle.Credential, error) {
		return scanCredential(s.stmts.currentCredential.QueryRowContext(ctx, tenantID))
	})
}

// cachedTokenGrant is TokenGrant through the cache.
func (s *Store) cachedTokenGrant(ctx context.Context, credentialID int64) (lifecycle.TokenGrant, error) {
	return cached(s, ctx, &s.cache.grants, credentialID, func() (lifecycle.TokenGrant, error) { return s.tokenGrant(ctx, credentialID) })
}
