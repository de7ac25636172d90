package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"time"
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

// seedRows is the SQL of a numbers table 1..? used by the bulk inserts:
// one INSERT … SELECT from a recursive CTE writes a million rows without a
// million round trips through database/sql.
const seedRows = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) `

// insertFillerCredentials adds n credentials to a new tenant, none of them
// due: statuses that need no scheduler work (activation failed,
// deactivation failed, deactivated too recently to be purged), in one
// transaction.
func insertFillerCredentials(ctx context.Context, db *sql.DB, n int, now time.Time) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO tenants (name, public_api, created_at) VALUES ('bench-filler', 1, ?)`, now.UnixNano())
	if err != nil {
		return fmt.Errorf("filler tenant: %w", err)
	}
	tenant, _ := res.LastInsertId()
	ns := now.UnixNano()
	_, err = tx.ExecContext(ctx, seedRows+`INSERT INTO credentials (tenant_id, status, access_key, secret_hash,
		access_last4, secret_last4, created_at, changed_at, due_at, deadline_at, deactivated_at)
		SELECT ?, CASE i % 3 WHEN 0 THEN 'activation_failed' WHEN 1 THEN 'deactivation_failed' ELSE 'deactivated' END,
			printf('ESPAKFILL%020d', i), randomblob(32), substr(printf('%04d', i), -4), 'abcd',
			? - i * 1000000000, ? - i * 1000000000, NULL, NULL,
			CASE i % 3 WHEN 2 THEN ? ELSE NULL END
		FROM n`, n, tenant, ns, ns, ns)
	if err != nil {
		return fmt.Errorf("filler credentials: %w", err)
	}
	return tx.Commit()
}

// insertDueActivations adds n tenants, each with one credential in Pending
// Activation due now (the state Generate leaves), in one transaction.
func insertDueActivations(ctx context.Context, db *sql.DB, n int, now time.Time) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ns := now.UnixNano()
	if _, err := tx.ExecContext(ctx, seedRows+`INSERT INTO tenants (name, public_api, created_at)
		SELECT printf('bench-due-%06d', i), 1, ? FROM n`, n, ns); err != nil {
		return fmt.Errorf("due tenants: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO credentials (tenant_id, status, access_key, secret_hash,
		access_last4, secret_last4, created_at, changed_at, due_at, deadline_at, pending_action)
		SELECT id, 'pending_activation', printf('ESPAKDUE%021d', id), randomblob(32), 'abcd', 'abcd', ?, ?, ?, ?, 'activate'
		FROM tenants WHERE name LIKE 'bench-due-%'`, ns, ns, ns, ns+int64(24*time.Hour)); err != nil {
		return fmt.Errorf("due credentials: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tenants SET current_credential_id =
		(SELECT id FROM credentials c WHERE c.tenant_id = tenants.id) WHERE name LIKE 'bench-due-%'`); err != nil {
		return fmt.Errorf("due tenants' current credential: %w", err)
	}
	return tx.Commit()
}
