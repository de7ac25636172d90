package store

import (
	"context"
	"database/sql"
	"errors"
	"esp/lifecycle"
	"fmt"
)

// TokenGrant reads a credential by its id together with its tenant's
// feature flag, in one query over primary keys, so that a deactivated or
// purged credential or a feature turned off is seen on the very next
// request. A credential that is gone is ErrNotFound. The answer may come
// from the read cache (readcache.go), which the same changes invalidate.
func (s *Store) TokenGrant(ctx context.Context, credentialID int64) (lifecycle.TokenGrant, error) {
	return s.cachedTokenGrant(ctx, credentialID)
}

const tokenGrantQuery = `SELECT c.tenant_id, c.status, c.last_used_at, n.public_api, c.expires_at, n.allowed_ips
	FROM credentials c JOIN tenants n ON n.id = c.tenant_id
	WHERE c.id = $1`

func (s *Store) tokenGrant(ctx context.Context, credentialID int64) (lifecycle.TokenGrant, error) {
	g := lifecycle.TokenGrant{CredentialID: credentialID}
	var lastUsed, credExpires sql.NullInt64
	var allowed string
	err := s.stmts.tokenGrant.QueryRowContext(ctx, credentialID).Scan(&g.TenantID, &g.CredentialStatus, &lastUsed, &g.PublicAPI, &credExpires, &allowed)
	if errors.Is(err, sql.ErrNoRows) {
		return lifecycle.TokenGrant{}, fmt.Errorf("store: credential %d: %w", credentialID, lifecycle.ErrNotFound)
	}
	if err != nil {
		return lifecycle.TokenGrant{}, fmt.Errorf("store: credential %d: %w", credentialID, err)
	}
	g.LastUsedAt, g.CredentialExpiresAt = nullNanos(lastUsed), nullNanos(credExpires)
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

// TokenKeys returns the keys that sign tokens, oldest first.
func (s *Store) TokenKeys(ctx context.Context) ([]lifecycle.TokenKey, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, mac_key, signs_from FROM token_keys ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: token keys: %w", err)
	}
	defer rows.Close()
	var keys []lifecycle.TokenKey
	for rows.Next() {
		var k lifecycle.TokenKey
		var from int64
		if err := rows.Scan(&k.ID, &k.Secret, &from); err != nil {
			return nil, fmt.Errorf("store: token keys: %w", err)
		}
		k.SignsFrom = fromNanos(from)
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: token keys: %w", err)
	}
	return keys, nil
}

// FirstTokenKey keeps k unless a key is kept already. Servers starting
// together each try: the primary key lets one insert, and on PostgreSQL
// the others wait for it to commit and then insert nothing.
func (s *Store) FirstTokenKey(ctx context.Context, k lifecycle.TokenKey) error {
	if err := checkTokenKey(k); err != nil {
		return err
	}
	_, err := s.DB.ExecContext(ctx, `INSERT INTO token_keys (id, mac_key, signs_from)
		SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM token_keys)
		ON CONFLICT (id) DO NOTHING`, k.ID, k.Secret, k.SignsFrom.UnixNano())
	if err != nil {
		return writeErr(err, "keep first token key", "keep first token key")
	}
	return nil
}

// AddTokenKey keeps k as the key after the newest one. Two rotations at
// once both read the same newest id: the primary key refuses the second,
// which is a conflict to try again.
func (s *Store) AddTokenKey(ctx context.Context, k lifecycle.TokenKey) (lifecycle.TokenKey, error) {
	if err := checkTokenKey(k); err != nil {
		return lifecycle.TokenKey{}, err
	}
	err := s.DB.QueryRowContext(ctx, `INSERT INTO token_keys (id, mac_key, signs_from)
		SELECT coalesce(max(id), 0) + 1, $1, $2 FROM token_keys
		RETURNING id`, k.Secret, k.SignsFrom.UnixNano()).Scan(&k.ID)
	if err != nil {
		return lifecycle.TokenKey{}, writeErr(err, "add token key", "add token key")
	}
	return k, nil
}

// checkTokenKey refuses a key of the wrong length before the database's
// CHECK does, with an error that says so.
func checkTokenKey(k lifecycle.TokenKey) error {
	if len(k.Secret) != lifecycle.TokenKeyLen {
		return lifecycle.Errorf(lifecycle.Invalid, "A token key is %d bytes, not %d.", lifecycle.TokenKeyLen, len(k.Secret))
	}
	return nil
}
