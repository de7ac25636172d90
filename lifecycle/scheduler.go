package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"esp/store"
)

// Scheduler moves credentials through their pending statuses. All of its
// state lives in rows (due and deadline times, the last purge time), so a
// restart picks up where the last process stopped.
type Scheduler struct {
	store     *store.Store
	activator Activator
	cfg       Config
	log       *slog.Logger
	now       func() time.Time
	// Workers bounds concurrent activator calls within one tick.
	Workers int
	// Batch is how many due credentials one query fetches.
	Batch int
	// Actor names the scheduler in the audit trail.
	Actor string
}

// NewScheduler returns a scheduler; now is the clock Run uses.
func NewScheduler(st *store.Store, act Activator, cfg Config, log *slog.Logger, now func() time.Time) *Scheduler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{store: st, activator: act, cfg: cfg.withDefaults(), log: log, now: now,
		Workers: 8, Batch: 1000, Actor: "scheduler"}
}

const lastPurgeKey = "last_purge_at"

// TickResult counts what one tick did.
type TickResult struct {
	Activated, Deactivated, Failed, Retried, Purged int
}

// Run ticks every interval until ctx ends; it returns after the tick in
// flight has finished.
func (s *Scheduler) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.Tick(ctx, s.now()); err != nil && ctx.Err() == nil {
			s.log.Error("scheduler tick failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick does all work due at now: the weekly purge, then every due
// activation and deactivation.
func (s *Scheduler) Tick(ctx context.Context, now time.Time) (TickResult, error) {
	var res TickResult
	now = now.UTC()
	n, err := s.maybePurge(ctx, now)
	if err != nil {
		return res, err
	}
	res.Purged = n
	for ctx.Err() == nil {
		due, err := s.store.DueCredentials(ctx, now, s.Batch)
		if err != nil {
			return res, err
		}
		if len(due) == 0 {
			break
		}
		if err := s.work(ctx, now, due, &res); err != nil {
			return res, err
		}
		if len(due) < s.Batch {
			break
		}
	}
	return res, nil
}

type outcome struct {
	cred store.Credential
	err  error
}

// work handles one batch of due credentials: time-outs fail at once; the
// rest are claimed, passed to the activator, and their results written back
// in one transaction.
func (s *Scheduler) work(ctx context.Context, now time.Time, due []store.Credential, res *TickResult) error {
	var ts []store.Transition
	var claims []store.Claim
	byID := make(map[int64]store.Credential, len(due))
	for _, c := range due {
		if !c.DeadlineAt.After(now) {
			ts = append(ts, s.failed(c, now, "timed out"))
			continue
		}
		until := now.Add(s.cfg.Lease)
		if until.After(c.DeadlineAt) {
			until = c.DeadlineAt
		}
		claims = append(claims, store.Claim{CredentialID: c.ID, Status: c.Status, DueAt: c.DueAt, Until: until})
		byID[c.ID] = c
	}
	won, err := s.store.ClaimDue(ctx, claims)
	if err != nil {
		return err
	}
	// Results are written even if ctx ends meanwhile: the activator has acted.
	wctx := context.WithoutCancel(ctx)
	for _, o := range s.callActivator(ctx, won, byID) {
		c := o.cred
		switch {
		case o.err == nil:
			ts = append(ts, s.succeeded(c, now))
		case errors.Is(o.err, ErrPermanent):
			s.log.Warn("activator failed for good", "credential", c.ID, "status", c.Status, "err", o.err)
			ts = append(ts, s.failed(c, now, o.err.Error()))
		default:
			attempts := c.Attempts + 1
			next := now.Add(s.backoff(attempts))
			if next.After(c.DeadlineAt) {
				next = c.DeadlineAt
			}
			s.log.Warn("activator failed; will retry", "credential", c.ID, "status", c.Status, "attempt", attempts, "retry_at", next, "err", o.err)
			if err := s.store.Reschedule(wctx, c.ID, c.Status, next); err != nil {
				return err
			}
			res.Retried++
		}
	}
	if len(ts) == 0 {
		return nil
	}
	skipped, err := s.store.ApplyTransitions(wctx, ts)
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return err
	}
	done := make(map[int]bool, len(skipped))
	for _, i := range skipped {
		done[i] = true
	}
	for i, t := range ts {
		if done[i] {
			continue // changed meanwhile, e.g. deactivated while activating
		}
		switch Status(t.To) {
		case Activated:
			res.Activated++
		case Deactivated:
			res.Deactivated++
		default:
			res.Failed++
		}
		s.log.Info("credential status changed", "credential", t.CredentialID, "to", t.To)
	}
	return nil
}

func (s *Scheduler) callActivator(ctx context.Context, ids []int64, byID map[int64]store.Credential) []outcome {
	out := make([]outcome, len(ids))
	workers := max(s.Workers, 1)
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i, id := range ids {
		c := byID[id]
		action := ActionActivate
		if Status(c.Status) == PendingDeactivation {
			action = ActionDeactivate
		}
		ev := Event{CredentialID: c.ID, TenantID: c.TenantID, AccessKey: c.AccessKey, Action: action,
			IdempotencyKey: fmt.Sprintf("esp-credential-%d-%s", c.ID, action), Attempt: c.Attempts + 1}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			// No call outlives the claim's lease, after which another
			// scheduler may take the credential over.
			cctx, cancel := context.WithTimeout(ctx, s.cfg.Lease)
			defer cancel()
			out[i] = outcome{cred: c, err: s.activator.Apply(cctx, ev)}
		}()
	}
	wg.Wait()
	return out
}

