package store

import (
	"context"
	"fmt"

	"esp/lifecycle"
)

// CredentialCounts is how many credentials the database holds in each
// status; a status no credential is in is absent. The metrics read it at scrape time, so every process serving
// the same database reports the same counts.
func (s *Store) CredentialCounts(ctx context.Context) (map[lifecycle.Status]int64, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT status, COUNT(*) FROM credentials GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("store: count credentials: %w", err)
	}
	defer rows.Close()
	counts := map[lifecycle.Status]int64{}
	for rows.Next() {
		var status string
		var n int64
		if err := rows.Scan(&status, &n); err != nil {
			return nil, fmt.Errorf("store: count credentials: %w", err)
		}
		counts[lifecycle.Status(status)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: count credentials: %w", err)
	}
	return counts, nil
}
