package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"esp/store"
)

// planHeader is the header of `esp plan import` files (and of the export).
const planHeader = "interval_start,interval,skill,scheduling_unit,volume,aht_seconds,fte_required,fte_planned,service_level_pct,asa_seconds,occupancy_pct\n"

// combosPerDay is skills × scheduling units: rows per interval_start.
const combosPerDay = 200

// writePlanCSV writes a plan file of n rows: one day per 200 rows, 20
// skills × 10 scheduling units, plausible numbers, built with strconv
// appends into one buffered writer.
func writePlanCSV(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString(planHeader)
	day0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var date []byte
	b := make([]byte, 0, 256)
	for i := range n {
		d, combo := i/combosPerDay, i%combosPerDay
		if combo == 0 {
			date = day0.AddDate(0, 0, d).AppendFormat(date[:0], time.DateOnly)
		}
		b = append(b[:0], date...)
		b = append(b, ",day,skill-"...)
		b = strconv.AppendInt(b, int64(combo/10), 10)
		b = append(b, ",unit-"...)
		b = strconv.AppendInt(b, int64(combo%10), 10)
		b = append(b, ',')
		h := uint32(i)*2654435761 + 12345           // cheap deterministic spread
		b = strconv.AppendInt(b, int64(h%5000), 10) // volume
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(180+h%420), 10) // aht_seconds
		b = append(b, ',')
		b = appendTenths(b, int64(h%1200)) // fte_required
		b = append(b, ',')
		b = appendTenths(b, int64((h>>3)%1200)) // fte_planned
		b = append(b, ',')
		b = appendTenths(b, int64(700+(h>>5)%300)) // service_level_pct
		b = append(b, ',')
		b = strconv.AppendInt(b, int64((h>>7)%120), 10) // asa_seconds
		b = append(b, ',')
		b = appendTenths(b, int64(600+(h>>9)%350)) // occupancy_pct
		b = append(b, '\n')
		w.Write(b)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// appendTenths appends v/10 with one decimal ("12.5").
func appendTenths(b []byte, v int64) []byte {
	b = strconv.AppendInt(b, v/10, 10)
	return append(b, '.', byte('0'+v%10))
}

// seedSQL is the SQL that seeds rows 7 and 8 in bulk, in each backend's
// terms: one INSERT … SELECT over a series of numbers writes a million rows
// without a million round trips through database/sql.
type seedSQL struct {
	// fillerCredentials: $1 rows for tenant $2, at time $3.
	fillerCredentials string
	// dueTenants: $1 tenants named bench-due-NNNNNN at time $2.
	dueTenants string
	// dueCredentials: one Pending Activation credential for each, created
	// and due at $1, timing out at $2.
	dueCredentials string
	// dueCurrent makes each due tenant's credential its current one.
	dueCurrent string
}

// The filler credentials' statuses need no scheduler work: activation
// failed, deactivation failed, deactivated too recently to be purged.
var (
	seedSQLite = seedSQL{
		fillerCredentials: `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
		INSERT INTO credentials (tenant_id, status, access_key, secret_hash,
			access_last4, secret_last4, created_at, changed_at, due_at, deadline_at, deactivated_at)
		SELECT $2, CASE i % 3 WHEN 0 THEN 'activation_failed' WHEN 1 THEN 'deactivation_failed' ELSE 'deactivated' END,
			printf('ESPAKFILL%020d', i), randomblob(32), substr(printf('%04d', i), -4), 'abcd',
			$3 - i * 1000000000, $3 - i * 1000000000, NULL, NULL,
			CASE i % 3 WHEN 2 THEN $3 ELSE NULL END
		FROM n`,
		dueTenants: `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
		INSERT INTO tenants (name, public_api, created_at)
		SELECT printf('bench-due-%06d', i), TRUE, $2 FROM n`,
		dueCredentials: `INSERT INTO credentials (tenant_id, status, access_key, secret_hash,
			access_last4, secret_last4, created_at, changed_at, due_at, deadline_at, pending_action)
		SELECT id, 'pending_activation', printf('ESPAKDUE%021d', id), randomblob(32), 'abcd', 'abcd', $1, $1, $1, $2, 'activate'
		FROM tenants WHERE name LIKE 'bench-due-%'`,
		dueCurrent: `UPDATE tenants SET current_credential_id =
		(SELECT id FROM credentials c WHERE c.tenant_id = tenants.id) WHERE name LIKE 'bench-due-%'`,
	}
	// PostgreSQL: generate_series, bigint casts where a parameter's type
	// would be unknown, sha256 for a 32-byte hash (no extension needed).
	seedPostgres = seedSQL{
		fillerCredentials: `INSERT INTO credentials (tenant_id, status, access_key, secret_hash,
			access_last4, secret_last4, created_at, changed_at, due_at, deadline_at, deactivated_at)
		SELECT $2::bigint, CASE i % 3 WHEN 0 THEN 'activation_failed' WHEN 1 THEN 'deactivation_failed' ELSE 'deactivated' END,
			'ESPAKFILL' || lpad(i::text, 20, '0'), sha256(int8send(i)), right(lpad(i::text, 4, '0'), 4), 'abcd',
			$3::bigint - i * 1000000000, $3::bigint - i * 1000000000, NULL, NULL,
			CASE i % 3 WHEN 2 THEN $3::bigint END
		FROM generate_series(1, $1::bigint) AS n(i)`,
		dueTenants: `INSERT INTO tenants (name, public_api, created_at)
		SELECT 'bench-due-' || lpad(i::text, 6, '0'), TRUE, $2::bigint FROM generate_series(1, $1::bigint) AS n(i)`,
		dueCredentials: `INSERT INTO credentials (tenant_id, status, access_key, secret_hash,
			access_last4, secret_last4, created_at, changed_at, due_at, deadline_at, pending_action)
		SELECT id, 'pending_activation', 'ESPAKDUE' || lpad(id::text, 21, '0'), sha256(int8send(id)), 'abcd', 'abcd',
			$1::bigint, $1::bigint, $1::bigint, $2::bigint, 'activate'
		FROM tenants WHERE name LIKE 'bench-due-%'`,
		// A join, not a subquery a tenant: the statistics, taken before the
		// due rows, say every credential is the filler tenant's, and a
		// subquery would scan them all for each due tenant.
		dueCurrent: `UPDATE tenants t SET current_credential_id = c.id FROM credentials c
		WHERE c.tenant_id = t.id AND t.name LIKE 'bench-due-%'`,
	}
)

func seedOf(st *store.Store) seedSQL {
	if st.Postgres() {
		return seedPostgres
	}
	return seedSQLite
}

// insertFillerCredentials adds n credentials to a new tenant, none of them
// due, in one transaction.
func insertFillerCredentials(ctx context.Context, st *store.Store, n int, now time.Time) error {
	tx, err := st.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var tenant int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO tenants (name, public_api, created_at) VALUES ('bench-filler', TRUE, $1) RETURNING id`,
		now.UnixNano()).Scan(&tenant); err != nil {
		return fmt.Errorf("filler tenant: %w", err)
	}
	if _, err := tx.ExecContext(ctx, seedOf(st).fillerCredentials, n, tenant, now.UnixNano()); err != nil {
		return fmt.Errorf("filler credentials: %w", err)
	}
	return tx.Commit()
}

// insertDueActivations adds n tenants, each with one credential in Pending
// Activation due now (the state Generate leaves), in one transaction.
func insertDueActivations(ctx context.Context, st *store.Store, n int, now time.Time) error {
	tx, err := st.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ns := now.UnixNano()
	seed := seedOf(st)
	if _, err := tx.ExecContext(ctx, seed.dueTenants, n, ns); err != nil {
		return fmt.Errorf("due tenants: %w", err)
	}
	if _, err := tx.ExecContext(ctx, seed.dueCredentials, ns, ns+int64(24*time.Hour)); err != nil {
		return fmt.Errorf("due credentials: %w", err)
	}
	if _, err := tx.ExecContext(ctx, seed.dueCurrent); err != nil {
		return fmt.Errorf("due tenants' current credential: %w", err)
	}
	return tx.Commit()
}
