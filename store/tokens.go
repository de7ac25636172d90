package store

import (
	"context"
	"database/sql"
	"errors"
	"esp/lifecycle"
	"fmt"
	"time"
)

const (
	insertTokenQuery = `INSERT INTO api_tokens (hash, credential_id, tenant_id, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`
	deleteExpiredTokensQuery = `DELETE FROM api_tokens WHERE expires_at <= $1`
)

// InsertToken stores a new token. It deletes nothing: expired tokens are
// refused by their time and removed by the scheduler's housekeeping
// (DeleteExpiredTokens), so that token exchanges on every server do not
// contend for the same old rows.
//
// Each token is written in its own transaction; a caller whose ctx ends
// while it waits for the writer gets ctx's error and no row.
func (s *Store) InsertToken(ctx context.Context, t lifecycle.Token) error {
	return s.Tx(ctx, func(tx *sql.Tx) error {
		_, err := s.stmts.insertToken.in(ctx, tx).ExecContext(ctx,
			t.Hash, t.CredentialID, t.TenantID, t.CreatedAt.UnixNano(), t.ExpiresAt.UnixNano())
		if err != nil {
			return writeErr(err, "insert token", "insert token")
		}
		return nil
	})
}

// TokenGrant looks a token up by its hash together with its credential and
// tenant, in one query over primary keys, so that a deactivated credential or
// a feature turned off is seen on the very next request. An unknown token is
// ErrNotFound. The answer may come from the read cache (readcache.go),
// which the same changes invalidate.
func (s *Store) TokenGrant(ctx context.Context, hash []byte) (lifecycle.TokenGrant, error) {
	return s.cachedTokenGrant(ctx, hash)
}

const tokenGrantQuery = `SELECT t.credential_id, t.tenant_id, t.created_at, t.expires_at,
		c.status, c.last_used_at, n.public_api, c.expires_at, n.allowed_ips
	FROM api_tokens t
	JOIN credentials c ON c.id = t.credential_id
	JOIN tenants n ON n.id = t.tenant_id
	WHERE t.hash = $1`

func (s *Store) tokenGrant(ctx context.Context, hash []byte) (lifecycle.TokenGrant, error) {
	var g lifecycle.TokenGrant
	var created, expires int64
	var lastUsed, credExpires sql.NullInt64
	var allowed string
	err := s.stmts.tokenGrant.QueryRowContext(ctx, hash).Scan(&g.CredentialID, &g.TenantID, &created, &expires,
		&g.CredentialStatus, &lastUsed, &g.PublicAPI, &credExpires, &allowed)
	if errors.Is(err, sql.ErrNoRows) {
		return lifecycle.TokenGrant{}, fmt.Errorf("store: token: %w", lifecycle.ErrNotFound)
	}
	if err != nil {
		return lifecycle.TokenGrant{}, fmt.Errorf("store: token: %w", err)
	}
	g.Hash = hash
	g.CreatedAt, g.ExpiresAt, g.LastUsedAt = fromNanos(created), fromNanos(expires), nullNanos(lastUsed)
	g.CredentialExpiresAt = nullNanos(credExpires)
	g.AllowedIPs = s.allowLists.Parse(allowed)
	return g, nil
}

const accessKeyGrantQuery = `SELECT c.id, c.tenant_id, c.status, c.secret_hash, c.last_used_at, n.public_api, c.expires_at, n.allowed_ips
	FROM credentials c JOIN tenants n ON n.id = c.tenant_id
	WHERE c.access_key = $1`

// AccessKeyGrant looks an access key up with its tenant's feature flag in one
// query over unique keys; an unknown key is ErrNotFound.
func (s *Store) AccessKeyGrant(ctx context.Context, accessKey string) (lifecycle.AccessKeyGrant, error) {
	if !storableText(accessKey) {
		return lifecycle.AccessKeyGrant{}, fmt.Errorf("store: access key: %w", lifecycle.ErrNotFound)
	}
	var g lifecycle.AccessKeyGrant
	var lastUsed, credExpires sql.NullInt64
	var allowed string
	err := s.stmts.accessKeyGrant.QueryRowContext(ctx, accessKey).Scan(&g.CredentialID, &g.TenantID, &g.Status, &g.SecretHash, &lastUsed, &g.PublicAPI, &credExpires, &allowed)
	if errors.Is(err, sql.ErrNoRows) {
		return lifecycle.AccessKeyGrant{}, fmt.Errorf("store: access key: %w", lifecycle.ErrNotFound)
	}
	if err != nil {
		return lifecycle.AccessKeyGrant{}, fmt.Errorf("store: access key: %w", err)
	}
	g.LastUsedAt, g.CredentialExpiresAt = nullNanos(lastUsed), nullNanos(credExpires)
	g.AllowedIPs = s.allowLists.Parse(allowed)
	return g, nil
}

const touchCredentialQuery = `UPDATE credentials SET last_used_at = $1
	WHERE id = $2 AND (last_used_at IS NULL OR last_used_at <= $3)`

// TouchCredential records that a credential was used at now, unless that was
// already recorded less than every ago: at most one write per credential per
// period, however busy its client is. It reports whether it wrote.
func (s *Store) TouchCredential(ctx context.Context, credentialID int64, now time.Time, every time.Duration) (bool, error) {
	res, err := s.stmts.touchCredential.ExecContext(ctx, now.UnixNano(), credentialID, now.Add(-every).UnixNano())
	if err != nil {
		return false, fmt.Errorf("store: record use of credential %d: %w", credentialID, err)
	}
	n, _ := res.RowsAffected()
	// Written or not, the database's last use is now within every of now:
	// cached grants may say now, which delays the next write by less than
	// every.
	s.cache.touchedCredential(credentialID, now, n == 1)
	return n == 1, nil
}
