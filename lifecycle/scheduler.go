package lifecycle

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Scheduler moves credentials through their pending statuses, and does the
// housekeeping (expired tokens and sessions). All of its state lives in
// rows (due and deadline times, the last purge and housekeeping times), so
// a restart picks up where the last process stopped.
type Scheduler struct {
	store     SchedulerStore
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
	// Observer, when set, hears of each claim and each activator call.
	Observer SchedulerObserver
	// HousekeepEvery is how often the expired tokens and sessions are
	// deleted (once a period across all schedulers on the database).
	HousekeepEvery time.Duration
	// beats, when set, replaces the heartbeat's ticker, and renewed is
	// called after each renewal (export_test.go).
	beats   <-chan time.Time
	renewed func()
	// housekept is the last housekeeping time this scheduler knows of, so
	// that the ticks in between need not read it.
	housekeptMu sync.Mutex
	housekept   time.Time
}

// NewScheduler returns a scheduler; now is the clock Run uses.
func NewScheduler(st SchedulerStore, act Activator, cfg Config, log *slog.Logger, now func() time.Time) *Scheduler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{store: st, activator: act, cfg: cfg.withDefaults(), log: log, now: now,
		Workers: 8, Batch: 1000, Actor: "scheduler", HousekeepEvery: time.Minute}
}

// purgeJob names the purge among the periodic jobs.
const purgeJob = "last_purge_at"

// TickResult counts what one tick did.
type TickResult struct {
	Activated, Deactivated, Failed, Retried, Purged int
	// ExpiredTokens and ExpiredSessions were deleted by the housekeeping.
	ExpiredTokens, ExpiredSessions int
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

// Tick does all work due at now: the weekly purge, every due activation
// and deactivation, then the housekeeping when its period has passed.
func (s *Scheduler) Tick(ctx context.Context, now time.Time) (TickResult, error) {
	var res TickResult
	now = now.UTC()
	// A tick's later groups of calls start after the earlier ones have
	// taken their time: each group's leases, call deadlines and retry times
	// count from its own start, the tick's time plus the time gone since.
	started := s.now()
	at := func() time.Time { return now.Add(max(s.now().Sub(started), 0)) }
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
		waiting, err := s.work(ctx, now, at, due, &res)
		if err != nil {
			return res, err
		}
		// Credentials left waiting stay due: a batch of nothing else would
		// be fetched again and again.
		if len(due) < s.Batch || waiting == len(due) {
			break
		}
	}
	res.ExpiredTokens, res.ExpiredSessions, err = s.maybeHousekeep(ctx, now)
	return res, err
}

// work handles one batch of due credentials: time-outs fail at once; the
// rest go to the activator a few at a time, each group claimed just before
// its calls so that no claim's lease runs out while it waits its turn.
// waiting counts the credentials left as they are, due still, for a later
// tick.
func (s *Scheduler) work(ctx context.Context, now time.Time, at func() time.Time, due []Credential, res *TickResult) (waiting int, err error) {
	var timedOut []move
	var live []Credential
	for _, c := range due {
		switch {
		case c.DeadlineAt.Before(now):
			// Pending for longer than its timeout: it has failed.
			if m, ok := s.outcome(c, OnTimeout, now, "timed out"); ok {
				timedOut = append(timedOut, m)
			}
		case c.DeadlineAt.Equal(now):
			// Pending for exactly its timeout: not yet failed, but with no
			// time left for a call. The next tick times it out.
			waiting++
		default:
			live = append(live, c)
		}
	}
	if err := s.apply(ctx, timedOut, res); err != nil {
		return waiting, err
	}
	group := max(s.Workers, 1) * 4
	for i := 0; i < len(live) && ctx.Err() == nil; i += group {
		if err := s.activateGroup(ctx, at(), live[i:min(i+group, len(live))], res); err != nil {
			return waiting, err
		}
	}
	return waiting, nil
}

