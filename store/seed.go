package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Bulk seeding is for the bench (cmd/espbench), which measures the product
// on a database as large as a big customer's: each statement writes its
// rows from a series of numbers inside the database, so a million rows
// take seconds, not a million round trips. The product itself writes rows
// one use case at a time. Seeded credentials' access keys are "ESPAK", a
// word and zero-padded digits: 0, 1, 8 and 9 are not in the alphabet of
// generated keys, so they never collide with one; their secret hashes are
// of no secret, so they never authenticate.

// SeedIdleCredentials adds n credentials to the tenant that need no
// scheduler work: activation failed, deactivation failed, or deactivated
// at now (too recently to be purged), created a second apart before now.
// Their access keys are "ESPAKFILL" and 20 digits. For the bench only.
func (s *Store) SeedIdleCredentials(ctx context.Context, tenantID int64, n int, now time.Time) error {
	if _, err := s.DB.ExecContext(ctx, s.dialect.seedQueries().idle, n, tenantID, now.UnixNano()); err != nil {
		return fmt.Errorf("store: seed idle credentials: %w", err)
	}
	return nil
}

// SeedDueActivations adds n tenants with the public API on, named prefix
// and 6 digits from 000001, each with its current credential in Pending
// Activation due at now and timing out at deadline: the state Generate
// leaves, without its audit row. Their access keys are "ESPAKDUE" and the
// tenant's id in 21 digits. One transaction. For the bench only.
func (s *Store) SeedDueActivations(ctx context.Context, prefix string, n int, now, deadline time.Time) error {
	q := s.dialect.seedQueries()
	return s.Tx(ctx, func(tx *sql.Tx) error {
		ns := now.UnixNano()
		if _, err := tx.ExecContext(ctx, q.dueTenants, n, prefix, ns); err != nil {
			return fmt.Errorf("store: seed due tenants: %w", err)
		}
		if _, err := tx.ExecContext(ctx, q.dueCredentials,
			prefix, ns, deadline.UnixNano()); err != nil {
			return fmt.Errorf("store: seed due credentials: %w", err)
		}
		if _, err := tx.ExecContext(ctx, q.dueCurrent, prefix); err != nil {
			return fmt.Errorf("store: seed due tenants' current credential: %w", err)
		}
		return nil
	})
}

// seedQueries are the seeding statements: $1 rows, series 1..$1, in each
// backend's terms. The due tenants are found again by their names' prefix.
type seedQueries struct{ idle, dueTenants, dueCredentials, dueCurrent string }

func (*sqliteDialect) seedQueries() seedQueries {
	return seedQueries{
		idle: `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
	INSERT INTO credentials (tenant_id, status, access_key, secret_hash,
		access_last4, secret_last4, created_at, changed_at, deactivated_at)
	SELECT $2, CASE i % 3 WHEN 0 THEN 'activation_failed' WHEN 1 THEN 'deactivation_failed' ELSE 'deactivated' END,
		printf('ESPAKFILL%020d', i), randomblob(32), substr(printf('%04d', i), -4), 'abcd',
		$3 - i * 1000000000, $3 - i * 1000000000, CASE i % 3 WHEN 2 THEN $3 END
	FROM n`,
		dueTenants: `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
	INSERT INTO tenants (name, public_api, created_at) SELECT $2 || printf('%06d', i), TRUE, $3 FROM n`,
		dueCredentials: `INSERT INTO credentials (tenant_id, status, access_key, secret_hash,
		access_last4, secret_last4, created_at, changed_at, due_at, deadline_at, pending_action)
	SELECT id, 'pending_activation', printf('ESPAKDUE%021d', id), randomblob(32), 'abcd', 'abcd', $2, $2, $2, $3, 'activate'
	FROM tenants WHERE substr(name, 1, length($1)) = $1`,
		dueCurrent: `UPDATE tenants SET current_credential_id =
		(SELECT id FROM credentials c WHERE c.tenant_id = tenants.id AND c.status = 'pending_activation')
	WHERE substr(name, 1, length($1)) = $1`,
	}
}

// seedQueries on PostgreSQL: generate_series, bigint casts where a
// parameter's type would be unknown, sha256 for a 32-byte hash (no
// extension needed).
func (postgresDialect) seedQueries() seedQueries {
	return seedQueries{
		idle: `INSERT INTO credentials (tenant_id, status, access_key, secret_hash,
		access_last4, secret_last4, created_at, changed_at, deactivated_at)
	SELECT $2::bigint, CASE i % 3 WHEN 0 THEN 'activation_failed' WHEN 1 THEN 'deactivation_failed' ELSE 'deactivated' END,
		'ESPAKFILL' || lpad(i::text, 20, '0'), sha256(int8send(i)), right(lpad(i::text, 4, '0'), 4), 'abcd',
		$3::bigint - i * 1000000000, $3::bigint - i * 1000000000, CASE i % 3 WHEN 2 THEN $3::bigint END
	FROM generate_series(1, $1::bigint) AS n(i)`,
		dueTenants: `INSERT INTO tenants (name, public_api, created_at)
	SELECT $2::text || lpad(i::text, 6, '0'), TRUE, $3::bigint FROM generate_series(1, $1::bigint) AS n(i)`,
		dueCredentials: `INSERT INTO credentials (tenant_id, status, access_key, secret_hash,
		access_last4, secret_last4, created_at, changed_at, due_at, deadline_at, pending_action)
	SELECT id, 'pending_activation', 'ESPAKDUE' || lpad(id::text, 21, '0'), sha256(int8send(id)), 'abcd', 'abcd',
		$2::bigint, $2::bigint, $2::bigint, $3::bigint, 'activate'
	FROM tenants WHERE left(name, length($1::text)) = $1::text`,
		// A join, not a subquery a tenant: the statistics, taken before the
		// due rows, may say every credential is another tenant's, and a
		// subquery would scan them all for each due tenant.
		dueCurrent: `UPDATE tenants t SET current_credential_id = c.id FROM credentials c
	WHERE c.tenant_id = t.id AND c.status = 'pending_activation' AND left(t.name, length($1::text)) = $1::text`,
	}
}
