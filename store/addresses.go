package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"esp/lifecycle"
)

// AllowedIPs is the tenant's list of allowed addresses as stored ("" for
// any address); an unknown tenant is ErrNotFound.
func (s *Store) AllowedIPs(ctx context.Context, tenantID int64) (string, error) {
	var list string
	err := s.read.QueryRowContext(ctx, `SELECT allowed_ips FROM tenants WHERE id = $1`, tenantID).Scan(&list)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("store: allowed addresses of tenant %d: %w", tenantID, lifecycle.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("store: allowed addresses of tenant %d: %w", tenantID, err)
	}
	return list, nil
}

// setAllowedIPsQuery changes a tenant's list only when it differs: two
// admins saving the same list at once change it once (on PostgreSQL the
// second waits for the first's row lock, then finds the list equal).
const setAllowedIPsQuery = `UPDATE tenants SET allowed_ips = $1 WHERE id = $2 AND allowed_ips <> $1`

// SetAllowedIPs stores list as e's tenant's list and, when that changed
// it, writes the audit row e with its notices, in one transaction. On
// SQLite the change bumps the change counter (migration 0019), so cached
// token grants are read again at the next request.
func (s *Store) SetAllowedIPs(ctx context.Context, list string, e lifecycle.AuditEntry) (bool, error) {
	changed := false
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, setAllowedIPsQuery, list, e.TenantID)
		if err != nil {
			return fmt.Errorf("store: set allowed addresses of tenant %d: %w", e.TenantID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		changed = true
		return s.insertAudit(ctx, tx, e)
	})
	return changed, err
}

// recordUseQuery writes a use unless one of the credential from the
// address was written at or after $5 (the period's start). A trigger
// (migrations 0020, postgres/0008) carries used_at to the credential's
// last_used_at.
const recordUseQuery = `INSERT INTO credential_uses (credential_id, addr, user_agent, used_at)
	VALUES ($1, $2, $3, $4)
	ON CONFLICT (credential_id, addr) DO UPDATE SET user_agent = excluded.user_agent, used_at = excluded.used_at
	WHERE credential_uses.used_at <= $5`

// RecordUse records the use u of its credential, with its address and
// client, unless a use from that address was already recorded less than
// every ago: at most one write per credential, address and period,
// however busy the client is. It is one statement, which also updates
// the credential's last use. It reports whether it wrote.
func (s *Store) RecordUse(ctx context.Context, u lifecycle.CredentialUse, every time.Duration) (bool, error) {
	res, err := s.stmts.recordUse.ExecContext(ctx, u.CredentialID, addrText(u.Addr), storableDetail(u.Client),
		u.At.UnixNano(), u.At.Add(-every).UnixNano())
	if err != nil {
		return false, fmt.Errorf("store: record use of credential %d: %w", u.CredentialID, err)
	}
	n, _ := res.RowsAffected()
	// Written or not, the database's last use is now within every of
	// u.At: cached grants may say u.At, which delays the next write by
	// less than every.
	s.cache.touchedCredential(u.CredentialID, u.At, n == 1)
	return n == 1, nil
}

// addrText is an address as credential_uses keeps it: "" when unknown.
func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// RecentUses lists up to limit of the credential's latest uses, one per
// address, newest first.
func (s *Store) RecentUses(ctx context.Context, credentialID int64, limit int) ([]lifecycle.CredentialUse, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT addr, user_agent, used_at FROM credential_uses
		WHERE credential_id = $1 ORDER BY used_at DESC, addr LIMIT $2`, credentialID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: uses of credential %d: %w", credentialID, err)
	}
	defer rows.Close()
	var out []lifecycle.CredentialUse
	for rows.Next() {
		u := lifecycle.CredentialUse{CredentialID: credentialID}
		var addr string
		var at int64
		if err := rows.Scan(&addr, &u.Client, &at); err != nil {
			return nil, fmt.Errorf("store: uses of credential %d: %w", credentialID, err)
		}
		u.Addr, _ = netip.ParseAddr(addr)
		u.At = fromNanos(at)
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: uses of credential %d: %w", credentialID, err)
	}
	return out, nil
}
