package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strings"

	_ "modernc.org/sqlite" // the baselines' driver when sqlite3 is not installed
)

// scanBaseline is row 4's baseline without sqlite3: the query's rows read
// with a bare database/sql loop and written as CSV to nowhere.
func scanBaseline(ctx context.Context, dbPath, query string) (int64, error) {
	db, err := sql.Open("sqlite", "file:"+dbPath+"?mode=ro")
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

// importBaseline is row 6's baseline without sqlite3: the CSV read with
// encoding/csv and inserted into an empty table with 64-row INSERTs in
// one transaction.
func importBaseline(ctx context.Context, dbPath, csvPath string) error {
	f, err := os.Open(csvPath)
	if err != nil {
		return err
	}
	defer f.Close()
	db, err := sql.Open("sqlite", "file:"+dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	cols := strings.TrimSpace(planHeader)
	if _, err := db.ExecContext(ctx, `CREATE TABLE plan_rows (`+strings.ReplaceAll(cols, ",", " TEXT,")+` TEXT)`); err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	const batch = 64
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", 11), ",") + ")"
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO plan_rows VALUES `+strings.TrimSuffix(strings.Repeat(one+",", batch), ","))
	if err != nil {
		return err
	}
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil {
		return err
	}
	args := make([]any, 0, batch*11)
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
		if _, err := tx.ExecContext(ctx, `INSERT INTO plan_rows VALUES `+one, args[:11]...); err != nil {
			return err
		}
		args = args[11:]
	}
	return tx.Commit()
}
