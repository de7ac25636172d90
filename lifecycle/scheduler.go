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
	// The outbox's sending, when Mail has set it up.
	outbox  OutboxStore
	mailer  Mailer
	mailCfg MailConfig
	mailObs MailObserver
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
	// Expired counts the credentials whose expiry this tick deactivated,
	// Reminded the expiry reminders it sent.
	Expired, Reminded int
	// ExpiredTokens and ExpiredSessions were deleted by the housekeeping.
	ExpiredTokens, ExpiredSessions int
	// The outbox's notices sent, retried later and given up.
	NoticesSent, NoticesRetried, NoticesGivenUp int
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
// and deactivation, the due notices, then the housekeeping when its
// period has passed.
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
	// Expired credentials are deactivated before the due work is read, so
	// that the activator takes them in this same tick.
	if err := s.expiryWork(ctx, now, &res); err != nil {
		return res, err
	}
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
	// The notices of this tick's transitions go out in the same tick.
	if err := s.sendNotices(ctx, now, &res); err != nil {
		return res, err
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
	return s.writeResults(context.WithoutCancel(ctx), now, calls, lost, res)
}

// writeResults writes what came of each call of a group started at now:
// the transition of an answer, or the next attempt's due time; a call
// whose claim was lost writes nothing.
func (s *Scheduler) writeResults(ctx context.Context, now time.Time, calls []call, lost map[int64]bool, res *TickResult) error {
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
			if err := s.store.Reschedule(ctx, o.claim, next); err != nil {
				return err
			}
			res.Retried++
		}
	}
	return s.apply(ctx, ms, res)
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

func (s *Scheduler) backoff(attempts int) time.Duration {
	d := s.cfg.RetryBase
	for i := 1; i < attempts && d < s.cfg.RetryMax; i++ {
		d *= 2
	}
	return min(d, s.cfg.RetryMax)
}
