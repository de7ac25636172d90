package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the SQLite baselines' driver
)

// scanBaseline is row 4's baseline without the database's own tool: the
// query's rows read with a bare database/sql loop and written as CSV to
// nowhere. It returns how long that took (opening the pool included) and
// the rows read, as runSQLite3 and runPsqlCopyOut do for their tools.
func scanBaseline(ctx context.Context, d *database, query string) (time.Duration, int64, error) {
	t0 := time.Now()
	n, err := scanRows(ctx, d, query)
	return time.Since(t0), n, err
}

func scanRows(ctx context.Context, d *database, query string) (int64, error) {
	db, err := d.pool()
	if err != nil {
		return 0, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return 0, fmt.Errorf("baseline scan: %w", err)
	}
	defer rows.Close()
	w := bufio.NewWriterSize(io.Discard, 64<<10)
	var n int64
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		for i, v := range vals {
			if i > 0 {
				w.WriteByte(',')
			}
			w.Write(v)
		}
		w.WriteByte('\n')
		n++
	}
	return n, rows.Err()
}

// importBaseline is row 6's baseline without the database's own tool:
// the CSV read with encoding/csv and inserted into a new table with
// 64-row INSERTs in one transaction. The table is plan_rows in a new
// SQLite file at sqlitePath, or the named table in the run's PostgreSQL
// schema.
func importBaseline(ctx context.Context, d *database, sqlitePath, table, csvPath string) error {
	f, err := os.Open(csvPath)
	if err != nil {
		return err
	}
	defer f.Close()
	db, table, err := newBaselineTable(ctx, d, sqlitePath, table)
	if err != nil {
		return err
	}
	defer db.Close()
	return insertCSV(ctx, db, table, f, d.postgres())
}

// newBaselineTable creates the import baseline's table, plan_rows in a
// new SQLite file at sqlitePath or the named table in the run's PostgreSQL
// schema, and returns a one-connection pool and the table's name.
func newBaselineTable(ctx context.Context, d *database, sqlitePath, table string) (*sql.DB, string, error) {
	var db *sql.DB
	var err error
	if d.postgres() {
		db, err = d.pool()
	} else {
		table = "plan_rows"
		db, err = sql.Open("sqlite", "file:"+sqlitePath)
	}
	if err != nil {
		return nil, "", err
	}
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE `+table+` (`+planColumns+`)`); err != nil {
		db.Close()
		return nil, "", err
	}
	return db, table, nil
}

// insertCSV inserts the rows of the plan CSV in into table, after its
// header, with 64-row INSERTs (the last few rows one at a time) in one
// transaction.
func insertCSV(ctx context.Context, db *sql.DB, table string, in io.Reader, pg bool) error {
	const batch, cols = 64, 11
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO `+table+` VALUES `+valueLists(batch, cols, pg))
	if err != nil {
		return err
	}
	r := csv.NewReader(bufio.NewReaderSize(in, 1<<20))
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil {
		return err
	}
	args := make([]any, 0, batch*cols)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		for _, v := range rec {
			args = append(args, v)
		}
		if len(args) == cap(args) {
			if _, err := stmt.ExecContext(ctx, args...); err != nil {
				return err
			}
			args = args[:0]
		}
	}
	for len(args) > 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+table+` VALUES `+valueLists(1, cols, pg), args[:cols]...); err != nil {
			return err
		}
		args = args[cols:]
	}
	return tx.Commit()
}

// valueLists is n parenthesised lists of cols parameters: ? on SQLite
// (as this baseline always was), $1 on PostgreSQL.
func valueLists(n, cols int, pg bool) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j := range cols {
			if j > 0 {
				b.WriteByte(',')
			}
			if pg {
				b.WriteString("$" + strconv.Itoa(i*cols+j+1))
			} else {
				b.WriteByte('?')
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}
