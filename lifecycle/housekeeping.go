package lifecycle

import (
	"context"
	"time"
)

// housekeepingJob names the housekeeping among the periodic jobs.
const housekeepingJob = "last_housekeeping_at"

// maybeHousekeep deletes the expired sessions, and the rate limits' rows
// that count nothing any more, when
// HousekeepEvery has passed since the last housekeeping, by any scheduler
// on the database (or none has run, or the clock went back past it). Its
// period is claimed with a conditional write, so one scheduler a period
// deletes; no request path deletes expired rows. Deleting is only cleanup:
// an expired session is refused by its times (the web admin's session
// check) whether or not its row is still there. Tokens have no rows.
func (s *Scheduler) maybeHousekeep(ctx context.Context, now time.Time) (sessions int, err error) {
	s.housekeptMu.Lock()
	defer s.housekeptMu.Unlock()
	if s.housekeepingRecent(now, s.housekept) {
		return 0, nil
	}
	last, err := s.store.LastRun(ctx, housekeepingJob)
	if err != nil {
		return 0, err
	}
	if !last.IsZero() {
		s.housekept = last
		if s.housekeepingRecent(now, s.housekept) {
			return 0, nil // another scheduler's
		}
	}
	won, err := s.store.ClaimRun(ctx, PeriodicRun{Job: housekeepingJob, Last: last, At: now})
	if err != nil || !won {
		return 0, err // lost: another scheduler has this period
	}
	s.housekept = now
	// A session is refused from the instant it has idled SessionIdle or
	// lived SessionMax; DeleteExpiredSessions deletes those seen or created
	// before its cutoffs, so they are one (nanosecond) tick later.
	idle, old := now.Add(-s.cfg.SessionIdle).Add(time.Nanosecond), now.Add(-s.cfg.SessionMax).Add(time.Nanosecond)
	if sessions, err = s.store.DeleteExpiredSessions(ctx, idle, old); err != nil {
		return 0, err
	}
	// The rate limits kept in the database forget the addresses whose
	// allowance is whole again.
	if _, err := s.store.DeleteStaleLimits(ctx, now); err != nil {
		return sessions, err
	}
	if sessions > 0 {
		s.log.Info("deleted expired sessions", "sessions", sessions)
	}
	return sessions, nil
}

// housekeepingRecent reports whether housekeeping at last leaves nothing
// to do at now.
func (s *Scheduler) housekeepingRecent(now, last time.Time) bool {
	since := now.Sub(last)
	return !last.IsZero() && since >= 0 && since < s.HousekeepEvery
}
