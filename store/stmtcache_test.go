package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"esp/store"
)

// The statement cache must not change results when the same query runs
// again while its rows are still open (nested on one connection, as in a
// transaction), nor when more distinct queries run than it keeps.
func TestStatementCacheNestedQueriesAndEviction(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.DB.ExecContext(ctx, `CREATE TABLE n (i INTEGER)`); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := st.DB.ExecContext(ctx, `INSERT INTO n (i) VALUES (?)`, i); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := st.DB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	const q = `SELECT i FROM n WHERE i >= ? ORDER BY i`
	outer, err := tx.QueryContext(ctx, q, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for outer.Next() {
		var i int
		if err := outer.Scan(&i); err != nil {
			t.Fatal(err)
		}
		inner, err := tx.QueryContext(ctx, q, i) // same text, outer rows still open
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for inner.Next() {
			n++
		}
		inner.Close()
		got = append(got, fmt.Sprintf("%d:%d", i, n))
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	outer.Close()
	if g, want := fmt.Sprint(got), "[0:3 1:2 2:1]"; g != want {
		t.Fatalf("nested results = %s, want %s", g, want)
	}
	for i := range 300 { // more distinct texts than the cache keeps
		var v int
		if err := tx.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d + count(*) FROM n`, i)).Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != i+3 {
			t.Fatalf("query %d = %d, want %d", i, v, i+3)
		}
	}
}

// Concurrent writers of one process all get through: the write gate queues
// them instead of leaving them to SQLite's busy handler.
func TestConcurrentWriteTransactionsAllCommit(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.DB.ExecContext(ctx, `CREATE TABLE w (g INTEGER, i INTEGER)`); err != nil {
		t.Fatal(err)
	}
	const writers, each = 16, 25
	errs := make(chan error, writers)
	for g := range writers {
		go func() {
			for i := range each {
				err := st.Tx(ctx, func(tx *sql.Tx) error {
					_, err := tx.ExecContext(ctx, `INSERT INTO w (g, i) VALUES (?, ?)`, g, i)
					return err
				})
				if err == nil {
					_, err = st.DB.ExecContext(ctx, `UPDATE w SET i = i WHERE g = ? AND i = ?`, g, i)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := st.DB.QueryRowContext(ctx, `SELECT count(*) FROM w`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != writers*each {
		t.Fatalf("rows = %d, want %d", n, writers*each)
	}
}
