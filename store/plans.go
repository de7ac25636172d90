package store

import (
	"context"
	"database/sql"
	"errors"
	"esp/lifecycle"
	"fmt"
	"time"
)

// ImportPlan creates the plan name for the tenant and fills it with the rows
// next yields (next fills its argument and returns io.EOF after the last
// row), all in one transaction: any error from next, and any other failure,
// leaves the database unchanged. A name the tenant already uses is
// ErrConflict; an unknown tenant is ErrNotFound.
func (s *Store) ImportPlan(ctx context.Context, tenantID int64, name string, now time.Time, next func(*lifecycle.PlanRow) error) (lifecycle.Plan, error) {
	p := lifecycle.Plan{TenantID: tenantID, Name: name, CreatedAt: now}
	err := s.connTx(ctx, func(conn *sql.Conn, tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM tenants WHERE id = $1`, tenantID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: tenant %d: %w", tenantID, lifecycle.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: import plan: %w", err)
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO plans (tenant_id, name, created_at) VALUES ($1, $2, $3) RETURNING id`,
			tenantID, name, now.UnixNano()).Scan(&p.ID)
		if err != nil {
			return writeErr(err, "create plan", fmt.Sprintf("plan %q already exists", name))
		}
		if err := s.dialect.insertPlanRows(ctx, conn, tx, &p, next); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE plans SET row_count = $1, first_start = $2, last_start = $3, interval = $4 WHERE id = $5`,
			p.Rows, nullString(p.FirstStart), nullString(p.LastStart), p.Interval, p.ID)
		if err != nil {
			return fmt.Errorf("store: summarise plan: %w", err)
		}
		return nil
	})
	if err != nil {
		return lifecycle.Plan{}, err
	}
	return p, nil
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

const planColumns = `id, tenant_id, name, created_at, row_count, coalesce(first_start, ''), coalesce(last_start, ''), interval`

func scanPlan(row interface{ Scan(...any) error }) (lifecycle.Plan, error) {
	var p lifecycle.Plan
	var created int64
	if err := row.Scan(&p.ID, &p.TenantID, &p.Name, &created, &p.Rows, &p.FirstStart, &p.LastStart, &p.Interval); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return lifecycle.Plan{}, lifecycle.ErrNotFound
		}
		return lifecycle.Plan{}, err
	}
	p.CreatedAt = fromNanos(created)
	return p, nil
}

// Plans lists the tenant's plans in the order they were created. The
// answer may come from the read cache (readcache.go).
func (s *Store) Plans(ctx context.Context, tenantID int64) ([]lifecycle.Plan, error) {
	return s.cachedPlans(ctx, tenantID)
}

const plansQuery = `SELECT ` + planColumns + ` FROM plans WHERE tenant_id = $1 ORDER BY id`

func (s *Store) plans(ctx context.Context, tenantID int64) ([]lifecycle.Plan, error) {
	rows, err := s.stmts.plans.QueryContext(ctx, tenantID)
	if err != nil {
		return nil, fmt.Errorf("store: plans of tenant %d: %w", tenantID, err)
	}
	defer rows.Close()
	out := []lifecycle.Plan{}
	for rows.Next() {
		p, err := scanPlan(rows)
		if err != nil {
			return nil, fmt.Errorf("store: plans of tenant %d: %w", tenantID, err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

const tenantPlanQuery = `SELECT ` + planColumns + ` FROM plans WHERE id = $1 AND tenant_id = $2`

// TenantPlan finds one plan of the tenant; another tenant's plan is
// ErrNotFound, exactly like a plan that does not exist. The answer may
// come from the read cache (readcache.go): every change of the plans table
// bumps the counter.
func (s *Store) TenantPlan(ctx context.Context, tenantID, planID int64) (lifecycle.Plan, error) {
	return cached(s, ctx, &s.cache.plan, [2]int64{tenantID, planID}, func() (lifecycle.Plan, error) {
		return s.tenantPlan(ctx, tenantID, planID)
	})
}

func (s *Store) tenantPlan(ctx context.Context, tenantID, planID int64) (lifecycle.Plan, error) {
	p, err := scanPlan(s.stmts.tenantPlan.QueryRowContext(ctx, planID, tenantID))
	if err != nil {
		return lifecycle.Plan{}, fmt.Errorf("store: plan %d: %w", planID, err)
	}
	return p, nil
}

// PlanRowsAfter returns up to limit rows of the plan whose id is greater
// than afterID, in id order. Ids only grow, so paging by the last id seen
// returns every row once even while other plans are being imported.
func (s *Store) PlanRowsAfter(ctx context.Context, planID, afterID int64, limit int) ([]lifecycle.PlanRow, error) {
	return s.planRowsAfter(ctx, planID, afterID, limit, make([]lifecycle.PlanRow, 0, min(limit, 1024)))
}

const planLinesAfter = `SELECT id, line FROM plan_rows WHERE plan_id = $1 AND id > $2 ORDER BY id LIMIT $3`

func (s *Store) planRowsAfter(ctx context.Context, planID, afterID int64, limit int, out []lifecycle.PlanRow) ([]lifecycle.PlanRow, error) {
	rows, err := s.stmts.planLinesAfter.QueryContext(ctx, planID, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: rows of plan %d: %w", planID, err)
	}
	defer rows.Close()
	var line string
	for rows.Next() {
		out = append(out, lifecycle.PlanRow{})
		r := &out[len(out)-1]
		err := rows.Scan(&r.ID, &line)
		if err == nil {
			err = lifecycle.ParsePlanLine(line, r)
		}
		if err != nil {
			return nil, fmt.Errorf("store: row %d of plan %d: %w", r.ID, planID, err)
		}
	}
	return out, rows.Err()
}

// eachChunk is how many rows EachPlanRow reads per query.
const eachChunk = 1000

// EachPlanRow calls fn for every row of the plan in id order. It reads
// eachChunk rows per query and calls fn only between queries, so a slow
// consumer (a client downloading an export) never holds a database
// connection, and memory stays flat however many rows the plan has. A
// plan's rows never change after the import that created them, so the
// chunks add up to one consistent whole. An error from fn stops the walk
// and is returned.
func (s *Store) EachPlanRow(ctx context.Context, planID int64, fn func(r *lifecycle.PlanRow) error) error {
	chunk := make([]lifecycle.PlanRow, 0, eachChunk)
	after := int64(0)
	for {
		var err error
		chunk, err = s.planRowsAfter(ctx, planID, after, eachChunk, chunk[:0])
		if err != nil {
			return err
		}
		for i := range chunk {
			if err := fn(&chunk[i]); err != nil {
				return err
			}
		}
		if len(chunk) < eachChunk {
			return nil
		}
		after = chunk[len(chunk)-1].ID
	}
}

// lineChunk is how many stored lines one query of EachPlanChunk reads:
// about a quarter of a megabyte of CSV for typical rows. An export holds
// two such blocks (one written, the next read: eachPlanBlock).
const lineChunk = 4096

// EachPlanChunk walks the plan's stored lines for the CSV export: fn gets up to
// lineChunk rows at a time as one block of CSV lines (each with its line
// end) and how many rows it holds, so the export writes a block with one
// call. The bytes are valid only until fn returns; fn runs between queries.
func (s *Store) EachPlanChunk(ctx context.Context, planID int64, fn func(lines []byte, rows int) error) error {
	return s.dialect.eachPlanChunk(ctx, planID, fn)
}
