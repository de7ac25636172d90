package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"esp/lifecycle"
)

// Reach marks the errors that say the database cannot be reached, and
// only those, as lifecycle.ErrUnavailable.
func TestReachMarksOnlyErrorsOfAnUnreachableDatabase(t *testing.T) {
	ctx := context.Background()
	_, refused := pgconn.Connect(ctx, "postgres://esp@127.0.0.1:1/esp?sslmode=disable&connect_timeout=5")
	if refused == nil {
		t.Fatal("connected to port 1")
	}
	pg := func(code string) error {
		return fmt.Errorf("store: x: %w", &pgconn.PgError{Severity: "FATAL", Code: code})
	}
	s := &Store{}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", refused, true},
		{"admin shutdown 57P01", pg("57P01"), true},
		{"crash shutdown 57P02", pg("57P02"), true},
		{"cannot connect now 57P03", pg("57P03"), true},
		{"connection failure 08006", pg("08006"), true},
		{"unexpected EOF", fmt.Errorf("store: x: %w", io.ErrUnexpectedEOF), true},
		{"broken pipe", fmt.Errorf("store: x: %w", syscall.EPIPE), true},
		{"unique violation 23505", pg("23505"), false},
		{"query cancelled", fmt.Errorf("store: x: %w", context.Canceled), false},
		{"no rows", fmt.Errorf("store: x: %w", sql.ErrNoRows), false},
		{"not found", fmt.Errorf("store: x: %w", lifecycle.ErrNotFound), false},
	} {
		if got := errors.Is(s.Reach(tc.err), lifecycle.ErrUnavailable); got != tc.want {
			t.Errorf("%s: unavailable %v, want %v", tc.name, got, tc.want)
		}
	}
	if err := s.Reach(pg("57P01")); !errors.As(err, new(*pgconn.PgError)) {
		t.Errorf("the marked error %v lost its cause", err)
	}
}

// On SQLite, a database file that cannot be opened (its folder gone) is
// unavailable: Ping says so, and is fine again once the folder is back.
func TestPingFailsWhileTheSQLiteFileCannotBeOpened(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	s.read.SetMaxIdleConns(0) // each ping opens the file anew
	if err := os.Rename(dir, dir+".away"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o600); err != nil { // a file where the folder was
		t.Fatal(err)
	}
	if err := s.Ping(ctx); !errors.Is(err, lifecycle.ErrUnavailable) {
		t.Errorf("ping with the folder gone: %v, want lifecycle.ErrUnavailable", err)
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(dir+".away", dir); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("ping with the folder back: %v", err)
	}
}
