package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"esp/lifecycle"
)

// unreachable reports whether err says that the database cannot be
// reached for now, rather than that a statement failed: a connection
// refused or cut (io.EOF, broken pipe on a dead connection), a server
// shutting down or starting up (SQLSTATE 57P01, 57P02, 57P03, class 08),
// an SQLite file that cannot be opened or read. A cancelled or timed-out
// statement is not: its caller gave up.
func unreachable(err error) bool {
	var ce *pgconn.ConnectError
	var pe *pgconn.PgError
	var se *sqlite.Error
	var ne *net.OpError
	switch {
	case err == nil:
		return false
	case errors.As(err, &ce):
		return true
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	case errors.As(err, &pe):
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	case errors.As(err, &se):
		code := se.Code() & 0xff
		return code == sqlite3.SQLITE_CANTOPEN || code == sqlite3.SQLITE_IOERR
	}
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// unavailableError is an error that says the database cannot be reached:
// it is lifecycle.ErrUnavailable too.
type unavailableError struct{ err error }

func (e unavailableError) Error() string   { return e.err.Error() }
func (e unavailableError) Unwrap() []error { return []error{lifecycle.ErrUnavailable, e.err} }

// Reach is err, marked as lifecycle.ErrUnavailable when it says that the
// database cannot be reached for now (down, restarting, failing over, its
// file gone), so that it is answered "try again shortly" rather than as a
// failure; any other error is returned as it is. The store's errors keep
// the driver's error in their chain, which is what Reach reads: the HTTP
// server passes every error through it before mapping it to an answer.
func (s *Store) Reach(err error) error {
	if unreachable(err) && !errors.Is(err, lifecycle.ErrUnavailable) {
		return unavailableError{err}
	}
	return err
}

// pingTimeout bounds Ping when its context sets no sooner deadline.
const pingTimeout = 2 * time.Second

// Ping reports whether the database can be reached now, by reading one
// row of the migrations table on a reader connection.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	var one int
	err := s.read.QueryRowContext(ctx, `SELECT 1 FROM schema_migrations LIMIT 1`).Scan(&one)
	if err != nil {
		return fmt.Errorf("store: ping: %w", s.Reach(err))
	}
	return nil
}
