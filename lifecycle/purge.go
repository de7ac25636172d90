package lifecycle

import (
	"context"
	"time"
)

// maybePurge runs the purge when PurgeEvery has passed since the last one
// (or none has run). The last purge time is claimed with a conditional
// write in the purge's own transaction, so two schedulers never purge twice
// in one period and a failed purge is retried at the next tick.
func (s *Scheduler) maybePurge(ctx context.Context, now time.Time) (int, error) {
	last, err := s.store.LastRun(ctx, purgeJob)
	if err != nil {
		return 0, err
	}
	if !last.IsZero() && now.Sub(last) < s.cfg.PurgeEvery {
		return 0, nil
	}
	_, n, err := s.store.PurgeOnSchedule(ctx, PeriodicRun{Job: purgeJob, Last: last, At: now}, s.purge(now))
	if n > 0 {
		s.log.Info("purged deactivated credentials", "count", n)
	}
	return n, err
}

// Purge deletes credentials deactivated at least PurgeAfter before now,
// regardless of the weekly cadence (the `esp purge` command).
func (s *Scheduler) Purge(ctx context.Context, now time.Time) (int, error) {
	n, err := s.store.PurgeDeactivated(ctx, s.purge(now))
	if err != nil {
		return 0, err
	}
	if n > 0 {
		s.log.Info("purged deactivated credentials", "count", n)
	}
	return n, nil
}

// purge is the purge at now: of the credentials deactivated PurgeAfter or
// longer before it.
func (s *Scheduler) purge(now time.Time) Purge {
	return Purge{Cutoff: now.Add(-s.cfg.PurgeAfter), At: now, Actor: s.Actor, Event: purgeAudit()}
}
