package lifecycle

import (
	"context"
	"errors"
	"sync"
	"time"
)

// The activator calls of a tick's claimed credentials: each runs while a
// heartbeat renews its claim (its lease), and is cancelled when the claim
// is lost.

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
