package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// The scheduler's housekeeping: expired tokens and sessions are refused by
// their times on every request, and deleted here, off the request paths.

// DeleteExpiredTokens removes the tokens expired by now (those that
// Authenticate refuses), and reports how many.
func (s *Store) DeleteExpiredTokens(ctx context.Context, now time.Time) (int, error) {
	res, err := s.stmts.deleteExpiredTokens.ExecContext(ctx, now.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("store: delete expired tokens: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// ClaimSchedulerSlot sets the scheduler fact name to now if it still holds
// last (with lastOK false: if it is still unset), and reports whether it
// did. Of the schedulers that read the same last value, exactly one wins
// the period that value opened.
func (s *Store) ClaimSchedulerSlot(ctx context.Context, name string, last int64, lastOK bool, now time.Time) (bool, error) {
	var res sql.Result
	var err error
	if lastOK {
		res, err = s.DB.ExecContext(ctx, `UPDATE scheduler_state SET value = $1 WHERE name = $2 AND value = $3`,
			now.UnixNano(), name, last)
	} else {
		res, err = s.DB.ExecContext(ctx, `INSERT INTO scheduler_state (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
			name, now.UnixNano())
	}
	if err != nil {
		return false, fmt.Errorf("store: set scheduler state %s: %w", name, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
