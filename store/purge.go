package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"esp/lifecycle"
)

// The purge of Deactivated credentials, and the periodic runs of the
// scheduler's jobs (scheduler_state: each job's last run time).

// PurgeDeactivated deletes the credentials p names, with one audit row
// each, in one transaction, and reports how many it purged.
func (s *Store) PurgeDeactivated(ctx context.Context, p lifecycle.Purge) (int, error) {
	var n int
	err := s.Tx(ctx, func(tx *sql.Tx) (err error) {
		n, err = s.dialect.purge(ctx, tx, p)
		return err
	})
	return n, err
}

// PurgeOnSchedule is the scheduler's purge: it claims run and purges only
// if the claim holds, in one transaction. So two schedulers never purge
// twice in one period, and a failed purge leaves the last run unchanged
// for the next tick to try again.
func (s *Store) PurgeOnSchedule(ctx context.Context, run lifecycle.PeriodicRun, p lifecycle.Purge) (ran bool, n int, err error) {
	err = s.Tx(ctx, func(tx *sql.Tx) error {
		won, err := claimRun(ctx, tx, run)
		if err != nil || !won {
			return err // lost: another scheduler ran this period's purge
		}
		ran = true
		n, err = s.dialect.purge(ctx, tx, p)
		return err
	})
	if err != nil {
		return false, 0, err
	}
	return ran, n, nil
}

const lastRunQuery = `SELECT value FROM scheduler_state WHERE name = $1`

// LastRun is when the scheduler's periodic job last ran; zero when never.
func (s *Store) LastRun(ctx context.Context, job string) (time.Time, error) {
	var at int64
	err := s.stmts.lastRun.QueryRowContext(ctx, job).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, s.Reach(fmt.Errorf("store: last run of %s: %w", job, err))
	}
	return fromNanos(at), nil
}

// ClaimRun claims run (see lifecycle.PeriodicRun) and reports whether the
// claim held.
func (s *Store) ClaimRun(ctx context.Context, run lifecycle.PeriodicRun) (bool, error) {
	return claimRun(ctx, s.DB, run)
}

// claimRun sets the job's last run to run.At if it is still run.Last
// (zero: if the job never ran), with db (a pool or a transaction), and
// reports whether it did.
func claimRun(ctx context.Context, db querier, run lifecycle.PeriodicRun) (bool, error) {
	var res sql.Result
	var err error
	if run.Last.IsZero() {
		res, err = db.ExecContext(ctx, `INSERT INTO scheduler_state (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
			run.Job, run.At.UnixNano())
	} else {
		res, err = db.ExecContext(ctx, `UPDATE scheduler_state SET value = $1 WHERE name = $2 AND value = $3`,
			run.At.UnixNano(), run.Job, run.Last.UnixNano())
	}
	if err != nil {
		return false, fmt.Errorf("store: claim run of %s: %w", run.Job, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