// activateGroup claims a group of due credentials, passes the claimed ones
// to the activator and writes the results back in one transaction. While
// the calls run, a heartbeat renews the claims every third of the lease, so
// a slow call keeps its credential however long it takes (up to the
// credential's deadline) while a dead process's claims lapse within one
// lease. A claim that could not be renewed was taken over (or the
// credential changed): its call is cancelled and its outcome dropped. now
// is the group's start: its leases run from it.
func (s *Scheduler) activateGroup(ctx context.Context, now time.Time, group []Credential, res *TickResult) error {
	claims := make([]Claim, 0, len(group))
	byID := make(map[int64]Credential, len(group))
	for _, c := range group {
		claims = append(claims, Claim{CredentialID: c.ID, Status: c.Status, DueAt: c.DueAt, Until: s.leaseEnd(c, now)})
		byID[c.ID] = c
	}
	held, err := s.store.ClaimDue(ctx, claims)
	if err != nil {
		return err
	}
	if len(held) == 0 {
		return nil
	}
	calls := make([]call, len(held))
	for i, cl := range held {
		c := byID[cl.CredentialID]
		if s.Observer != nil {
			s.Observer.Claimed(max(now.Sub(c.DueAt), 0))
		}
		// A call may run as long as the credential's deadline allows; at
		// the deadline the credential times out anyway.
		callCtx, cancel := context.WithTimeout(ctx, c.DeadlineAt.Sub(now))
		calls[i] = call{cred: c, claim: cl, ctx: callCtx, cancel: cancel}
	}
	hbCtx, stopHeartbeat := context.WithCancel(ctx)
	hbDone := make(chan map[int64]bool, 1)
	go func() { hbDone <- s.heartbeat(hbCtx, calls) }()
	s.callActivator(calls)
	stopHeartbeat()
	lost := <-hbDone
	for _, c := range calls {
		c.cancel()
	}
	// Results are written even if ctx ends meanwhile: the activator has acted.
	wctx := context.WithoutCancel(ctx)
	var ms []move
	for _, o := range calls {
		c := o.cred
		s.observeCall(c, o.err, lost[c.ID])
		switch {
		case lost[c.ID]:
			// Another scheduler holds the credential now, or it changed:
			// whatever this call did is that holder's to find out.
			continue
		case o.err == nil:
			if m, ok := s.outcome(c, OnActivatorSucceeded, now, ""); ok {
				m.row.Claim = o.claim.Token // only while this claim still holds
				ms = append(ms, m)
			}
		case errors.Is(o.err, ErrPermanent):
			s.log.Warn("activator failed for good", "credential", c.ID, "status", c.Status, "err", o.err)
			if m, ok := s.outcome(c, OnActivatorFailed, now, o.err.Error()); ok {
				m.row.Claim = o.claim.Token
				ms = append(ms, m)
			}
		default:
			attempts := c.Attempts + 1
			next := now.Add(s.backoff(attempts))
			if next.After(c.DeadlineAt) {
				next = c.DeadlineAt
			}
			s.log.Warn("activator failed; will retry", "credential", c.ID, "status", c.Status, "attempt", attempts, "retry_at", next, "err", o.err)
			if err := s.store.Reschedule(wctx, o.claim, next); err != nil {
				return err
			}
			res.Retried++
		}
	}
	return s.apply(wctx, ms, res)
}

// observeCall tells the observer what came of credential c's call.
func (s *Scheduler) observeCall(c Credential, err error, lost bool) {
	if s.Observer == nil {
		return
	}
	result := CallRetried
	switch {
	case lost:
		result = CallAbandoned
	case err == nil:
		result = CallSucceeded
	case errors.Is(err, ErrPermanent):
		result = CallFailed
	}
	s.Observer.ActivatorCalled(c.PendingAction, result)
}

// leaseEnd is when a claim taken or renewed at now lapses: one lease on,
// but never after the credential's deadline.
func (s *Scheduler) leaseEnd(c Credential, now time.Time) time.Time {
	until := now.Add(s.cfg.Lease)
	if until.After(c.DeadlineAt) {
		until = c.DeadlineAt
	}
	return until
}

// call is one claimed credential's activator call and its outcome.
type call struct {
	cred   Credential
	claim  Claim
	ctx    context.Context
	cancel context.CancelFunc
	err    error
}