func (s *Scheduler) succeeded(c store.Credential, now time.Time) store.Transition {
	if Status(c.Status) == PendingDeactivation {
		return store.Transition{CredentialID: c.ID, From: strs(PendingDeactivation), To: string(Deactivated),
			At: now, Deactivated: true, Actor: s.Actor, Action: "confirm_deactivation"}
	}
	return store.Transition{CredentialID: c.ID, From: strs(PendingActivation), To: string(Activated),
		At: now, Actor: s.Actor, Action: "activate"}
}

func (s *Scheduler) failed(c store.Credential, now time.Time, why string) store.Transition {
	if Status(c.Status) == PendingDeactivation {
		return store.Transition{CredentialID: c.ID, From: strs(PendingDeactivation), To: string(DeactivationFailed),
			At: now, Actor: s.Actor, Action: "fail_deactivation", Detail: why}
	}
	return store.Transition{CredentialID: c.ID, From: strs(PendingActivation), To: string(ActivationFailed),
		At: now, Actor: s.Actor, Action: "fail_activation", Detail: why}
}

func (s *Scheduler) backoff(attempts int) time.Duration {
	d := s.cfg.RetryBase
	for i := 1; i < attempts && d < s.cfg.RetryMax; i++ {
		d *= 2
	}
	return min(d, s.cfg.RetryMax)
}

// maybePurge runs the purge when PurgeEvery has passed since the last one
// (or none has run). The last purge time is claimed with a conditional
// write, so two schedulers never purge twice in one period.
func (s *Scheduler) maybePurge(ctx context.Context, now time.Time) (int, error) {
	last, ok, err := s.store.SchedulerValue(ctx, lastPurgeKey)
	if err != nil {
		return 0, err
	}
	if ok && now.Sub(time.Unix(0, last)) < s.cfg.PurgeEvery {
		return 0, nil
	}
	won, err := s.store.SetSchedulerValueIf(ctx, lastPurgeKey, last, ok, now.UnixNano())
	if err != nil || !won {
		return 0, err
	}
	return s.Purge(ctx, now)
}

// Purge deletes credentials deactivated at least PurgeAfter before now,
// regardless of the weekly cadence (the `esp purge` command).
func (s *Scheduler) Purge(ctx context.Context, now time.Time) (int, error) {
	n, err := s.store.PurgeDeactivated(ctx, now.Add(-s.cfg.PurgeAfter), now, s.Actor)
	if err != nil {
		return 0, err
	}
	if n > 0 {
		s.log.Info("purged deactivated credentials", "count", n)
	}
	return n, nil
}
