package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"esp/lifecycle"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Plan rows on PostgreSQL move by COPY: the import streams the stored lines
// in with COPY FROM inside the import's transaction, and the export reads
// each block of lines with COPY TO in the binary format, which carries
// every line's bytes exactly as stored (the text and CSV formats escape or
// quote some).

// withPGConn runs fn with the pgx connection under conn.
func withPGConn(conn *sql.Conn, fn func(c *pgx.Conn) error) error {
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: not a PostgreSQL connection: %T", dc)
		}
		return fn(sc.Conn())
	})
}

// planRowSource feeds COPY FROM: each row next yields, as (plan id, stored
// line), summarised into p as it goes. It is used by one goroutine at a
// time (pgx's), and err keeps what ended the input early.
type planRowSource struct {
	next func(*lifecycle.PlanRow) error
	p    *lifecycle.Plan
	row  lifecycle.PlanRow
	line []byte
	vals [2]any
	err  error
}

func (r *planRowSource) Next() bool {
	r.row = lifecycle.PlanRow{}
	if err := r.next(&r.row); err != nil {
		if err != io.EOF {
			r.err = err
		}
		return false
	}
	summarise(r.p, &r.row)
	r.line = lifecycle.AppendPlanLine(r.line[:0], &r.row)
	r.vals = [2]any{r.p.ID, string(r.line)}
	r.p.Rows++
	return true
}

func (r *planRowSource) Values() ([]any, error) { return r.vals[:], nil }
func (r *planRowSource) Err() error             { return r.err }

// insertPlanRows writes the rows with COPY FROM on conn, inside the
// transaction open on it. An error of next is returned as it is (the
// server only hears that the COPY failed).
func (postgresDialect) insertPlanRows(ctx context.Context, conn *sql.Conn, _ *sql.Tx, p *lifecycle.Plan, next func(*lifecycle.PlanRow) error) error {
	src := &planRowSource{next: next, p: p}
	err := withPGConn(conn, func(c *pgx.Conn) error {
		_, err := c.CopyFrom(ctx, pgx.Identifier{"plan_rows"}, []string{"plan_id", "line"}, src)
		return err
	})
	if src.err != nil {
		return src.err
	}
	if err != nil {
		return fmt.Errorf("store: insert plan rows: %s", describePG(err))
	}
	return nil
}

// eachPlanChunk reads each block (readPlanBlock) while the one before is
// being written.
func (d postgresDialect) eachPlanChunk(ctx context.Context, planID int64, fn func(lines []byte, rows int) error) error {
	return eachPlanBlock(ctx, planID, d.readPlanBlock, fn)
}

// readPlanBlock reads a block with one COPY TO, on a connection held only
// while the block is read.
func (d postgresDialect) readPlanBlock(ctx context.Context, planID, after int64, b *planBlock) error {
	b.raw.Reset()
	// COPY takes no parameters; both numbers are ours.
	q := fmt.Sprintf(`COPY (SELECT id, line FROM plan_rows WHERE plan_id = %d AND id > %d ORDER BY id LIMIT %d)
		TO STDOUT (FORMAT binary)`, planID, after, lineChunk)
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: rows of plan %d: %w", planID, err)
	}
	err = withPGConn(conn, func(c *pgx.Conn) error {
		_, err := c.PgConn().CopyTo(ctx, b.raw, q)
		return err
	})
	conn.Close()
	if err != nil {
		return fmt.Errorf("store: rows of plan %d: %s", planID, describePG(err))
	}
	b.lines, b.rows, b.last, err = appendCopiedLines(b.lines[:0], b.raw.Bytes())
	if err != nil {
		return fmt.Errorf("store: rows of plan %d: %w", planID, err)
	}
	b.full = b.rows == lineChunk
	return nil
}

var errBadCopy = errors.New("unexpected COPY data")

// copySignature starts COPY's binary format.
const copySignature = "PGCOPY\n\377\r\n\000"

// appendCopiedLines appends to buf each line of data, the binary COPY of
// (id bigint, line text) tuples, with its line end; it returns how many it
// read and the last id.
func appendCopiedLines(buf, data []byte) ([]byte, int, int64, error) {
	if len(data) < len(copySignature)+8 || string(data[:len(copySignature)]) != copySignature {
		return nil, 0, 0, errBadCopy
	}
	data = data[len(copySignature)+4:] // the flags
	ext := binary.BigEndian.Uint32(data)
	if uint64(len(data)) < 4+uint64(ext) {
		return nil, 0, 0, errBadCopy
	}
	data = data[4+ext:]
	var n int
	var last int64
	for {
		if len(data) < 2 {
			return nil, 0, 0, errBadCopy
		}
		fields := int16(binary.BigEndian.Uint16(data))
		data = data[2:]
		if fields == -1 {
			return buf, n, last, nil
		}
		// id: a length of 8 and the bigint; line: its length and bytes.
		if fields != 2 || len(data) < 4+8+4 || binary.BigEndian.Uint32(data) != 8 {
			return nil, 0, 0, errBadCopy
		}
		last = int64(binary.BigEndian.Uint64(data[4:]))
		size := int32(binary.BigEndian.Uint32(data[12:]))
		data = data[16:]
		if size < 0 || int(size) > len(data) {
			return nil, 0, 0, errBadCopy
		}
		buf = append(append(buf, data[:size]...), '\n')
		data = data[size:]
		n++
	}
}

// summarise adds row r to the summary of plan p: its first and last
// interval start and its interval ("mixed" once rows differ).
func summarise(p *lifecycle.Plan, r *lifecycle.PlanRow) {
	if p.FirstStart == "" || r.IntervalStart < p.FirstStart {
		p.FirstStart = r.IntervalStart
	}
	if r.IntervalStart > p.LastStart {
		p.LastStart = r.IntervalStart
	}
	switch {
	case p.Interval == "":
		p.Interval = r.Interval
	case p.Interval != r.Interval:
		p.Interval = "mixed"
	}
}
