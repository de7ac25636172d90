package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"esp/lifecycle"
)

// leakedCredentialQuery finds what a report names: the credential of a
// secret key by its hash, the credential a signed token names by its id
// ($2), or, once the credential is purged, its history (a report made
// before, or any audit row of it; its last 4 as the audit kept them).
const leakedCredentialQuery = `SELECT id, tenant_id, access_last4 FROM credentials WHERE secret_hash = $1
	UNION ALL
	SELECT id, tenant_id, access_last4 FROM credentials WHERE id = $2
	UNION ALL
	SELECT credential_id, tenant_id, '' FROM leak_reports WHERE token_hash = $1
	UNION ALL
	SELECT * FROM (SELECT credential_id, tenant_id, access_last4 FROM audit WHERE credential_id = $2 LIMIT 1) a
	LIMIT 1`

// LeakedCredential finds the credential whose secret key has hash, or
// whose id is credentialID (0: none), purged ones included; ErrNotFound
// when none has.
func (s *Store) LeakedCredential(ctx context.Context, hash []byte, credentialID int64) (lifecycle.LeakedCredential, error) {
	var c lifecycle.LeakedCredential
	err := s.read.QueryRowContext(ctx, leakedCredentialQuery, hash, credentialID).Scan(&c.CredentialID, &c.TenantID, &c.AccessLast4)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("store: leaked token: %w", lifecycle.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("store: leaked token: %w", err)
	}
	return c, nil
}

// insertLeakQuery records a report unless its token was reported for its
// credential before: the primary key decides, also between reports that
// arrive at once (on PostgreSQL the second waits for the first to commit,
// then inserts nothing).
const insertLeakQuery = `INSERT INTO leak_reports (token_hash, credential_id, tenant_id, at, url)
	VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`

// ReportLeak records r, and the first time its audit row a and the
// conditional write w, in one transaction. w is skipped, as
// ApplyTransitions skips it, when the credential is no longer in one of
// its From statuses.
func (s *Store) ReportLeak(ctx context.Context, r lifecycle.LeakReport, a lifecycle.AuditEntry, w lifecycle.CredentialWrite) (first bool, err error) {
	err = s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, insertLeakQuery, r.TokenHash, r.CredentialID, r.TenantID, r.At.UnixNano(), storableDetail(r.URL))
		if err != nil {
			return writeErr(err, "record leak report", "record leak report")
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return err // reported before: nothing more to do
		}
		first = true
		if err := s.insertAudit(ctx, tx, a); err != nil {
			return err
		}
		auditID, err := applyTransition(ctx, s.stmts.credentialStatus.in(ctx, tx), s.dialect.transitions(ctx, tx), w)
		if err != nil || auditID == 0 {
			return err
		}
		return s.queueNotices(ctx, tx, auditID, w.Action)
	})
	if err != nil {
		return false, err
	}
	return first, nil
}

// LeakURL is where the first leak report of the credential found it; ""
// when none did.
func (s *Store) LeakURL(ctx context.Context, credentialID int64) (string, error) {
	var url string
	err := s.read.QueryRowContext(ctx, `SELECT url FROM leak_reports WHERE credential_id = $1 ORDER BY at, url LIMIT 1`,
		credentialID).Scan(&url)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: leak report of credential %d: %w", credentialID, err)
	}
	return url, nil
}
