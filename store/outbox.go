package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"esp/lifecycle"
)

// NotifyOn makes the store queue an outbox row for each of the events,
// per ESP admin of the tenant with an email address, in the transaction
// that writes the event's audit row. Without it (notifications off)
// nothing is queued. The assembly calls it once, before the store is used.
func (s *Store) NotifyOn(events []lifecycle.AuditEvent) {
	s.notify = make(map[lifecycle.AuditEvent]bool, len(events))
	for _, e := range events {
		s.notify[e] = true
	}
}

// notifiedEvents are the events NotifyOn named, as stored.
func (s *Store) notifiedEvents() []string {
	out := make([]string, 0, len(s.notify))
	for e, on := range s.notify {
		if on {
			out = append(out, string(e))
		}
	}
	return out
}

// queueNoticesQuery writes one outbox row per admin of the audit row's
// tenant with an address: $1 the audit row's id.
const queueNoticesQuery = `INSERT INTO outbox (audit_id, user_id, rcpt, created_at, due_at)
	SELECT a.id, u.id, u.email, a.at, a.at FROM audit a JOIN users u ON u.tenant_id = a.tenant_id
	WHERE a.id = $1 AND u.is_admin AND u.email IS NOT NULL`

// queueNotices queues the notices of the audit row auditID, of event, in
// tx, when the event is one the store notifies.
func (s *Store) queueNotices(ctx context.Context, tx *sql.Tx, auditID int64, event lifecycle.AuditEvent) error {
	if !s.notify[event] {
		return nil
	}
	if _, err := tx.ExecContext(ctx, queueNoticesQuery, auditID); err != nil {
		return fmt.Errorf("store: queue notices of audit %d: %w", auditID, err)
	}
	return nil
}

// claimNoticesQuery claims up to $3 notices due at $1, moving their due
// time to the lease's end $2. On PostgreSQL the rows another scheduler is
// claiming at this moment are skipped (dialect.skipLocked); SQLite's one
// writer runs the statement alone.
const claimNoticesQuery = `UPDATE outbox SET due_at = $2, claim = claim + 1, attempts = attempts + 1
	WHERE id IN (%s)
	RETURNING id, claim, attempts`

const dueNoticesQuery = `SELECT id FROM outbox WHERE due_at <= $1 ORDER BY due_at, id LIMIT $3`

// noticeFactsQuery reads what a notice tells, by outbox ids.
const noticeFactsQuery = `SELECT o.id, o.created_at, o.audit_id, o.user_id, o.rcpt, t.name, a.at, a.action, a.actor,
		a.access_last4, a.detail
	FROM outbox o JOIN audit a ON a.id = o.audit_id JOIN tenants t ON t.id = a.tenant_id
	WHERE o.id IN (%s)`

// ClaimNotices claims up to limit due notices until the lease's end.
func (s *Store) ClaimNotices(ctx context.Context, now, until time.Time, limit int) ([]lifecycle.Notice, error) {
	var out []lifecycle.Notice
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		q := fmt.Sprintf(claimNoticesQuery, s.dialect.skipLocked(dueNoticesQuery))
		rows, err := tx.QueryContext(ctx, q, now.UnixNano(), until.UnixNano(), limit)
		if err != nil {
			return fmt.Errorf("store: claim notices: %w", err)
		}
		byID := map[int64]*lifecycle.Notice{}
		var ids []string
		for rows.Next() {
			var n lifecycle.Notice
			if err := rows.Scan(&n.ID, &n.Claim, &n.Attempts); err != nil {
				rows.Close()
				return fmt.Errorf("store: claim notices: %w", err)
			}
			out = append(out, n)
			ids = append(ids, strconv.FormatInt(n.ID, 10))
		}
		if err := rows.Close(); err != nil || len(out) == 0 {
			return err
		}
		for i := range out {
			byID[out[i].ID] = &out[i]
		}
		return readNoticeFacts(ctx, tx, strings.Join(ids, ","), byID)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// readNoticeFacts fills in the notices of byID, ids being their ids
// (integers the store has just read, so written into the query as such).
func readNoticeFacts(ctx context.Context, tx *sql.Tx, ids string, byID map[int64]*lifecycle.Notice) error {
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(noticeFactsQuery, ids))
	if err != nil {
		return fmt.Errorf("store: read notices: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, queued, at int64
		var f lifecycle.Notice
		if err := rows.Scan(&id, &queued, &f.AuditID, &f.UserID, &f.To, &f.TenantName, &at, &f.Event, &f.Actor,
			&f.AccessLast4, &f.Detail); err != nil {
			return fmt.Errorf("store: read notices: %w", err)
		}
		n := byID[id]
		f.ID, f.Claim, f.Attempts = n.ID, n.Claim, n.Attempts
		f.QueuedAt, f.At = fromNanos(queued), fromNanos(at)
		*n = f
	}
	return rows.Err()
}

// FinishNotice deletes n's row, sent or given up, while n's claim holds.
func (s *Store) FinishNotice(ctx context.Context, n lifecycle.Notice) error {
	if _, err := s.DB.ExecContext(ctx, `DELETE FROM outbox WHERE id = $1 AND claim = $2`, n.ID, n.Claim); err != nil {
		return fmt.Errorf("store: finish notice %d: %w", n.ID, s.Reach(err))
	}
	return nil
}

// RetryNotice makes n due again at due, while n's claim holds.
func (s *Store) RetryNotice(ctx context.Context, n lifecycle.Notice, due time.Time) error {
	_, err := s.DB.ExecContext(ctx, `UPDATE outbox SET due_at = $1 WHERE id = $2 AND claim = $3`, due.UnixNano(), n.ID, n.Claim)
	if err != nil {
		return fmt.Errorf("store: retry notice %d: %w", n.ID, s.Reach(err))
	}
	return nil
}

// OldestNotice is when the oldest notice still to send was queued; zero
// when there is none.
func (s *Store) OldestNotice(ctx context.Context) (time.Time, error) {
	var oldest sql.NullInt64
	if err := s.read.QueryRowContext(ctx, `SELECT min(created_at) FROM outbox`).Scan(&oldest); err != nil {
		return time.Time{}, fmt.Errorf("store: oldest notice: %w", err)
	}
	if !oldest.Valid {
		return time.Time{}, nil
	}
	return fromNanos(oldest.Int64), nil
}
