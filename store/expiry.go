package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"esp/lifecycle"
)

// expiringQuery finds the live credentials with expiry work due (see
// ExpiringCredentials). %[1]s is the CASE that gives each its stage: 0
// when expired at $1, else the smallest reminder's days whose window
// ($2, $3, ...: now plus each reminder's days, smallest first) its expiry
// is in; %[2]s the placeholder of the largest window, %[3]s the statuses'
// placeholders, %[4]s the limit's. A reminder is due only to a credential
// created before its window began, and while neither it nor a smaller
// one was sent.
const expiringQuery = `WITH due AS (
		SELECT c.id, c.tenant_id, c.access_last4, c.created_at, c.expires_at, %[1]s AS stage
		FROM credentials c
		WHERE c.expires_at <= %[2]s AND c.status IN (%[3]s))
	SELECT id, tenant_id, access_last4, expires_at, stage FROM due
	WHERE stage = 0 OR (created_at < expires_at - stage * 86400000000000
		AND NOT EXISTS (SELECT 1 FROM expiry_reminders r WHERE r.credential_id = due.id AND r.days <= due.stage))
	ORDER BY expires_at, id
	LIMIT %[4]s`

// ExpiringCredentials lists up to limit credentials in one of the statuses
// live whose expiry work is due at now: expired (stage 0), or due a
// reminder of days (whole days before the expiry) not sent yet.
func (s *Store) ExpiringCredentials(ctx context.Context, now time.Time, days []int, live []lifecycle.Status, limit int) ([]lifecycle.Expiring, error) {
	if len(days) == 0 || len(live) == 0 {
		return nil, errors.New("store: expiring credentials: no reminders or statuses")
	}
	asc := slices.Clone(days)
	slices.Sort(asc)
	var stage strings.Builder
	stage.WriteString("CASE WHEN c.expires_at <= $1 THEN 0")
	args := []any{now.UnixNano()}
	for _, d := range asc {
		args = append(args, now.Add(time.Duration(d)*lifecycle.Day).UnixNano())
		fmt.Fprintf(&stage, " WHEN c.expires_at <= $%d THEN %d", len(args), d)
	}
	stage.WriteString(" END")
	largest := "$" + strconv.Itoa(len(args))
	statuses := placeholders(len(args)+1, len(live))
	for _, st := range live {
		args = append(args, string(st))
	}
	args = append(args, limit)
	q := fmt.Sprintf(expiringQuery, stage.String(), largest, statuses, "$"+strconv.Itoa(len(args)))
	stmt, err := s.built.get(ctx, s.dialect, s.read, q)
	if err != nil {
		return nil, err
	}
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("store: expiring credentials: %w", err)
	}
	defer rows.Close()
	var out []lifecycle.Expiring
	for rows.Next() {
		var e lifecycle.Expiring
		var expires int64
		if err := rows.Scan(&e.CredentialID, &e.TenantID, &e.AccessLast4, &expires, &e.Stage); err != nil {
			return nil, fmt.Errorf("store: expiring credentials: %w", err)
		}
		e.ExpiresAt = fromNanos(expires)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: expiring credentials: %w", err)
	}
	return out, nil
}

// insertReminderQuery records a reminder while its credential is in one
// of the statuses from $4 on, unless it was recorded before: the primary
// key decides, also between schedulers sending it at once (on PostgreSQL
// the second waits for the first to commit, then inserts nothing).
const insertReminderQuery = `INSERT INTO expiry_reminders (credential_id, days, at)
	SELECT id, CAST($2 AS integer), CAST($3 AS bigint) FROM credentials WHERE id = $1 AND status IN (%s)
	ON CONFLICT DO NOTHING`

// RemindExpiry records r and, the first time, its audit row a (which
// queues its messages), in one transaction.
func (s *Store) RemindExpiry(ctx context.Context, r lifecycle.ExpiryReminder, a lifecycle.AuditEntry) (sent bool, err error) {
	if len(r.While) == 0 {
		return false, errors.New("store: expiry reminder without statuses")
	}
	args := []any{r.CredentialID, r.Days, r.At.UnixNano()}
	for _, st := range r.While {
		args = append(args, string(st))
	}
	err = s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, fmt.Sprintf(insertReminderQuery, placeholders(4, len(r.While))), args...)
		if err != nil {
			return fmt.Errorf("store: record expiry reminder of credential %d: %w", r.CredentialID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return err // sent before, or no longer live
		}
		sent = true
		return s.insertAudit(ctx, tx, a)
	})
	if err != nil {
		return false, err
	}
	return sent, nil
}

