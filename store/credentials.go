package store

import (
	"context"
	"database/sql"
	"errors"
	"esp/lifecycle"
	"fmt"
)

const credentialColumns = `id, tenant_id, status, access_key, secret_hash, access_last4, secret_last4,
	created_at, changed_at, due_at, deadline_at, attempts, deactivated_at, last_used_at, coalesce(pending_action, ''), expires_at`

func scanCredential(row interface{ Scan(...any) error }) (lifecycle.Credential, error) {
	var c lifecycle.Credential
	var created, changed int64
	var due, deadline, deactivated, lastUsed, expires sql.NullInt64
	err := row.Scan(&c.ID, &c.TenantID, &c.Status, &c.AccessKey, &c.SecretHash, &c.AccessLast4, &c.SecretLast4,
		&created, &changed, &due, &deadline, &c.Attempts, &deactivated, &lastUsed, &c.PendingAction, &expires)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return lifecycle.Credential{}, lifecycle.ErrNotFound
		}
		return lifecycle.Credential{}, err
	}
	c.CreatedAt, c.ChangedAt = fromNanos(created), fromNanos(changed)
	c.DueAt, c.DeadlineAt = nullNanos(due), nullNanos(deadline)
	c.DeactivatedAt, c.LastUsedAt = nullNanos(deactivated), nullNanos(lastUsed)
	c.ExpiresAt = nullNanos(expires)
	return c, nil
}

const currentCredentialQuery = `SELECT ` + credentialColumns + ` FROM credentials
	WHERE id = (SELECT current_credential_id FROM tenants WHERE id = $1)`

// CurrentCredential is the credential the tenant's window shows: the newest
// generated, unless it has been purged (then ErrNotFound). The answer may
// come from the read cache (readcache.go).
func (s *Store) CurrentCredential(ctx context.Context, tenantID int64) (lifecycle.Credential, error) {
	c, err := s.cachedCurrentCredential(ctx, tenantID)
	if err != nil {
		return lifecycle.Credential{}, fmt.Errorf("store: current credential of tenant %d: %w", tenantID, err)
	}
	return c, nil
}

// CredentialByID finds a credential by id.
func (s *Store) CredentialByID(ctx context.Context, id int64) (lifecycle.Credential, error) {
	c, err := scanCredential(s.read.QueryRowContext(ctx, `SELECT `+credentialColumns+` FROM credentials WHERE id = $1`, id))
	if err != nil {
		return lifecycle.Credential{}, fmt.Errorf("store: credential %d: %w", id, err)
	}
	return c, nil
}

// InsertCredential stores a new credential, makes it the tenant's current one
// and writes the audit row (actor, action), in one transaction. A second live
// credential for the tenant, or a second credential from one Generate
// request, is refused by the database's unique indexes: ErrConflict.
func (s *Store) InsertCredential(ctx context.Context, c lifecycle.Credential, actor string, event lifecycle.AuditEvent) (lifecycle.Credential, error) {
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		var request any // NULL, not an empty blob
		if c.GenerateRequest != nil {
			request = c.GenerateRequest
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO credentials (tenant_id, status, access_key, secret_hash,
			access_last4, secret_last4, created_at, changed_at, due_at, deadline_at, pending_action, generate_request, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULLIF($11, ''), $12, $13) RETURNING id`,
			c.TenantID, string(c.Status), c.AccessKey, c.SecretHash, c.AccessLast4, c.SecretLast4,
			c.CreatedAt.UnixNano(), c.CreatedAt.UnixNano(), toNull(c.DueAt), toNull(c.DeadlineAt), string(c.PendingAction), request,
			toNull(c.ExpiresAt)).Scan(&c.ID)
		if err != nil {
			return writeErr(err, "insert credential", fmt.Sprintf("tenant %d already has live credentials", c.TenantID))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tenants SET current_credential_id = $1 WHERE id = $2`, c.ID, c.TenantID); err != nil {
			return fmt.Errorf("store: set current credential: %w", err)
		}
		return s.insertAudit(ctx, tx, lifecycle.AuditEntry{At: c.CreatedAt, TenantID: c.TenantID,
			CredentialID: c.ID, AccessLast4: c.AccessLast4, Actor: actor, Action: event, ToStatus: c.Status})
	})
	if err != nil {
		return lifecycle.Credential{}, err
	}
	c.ChangedAt = c.CreatedAt
	return c, nil
}

// GeneratedByRequest reports whether one of the tenant's credentials was
// made by the Generate request whose id hashes to request.
func (s *Store) GeneratedByRequest(ctx context.Context, tenantID int64, request []byte) (bool, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM credentials WHERE tenant_id = $1 AND generate_request = $2`,
		tenantID, request).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: generate request of tenant %d: %w", tenantID, err)
	}
	return n > 0, nil
}
