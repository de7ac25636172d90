package store

import (
	"context"
	"database/sql"
	"errors"
	"esp/lifecycle"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// importBatch is how many rows one INSERT statement carries: one value a
// row, well under SQLite's limit of 32766 parameters.
const importBatch = 256

// planRowInsert is SQLite's INSERT of n rows into the plan, each its stored
// line (PostgreSQL imports with COPY). The plan id, an integer of ours, is
// written into the statement: one parameter fewer a row. Its parameters are
// anonymous ?s, which the driver binds without reading a name for each.
func planRowInsert(planID int64, n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO plan_rows (plan_id, line) VALUES `)
	id := strconv.FormatInt(planID, 10)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`(` + id + `,?)`)
	}
	return b.String()
}

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
		if s.pg {
			err = copyPlanRows(ctx, conn, &p, next)
		} else {
			err = insertPlanRows(ctx, tx, &p, next)
		}
		if err != nil {
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

// rowBatch is a slice of rows on its way from the reader to the database.
type rowBatch struct {
	rows []lifecycle.PlanRow
	err  error // what ended the input early (io.EOF is not an error)
}

// insertPlanRows writes rows in multi-row INSERTs of importBatch rows, which
// SQLite executes far faster than one statement per row. next runs in a
// goroutine of its own, so that reading and checking the input overlaps
// with SQLite's work; it is never called concurrently, and it has returned
// for good when insertPlanRows returns.
func insertPlanRows(ctx context.Context, tx *sql.Tx, p *lifecycle.Plan, next func(*lifecycle.PlanRow) error) error {
	full, err := tx.PrepareContext(ctx, planRowInsert(p.ID, importBatch))
	if err != nil {
		return fmt.Errorf("store: import plan: %w", err)
	}
	defer full.Close()

	const inFlight = 4
	batches := make(chan *rowBatch, inFlight)
	free := make(chan *rowBatch, inFlight+2)
	for range cap(free) {
		free <- &rowBatch{rows: make([]lifecycle.PlanRow, 0, importBatch)}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(batches)
		for {
			var b *rowBatch
			select {
			case b = <-free:
			case <-stop:
				return
			}
			b.rows, b.err = b.rows[:0], nil
			for len(b.rows) < importBatch {
				b.rows = append(b.rows, lifecycle.PlanRow{})
				if err := next(&b.rows[len(b.rows)-1]); err != nil {
					b.rows = b.rows[:len(b.rows)-1]
					if err != io.EOF {
						b.err = err
					}
					select {
					case batches <- b:
					case <-stop:
					}
					return
				}
			}
			select {
			case batches <- b:
			case <-stop:
				return
			}
		}
	})
	defer func() { close(stop); wg.Wait() }()

	args := make([]any, 0, importBatch)
	var lines []byte
	for b := range batches {
		if b.err != nil {
			return b.err
		}
		for i := range b.rows {
			r := &b.rows[i]
			summarise(p, r)
			lines = lifecycle.AppendPlanLine(lines[:0], r)
			args = append(args, string(lines))
		}
		p.Rows += int64(len(b.rows))
		var err error
		switch len(b.rows) {
		case 0:
		case importBatch:
			_, err = full.ExecContext(ctx, args...)
		default:
			_, err = tx.ExecContext(ctx, planRowInsert(p.ID, len(b.rows)), args...)
		}
		if err != nil {
			return fmt.Errorf("store: insert plan rows: %w", err)
		}
		args = args[:0]
		free <- b
	}
	return nil
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
// about a quarter of a megabyte of CSV for typical rows.
const lineChunk = 8192

// EachPlanChunk is EachPlanLine in bulk, for the CSV export: fn gets up to
// lineChunk rows at a time as one block of CSV lines (each with its line
// end) and how many rows it holds, so the export writes a block with one
// call. The bytes are valid only until fn returns; fn runs between queries.
func (s *Store) EachPlanChunk(ctx context.Context, planID int64, fn func(lines []byte, rows int) error) error {
	if s.pg {
		return s.eachPlanChunkPG(ctx, planID, fn)
	}
	buf := make([]byte, 0, lineChunk*128)
	after := int64(0)
	for {
		// The block's last id comes from the index alone, so the block itself
		// reads one column: the per-column work of the driver is most of an
		// export's cost.
		last, full, err := s.planBlockEnd(ctx, planID, after)
		if errors.Is(err, lifecycle.ErrNotFound) {
			return nil // no rows after the last block
		}
		if err != nil {
			return err
		}
		var n int
		buf, n, err = s.planLinesBetween(ctx, planID, after, last, buf[:0])
		if err != nil {
			return err
		}
		if n > 0 {
			if err := fn(buf, n); err != nil {
				return err
			}
		}
		if !full {
			return nil
		}
		after = last
	}
}

// planBlockEnd is the id of the last row of the plan's next block after
// after, and whether the block is full; ErrNotFound when no row is left.
func (s *Store) planBlockEnd(ctx context.Context, planID, after int64) (last int64, full bool, err error) {
	err = s.read.QueryRowContext(ctx, planBlockEnd, planID, after, lineChunk-1).Scan(&last, &full)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, lifecycle.ErrNotFound
	}
	if err != nil {
		return 0, false, fmt.Errorf("store: rows of plan %d: %w", planID, err)
	}
	return last, full, nil
}

// planBlockEnd finds the id of the row that ends the next block of
// lineChunk rows, or of the plan's last row when fewer are left (full is
// then false), from the (plan_id, id) index alone. No row comes back when
// none is left.
//
// Both lookups are index seeks: the block end steps lineChunk entries from
// after, and the plan's last row is one seek to the end of its range
// (ORDER BY id DESC LIMIT 1; max(id) with the range condition would walk
// the whole rest of the plan on every block).
const planBlockEnd = `SELECT coalesce(b.id, l.id), b.id IS NOT NULL
	FROM (SELECT id FROM plan_rows WHERE plan_id = $1 AND id > $2 ORDER BY id DESC LIMIT 1) l
	LEFT JOIN (SELECT id FROM plan_rows WHERE plan_id = $1 AND id > $2 ORDER BY id LIMIT 1 OFFSET $3) b ON true`

// planLinesBetween walks the table by rowid (the unary + keeps SQLite off the
// (plan_id, id) index, which would cost a second lookup per row); plan_id
// still filters, so rows of other plans in the range are skipped.
const planLinesBetween = `SELECT line FROM plan_rows WHERE id > $1 AND id <= $2 AND +plan_id = $3 ORDER BY id`

// planLinesBetween appends the plan's lines with ids in (after, last] to
// buf, each with its line end, and counts them.
//
// The block's query runs without the context's cancellation (or
// deadline): the SQLite driver watches a cancellable context on every row
// it steps, about a twentieth of a served export (BenchmarkEachPlanChunk).
// The walk still stops within a block of the context ending, since
// planBlockEnd, before every block, keeps the context. A block is
// lineChunk rows, a few milliseconds, as one import writes a plan's rows
// with consecutive ids; rows of other plans inside the range (a database
// written by other means) lengthen it by their number.
func (s *Store) planLinesBetween(ctx context.Context, planID, after, last int64, buf []byte) ([]byte, int, error) {
	rows, err := s.read.QueryContext(context.WithoutCancel(ctx), planLinesBetween, after, last, planID)
	if err != nil {
		return nil, 0, fmt.Errorf("store: rows of plan %d: %w", planID, err)
	}
	defer rows.Close()
	var line sql.RawBytes
	n := 0
	for rows.Next() {
		if err := rows.Scan(&line); err != nil {
			return nil, 0, fmt.Errorf("store: rows of plan %d: %w", planID, err)
		}
		buf = append(append(buf, line...), '\n')
		n++
	}
	return buf, n, rows.Err()
}