// errNotApplied rolls back a transaction whose conditional write found
// its row changed.
var errNotApplied = errors.New("store: conditional write not applied")

// ExpireCredential writes the audit row a (the expiry, which comes first
// in the history) and then the conditional write w (the deactivation it
// requests), with the notices of both, in one transaction; when w does not
// apply (the credential changed, or another scheduler expired it first)
// nothing is written and it reports false.
func (s *Store) ExpireCredential(ctx context.Context, a lifecycle.AuditEntry, w lifecycle.CredentialWrite) (bool, error) {
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.insertAudit(ctx, tx, a); err != nil {
			return err
		}
		auditID, err := applyTransition(ctx, s.stmts.credentialStatus.in(ctx, tx), s.dialect.transitions(ctx, tx), w)
		if err != nil {
			return err
		}
		if auditID == 0 {
			return errNotApplied
		}
		return s.queueNotices(ctx, tx, auditID, w.Action)
	})
	if errors.Is(err, errNotApplied) {
		return false, nil
	}
	return err == nil, err
}

// MaxCredentialLifetime is the tenant's maximum credential lifetime (0:
// none).
func (s *Store) MaxCredentialLifetime(ctx context.Context, tenantID int64) (time.Duration, error) {
	// The window asks it on every rendering: through the read cache, as
	// the tenant's other lookups (a change bumps the counter, migration
	// 0022). Uncached, it was a quarter of the window's time on SQLite.
	return cached(s, ctx, &s.cache.lifetime, tenantID, func() (time.Duration, error) {
		return s.maxCredentialLifetime(ctx, tenantID)
	})
}

func (s *Store) maxCredentialLifetime(ctx context.Context, tenantID int64) (time.Duration, error) {
	var max sql.NullInt64
	err := s.read.QueryRowContext(ctx, `SELECT max_credential_lifetime FROM tenants WHERE id = $1`, tenantID).Scan(&max)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("store: tenant %d: %w", tenantID, lifecycle.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("store: expiry policy of tenant %d: %w", tenantID, err)
	}
	return time.Duration(max.Int64), nil
}

// SetMaxCredentialLifetime sets the tenant's maximum credential lifetime
// (0: none).
func (s *Store) SetMaxCredentialLifetime(ctx context.Context, name string, max time.Duration) error {
	return s.updateTenant(ctx, name, "expiry policy", `UPDATE tenants SET max_credential_lifetime = $1 WHERE name = $2`,
		sql.NullInt64{Int64: int64(max), Valid: max > 0})
}

// builtStatements are the queries whose text is built from their
// arguments (the reminders' days, the live statuses), which in practice
// never change: each text is readied once, as the hot paths' statements
// are at Open. The scheduler reads the expiring credentials every tick,
// and parsing that query each time made a tick with nothing due cost
// about 1.6 ms on SQLite instead of about 0.1 ms without expiry; readied
// once, the tick measured 0.08 to 0.23 ms (medians 0.11 ms with expiry,
// 0.09 ms without, 3 alternating runs on 2 busy cores of
// go test ./lifecycle -run '^$' -bench TickNothingDue -count 1).
type builtStatements struct {
	mu sync.Mutex
	m  map[string]statement
}

// get is the statement of query on db, readied the first time.
func (b *builtStatements) get(ctx context.Context, d dialect, db *sql.DB, query string) (statement, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if st, ok := b.m[query]; ok {
		return st, nil
	}
	st, err := d.prepare(ctx, db, query)
	if err != nil {
		return nil, err
	}
	if b.m == nil {
		b.m = map[string]statement{}
	}
	b.m[query] = st
	return st, nil
}

func (b *builtStatements) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, st := range b.m {
		st.Close()
	}
	b.m = nil
}
