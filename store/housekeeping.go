package store

import (
	"context"
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
