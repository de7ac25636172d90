package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"strings"

	"esp/lifecycle"
)

const insertAuditQuery = `INSERT INTO audit (at, tenant_id, credential_id, access_last4, actor, action,
		from_status, to_status, detail)
	VALUES ($1, $2, $3, $4, $5, $6, NULLIF($7, ''), NULLIF($8, ''), $9)
	RETURNING id`

// placeholders lists n parameters from $first on: "$3, $4, $5".
func placeholders(first, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(first+i))
	}
	return b.String()
}

// insertAudit writes e in the transaction tx, with the notices it sends
// (queueNotices): every audit row of a credential event is written here
// or by a transition (ApplyTransitions), so each event the lifecycle
// notifies is queued in the transaction that records it.
func (s *Store) insertAudit(ctx context.Context, tx *sql.Tx, e lifecycle.AuditEntry) error {
	var cred sql.NullInt64
	if e.CredentialID != 0 {
		cred = sql.NullInt64{Int64: e.CredentialID, Valid: true}
	}
	var id int64
	err := s.stmts.insertAudit.in(ctx, tx).QueryRowContext(ctx, e.At.UnixNano(), e.TenantID, cred, e.AccessLast4, e.Actor,
		string(e.Action), string(e.FromStatus), string(e.ToStatus), storableDetail(e.Detail)).Scan(&id)
	if err != nil {
		return fmt.Errorf("store: write audit: %w", err)
	}
	return s.queueNotices(ctx, tx, id, e.Action)
}

// storableDetail is an audit row's detail as a text column can hold it on
// both backends: the detail may quote what a remote gateway answered, so
// invalid UTF-8 becomes U+FFFD and NUL is dropped, rather than the write
// (and the transition with it) failing on PostgreSQL.
func storableDetail(d string) string {
	if storableText(d) {
		return d
	}
	return strings.ToValidUTF8(strings.ReplaceAll(d, "\x00", ""), "\uFFFD")
}

// auditColumns are the columns scanAudit reads, in its order.
const auditColumns = `id, at, tenant_id, coalesce(credential_id, 0), access_last4, actor, action,
	coalesce(from_status, ''), coalesce(to_status, ''), detail`

func scanAudit(rows *sql.Rows) ([]lifecycle.AuditEntry, error) {
	defer rows.Close()
	var out []lifecycle.AuditEntry
	for rows.Next() {
		var e lifecycle.AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.TenantID, &e.CredentialID, &e.AccessLast4, &e.Actor, &e.Action,
			&e.FromStatus, &e.ToStatus, &e.Detail); err != nil {
			return nil, err
		}
		e.At = fromNanos(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// TenantAudit lists up to limit of a tenant's audit rows whose action is one
// of actions, newest first, starting below the id beforeID (0: from the
// newest). Ids only grow, so paging by the last id seen is stable while
// rows are added.
func (s *Store) TenantAudit(ctx context.Context, tenantID, beforeID int64, events []lifecycle.AuditEvent, limit int) ([]lifecycle.AuditEntry, error) {
	if len(events) == 0 {
		return nil, nil
	}
	if beforeID <= 0 {
		beforeID = math.MaxInt64
	}
	args := []any{tenantID, beforeID}
	for _, e := range events {
		args = append(args, string(e))
	}
	args = append(args, limit)
	rows, err := s.read.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit
		WHERE tenant_id = $1 AND id < $2 AND action IN (`+placeholders(3, len(events))+`)
		ORDER BY id DESC LIMIT $`+strconv.Itoa(3+len(events)), args...)
	if err != nil {
		return nil, fmt.Errorf("store: audit of tenant %d: %w", tenantID, err)
	}
	out, err := scanAudit(rows)
	if err != nil {
		return nil, fmt.Errorf("store: audit of tenant %d: %w", tenantID, err)
	}
	return out, nil
}
