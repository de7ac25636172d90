package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"esp/lifecycle"
)

// Plan rows on SQLite: the import writes them in multi-row INSERTs, the
// export reads them a block at a time by rowid.

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

// rowBatch is a slice of rows on its way from the reader to the database.
type rowBatch struct {
	rows []lifecycle.PlanRow
	err  error // what ended the input early (io.EOF is not an error)
}

// insertPlanRows writes the rows in multi-row INSERTs of importBatch rows, which
// SQLite executes far faster than one statement per row. next runs in a
// goroutine of its own, so that reading and checking the input overlaps
// with SQLite's work; it is never called concurrently, and it has returned
// for good when insertPlanRows returns.
func (*sqliteDialect) insertPlanRows(ctx context.Context, _ *sql.Conn, tx *sql.Tx, p *lifecycle.Plan, next func(*lifecycle.PlanRow) error) error {
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
	wg.Go(func() { readBatches(next, batches, free, stop) })
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

// readBatches fills the free batches with the rows next yields and sends
// them on batches, until next ends (its last batch carries what ended it)
// or stop is closed; it closes batches.
func readBatches(next func(*lifecycle.PlanRow) error, batches chan<- *rowBatch, free <-chan *rowBatch, stop <-chan struct{}) {
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
}

// eachPlanChunk reads each block (readPlanBlock) while the one before is
// being written.
func (d *sqliteDialect) eachPlanChunk(ctx context.Context, planID int64, fn func(lines []byte, rows int) error) error {
	return eachPlanBlock(ctx, planID, d.readPlanBlock, fn)
}

// readPlanBlock reads a block in two queries: where the block ends, from
// the (plan_id, id) index, then its lines.
func (d *sqliteDialect) readPlanBlock(ctx context.Context, planID, after int64, b *planBlock) error {
	b.lines, b.rows, b.full = b.lines[:0], 0, false
	// The block's last id comes from the index alone, so the block itself
	// reads one column: the per-column work of the driver is most of an
	// export's cost.
	last, full, err := d.planBlockEnd(ctx, planID, after)
	if errors.Is(err, lifecycle.ErrNotFound) {
		return nil // no rows after the last block
	}
	if err != nil {
		return err
	}
	b.lines, b.rows, err = d.planLinesBetween(ctx, planID, after, last, b.lines)
	b.last, b.full = last, full
	return err
}

// planBlockEnd is the id of the last row of the plan's next block after
// after, and whether the block is full; ErrNotFound when no row is left.
func (d *sqliteDialect) planBlockEnd(ctx context.Context, planID, after int64) (last int64, full bool, err error) {
	err = d.read.QueryRowContext(ctx, planBlockEnd, planID, after, lineChunk-1).Scan(&last, &full)
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
func (d *sqliteDialect) planLinesBetween(ctx context.Context, planID, after, last int64, buf []byte) ([]byte, int, error) {
	rows, err := d.read.QueryContext(context.WithoutCancel(ctx), planLinesBetween, after, last, planID)
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
