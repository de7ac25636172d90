package lifecycle

import (
	"context"
	"errors"
	"time"
)

// MailConfig is how the scheduler sends the outbox's notices.
type MailConfig struct {
	RetryBase time.Duration // first retry delay after a failed send (1m)
	RetryMax  time.Duration // longest retry delay (1h)
	// GiveUpAfter is how long after it was queued a notice is still tried
	// (24h): the first failure once it has passed gives the notice up.
	GiveUpAfter time.Duration
	// Lease is how long a claimed notice is kept from other schedulers
	// (2m): longer than one send may take (the mailer's timeouts).
	Lease time.Duration
	Batch int // how many notices one claim takes (100)
}

func (c MailConfig) withDefaults() MailConfig {
	if c.RetryBase <= 0 {
		c.RetryBase = time.Minute
	}
	if c.RetryMax <= 0 {
		c.RetryMax = time.Hour
	}
	if c.GiveUpAfter <= 0 {
		c.GiveUpAfter = 24 * time.Hour
	}
	if c.Lease <= 0 {
		c.Lease = 2 * time.Minute
	}
	if c.Batch <= 0 {
		c.Batch = 100
	}
	return c
}

// Mail makes the scheduler send the notices of outbox with mailer, each
// tick, after the credentials' work.
func (s *Scheduler) Mail(outbox OutboxStore, mailer Mailer, cfg MailConfig, obs MailObserver) {
	s.outbox, s.mailer, s.mailCfg, s.mailObs = outbox, mailer, cfg.withDefaults(), obs
}

// sendNotices claims the due notices, a batch at a time, and sends them
// one after another: a mail server is one connection's worth of work, and
// nothing waits for it but the next tick.
func (s *Scheduler) sendNotices(ctx context.Context, now time.Time, res *TickResult) error {
	if s.mailer == nil {
		return nil
	}
	for ctx.Err() == nil {
		at := s.now().UTC()
		if at.Before(now) {
			at = now
		}
		leaseEnd := at.Add(s.mailCfg.Lease)
		batch, err := s.outbox.ClaimNotices(ctx, now, leaseEnd, s.mailCfg.Batch)
		if err != nil || len(batch) == 0 {
			return err
		}
		for _, n := range batch {
			// A send may take Lease/2; with less left, another server may
			// claim the rest of the batch before this one is done, and both
			// would send it. They are left to the next claim, after the lease.
			if s.now().After(leaseEnd.Add(-s.mailCfg.Lease / 2)) {
				return nil
			}
			if err := s.sendNotice(ctx, now, n, res); err != nil {
				return err
			}
		}
		if len(batch) < s.mailCfg.Batch {
			return nil
		}
	}
	return nil
}

// sendNotice sends n and writes what came of it: sent or given up, the row
// goes; otherwise it is due again after the backoff.
func (s *Scheduler) sendNotice(ctx context.Context, now time.Time, n Notice, res *TickResult) error {
	if n.Attempts == 1 {
		s.observeMail(MailObserver.NoticeQueued)
	}
	sendCtx, cancel := context.WithTimeout(ctx, s.mailCfg.Lease/2)
	err := s.mailer.Send(sendCtx, n)
	cancel()
	// The server has answered: write it down (persist), or the notice
	// would be sent again once its claim lapsed.
	finish := func(ctx context.Context) error { return s.outbox.FinishNotice(ctx, n) }
	if err == nil {
		res.NoticesSent++
		s.observeMail(MailObserver.NoticeSent)
		return s.persist(ctx, finish)
	}
	next := now.Add(mailBackoff(s.mailCfg, n.Attempts))
	if errors.Is(err, ErrPermanent) || now.Sub(n.QueuedAt) >= s.mailCfg.GiveUpAfter {
		s.log.Error("notice given up", "notice", n.ID, "audit", n.AuditID, "to", n.To, "attempts", n.Attempts,
			"event", n.Event, "err", err)
		res.NoticesGivenUp++
		s.observeMail(MailObserver.NoticeGivenUp)
		return s.persist(ctx, finish)
	}
	s.log.Warn("notice not sent; will retry", "notice", n.ID, "to", n.To, "attempt", n.Attempts,
		"retry_at", next, "err", err)
	res.NoticesRetried++
	s.observeMail(MailObserver.NoticeRetried)
	return s.persist(ctx, func(ctx context.Context) error { return s.outbox.RetryNotice(ctx, n, next) })
}

func (s *Scheduler) observeMail(f func(MailObserver)) {
	if s.mailObs != nil {
		f(s.mailObs)
	}
}

// mailBackoff is the delay after the attempts-th failed send: RetryBase,
// doubling up to RetryMax.
func mailBackoff(c MailConfig, attempts int) time.Duration {
	d := c.RetryBase
	for i := 1; i < attempts && d < c.RetryMax; i++ {
		d *= 2
	}
	return min(d, c.RetryMax)
}