// heartbeat renews the claims of calls every third of the lease until ctx
// ends, cancels the call of each claim that no longer holds and returns
// their credential ids. A renewal that fails (the database busy, say) is
// tried again at the next beat; the lease leaves room for two misses.
func (s *Scheduler) heartbeat(ctx context.Context, calls []call) map[int64]bool {
	lost := map[int64]bool{}
	beats, stop := s.renewBeats(max(s.cfg.Lease/3, time.Millisecond))
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return lost
		case <-beats:
		}
		now := s.now().UTC()
		renew := make([]Claim, 0, len(calls))
		for _, c := range calls {
			if !lost[c.cred.ID] {
				cl := c.claim
				cl.Until = s.leaseEnd(c.cred, now)
				renew = append(renew, cl)
			}
		}
		gone, err := s.store.RenewClaims(ctx, renew)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("renewing claims failed; will try again", "claims", len(renew), "err", err)
		}
		for _, id := range gone {
			lost[id] = true
			for _, c := range calls {
				if c.cred.ID == id {
					c.cancel()
				}
			}
			s.log.Warn("claim lost to another scheduler or a change; its call is abandoned", "credential", id)
		}
		if s.renewed != nil {
			s.renewed()
		}
	}
}

// renewBeats ticks every interval; tests replace it to renew on demand.
func (s *Scheduler) renewBeats(every time.Duration) (<-chan time.Time, func()) {
	if s.beats != nil {
		return s.beats, func() {}
	}
	t := time.NewTicker(every)
	return t.C, t.Stop
}

// move is one due credential's transition, as the table gives it and as
// the store writes it.
type move struct {
	from Status
	tr   Transition
	row  CredentialWrite
}

// outcome is the move trigger t makes of due credential c; ok is false,
// and the credential left as it is, where t does not apply to its status.
func (s *Scheduler) outcome(c Credential, t Trigger, now time.Time, detail string) (m move, ok bool) {
	from := c.Status
	tr, ok := from.On(t)
	if !ok {
		s.log.Error("scheduler trigger does not apply to the credential's status", "credential", c.ID, "status", c.Status, "trigger", t)
		return move{}, false
	}
	if tr.Action == ActionRemoveFailedActivation && !s.activator.Remote() {
		tr.Action = ActionNone // nothing was provisioned outside ESP
	}
	return move{from: from, tr: tr, row: tr.write(c.ID, []Status{from}, now, s.cfg, s.Actor, detail)}, true
}

// apply writes moves in one transaction and counts those that took
// effect (a credential changed meanwhile, e.g. deactivated while
// activating, is skipped).
func (s *Scheduler) apply(ctx context.Context, ms []move, res *TickResult) error {
	if len(ms) == 0 {
		return nil
	}
	ts := make([]CredentialWrite, len(ms))
	for i, m := range ms {
		ts[i] = m.row
	}
	skipped, err := s.store.ApplyTransitions(ctx, ts)
	if err != nil && !errors.Is(err, ErrConflict) {
		return err
	}
	done := make(map[int]bool, len(skipped))
	for _, i := range skipped {
		done[i] = true
	}
	for i, m := range ms {
		if done[i] {
			continue
		}
		switch m.tr.To {
		case m.from: // the removal of a failed activation: no status change
			s.log.Info("failed activation removal", "credential", m.row.CredentialID, "outcome", m.tr.Audit)
			continue
		case Activated:
			res.Activated++
		case Deactivated:
			res.Deactivated++
		default:
			res.Failed++
		}
		s.log.Info("credential status changed", "credential", m.row.CredentialID, "to", m.tr.To)
	}
	return nil
}

// callActivator runs the calls, at most Workers at a time, and records
// each one's error.
func (s *Scheduler) callActivator(calls []call) {
	sem := make(chan struct{}, max(s.Workers, 1))
	var wg sync.WaitGroup
	for i := range calls {
		c := &calls[i]
		action := c.cred.PendingAction.Request()
		ev := Event{CredentialID: c.cred.ID, TenantID: c.cred.TenantID, AccessKey: c.cred.AccessKey, Action: action,
			IdempotencyKey: IdempotencyKey(c.cred.ID, c.cred.AccessKey, action), Attempt: c.cred.Attempts + 1}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := c.ctx.Err(); err != nil {
				c.err = err // its claim was lost while it waited its turn
				return
			}
			c.err = s.activator.Apply(c.ctx, ev)
		})
	}
	wg.Wait()
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
