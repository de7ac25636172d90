package lifecycle

import (
	"context"
	"slices"
	"time"
)

// The scheduler's part of expiry: reminders before a live credential
// expires, then, at its expiry, its deactivation through the activator,
// as an admin's Deactivate does. The credential already refuses to
// authenticate from that instant (Tokens); the scheduler makes the
// gateway and the status follow.

// The audit events of expiry: the reminders (one per number of days
// before) and the expiry itself, which the deactivation follows.
const (
	AuditRemindExpiry30 AuditEvent = "remind_expiry_30d"
	AuditRemindExpiry7  AuditEvent = "remind_expiry_7d"
	AuditRemindExpiry1  AuditEvent = "remind_expiry_1d"
	AuditExpire         AuditEvent = "expire"
)

// reminders are the reminders sent before a credential expires, by days
// before its expiry, with their audit events, largest first. A credential
// gets the reminders of the days it lived through: one generated for 30
// days gets those 7 and 1 day before; a reminder the scheduler missed (it
// was stopped) gives way to the next one due.
var reminders = []reminder{
	{30, AuditRemindExpiry30},
	{7, AuditRemindExpiry7},
	{1, AuditRemindExpiry1},
}

type reminder struct {
	days  int
	event AuditEvent
}

// ReminderDays are the reminders' days before the expiry, largest first.
func ReminderDays() []int {
	out := make([]int, len(reminders))
	for i, r := range reminders {
		out[i] = r.days
	}
	return out
}

// Expiring is a live credential with expiry work due: a reminder of Stage
// days before its expiry, or (Stage 0) its expiry.
type Expiring struct {
	CredentialID int64
	TenantID     int64
	AccessLast4  string
	ExpiresAt    time.Time
	Stage        int
}

// ExpiryReminder is one reminder sent: its row makes it once-only.
type ExpiryReminder struct {
	CredentialID int64
	Days         int
	At           time.Time
	While        []Status // sent only while the credential is in one of these
}

// ExpiryStore is the storage expiry needs of the scheduler's store.
type ExpiryStore interface {
	// ExpiringCredentials lists up to limit credentials in one of the
	// statuses live, with an expiry, that have work due at now: expired
	// (Stage 0), or within the smallest of days before expiry whose
	// reminder is not sent yet (nor any smaller one), that they were
	// created before. Soonest expiry first.
	ExpiringCredentials(ctx context.Context, now time.Time, days []int, live []Status, limit int) ([]Expiring, error)
	// RemindExpiry records r with its audit row a (which queues the
	// messages) in one transaction, unless r was sent before or the
	// credential is no longer in one of r.While: then it changes nothing
	// and reports false.
	RemindExpiry(ctx context.Context, r ExpiryReminder, a AuditEntry) (bool, error)
	// ExpireCredential writes the audit row a then the conditional write w
	// in one transaction, or nothing (false) when w does not apply.
	ExpireCredential(ctx context.Context, a AuditEntry, w CredentialWrite) (bool, error)
}

// expiryWork sends the reminders due at now and deactivates the live
// credentials that have expired, one batch a tick. Each is written once,
// across schedulers and restarts, by the store's conditions.
func (s *Scheduler) expiryWork(ctx context.Context, now time.Time, res *TickResult) error {
	due, err := s.store.ExpiringCredentials(ctx, now, ReminderDays(), OnDeactivate.From(), s.Batch)
	if err != nil {
		return err
	}
	for _, e := range due {
		a := AuditEntry{At: now, TenantID: e.TenantID, CredentialID: e.CredentialID, AccessLast4: e.AccessLast4,
			Actor: s.Actor, Detail: FormatExpiry(e.ExpiresAt)}
		if e.Stage == 0 {
			err = s.expire(ctx, now, e, a, res)
		} else {
			err = s.remind(ctx, now, e, a, res)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// expire writes the expiry of e, audited as a, and the deactivation it
// requests, unless e changed meanwhile.
func (s *Scheduler) expire(ctx context.Context, now time.Time, e Expiring, a AuditEntry, res *TickResult) error {
	a.Action = AuditExpire
	w := deactivation().write(e.CredentialID, OnDeactivate.From(), now, s.cfg, s.Actor, expiryReason(e.ExpiresAt))
	done, err := s.store.ExpireCredential(ctx, a, w)
	if done {
		res.Expired++
		s.log.Info("credential expired", "credential", e.CredentialID, "expires_at", e.ExpiresAt)
	}
	return err
}

// remind sends e's reminder of e.Stage days, audited as a, unless it was
// sent before.
func (s *Scheduler) remind(ctx context.Context, now time.Time, e Expiring, a AuditEntry, res *TickResult) error {
	i := slices.IndexFunc(reminders, func(r reminder) bool { return r.days == e.Stage })
	if i < 0 {
		return nil // no reminder of ours: the store answers only the days it was given
	}
	a.Action = reminders[i].event
	sent, err := s.store.RemindExpiry(ctx, ExpiryReminder{CredentialID: e.CredentialID, Days: e.Stage, At: now,
		While: OnDeactivate.From()}, a)
	if sent {
		res.Reminded++
	}
	return err
}

// expiryReason is the detail of the deactivation an expiry requests, as
// its notice gives the reason.
func expiryReason(expires time.Time) string {
	return "The credentials reached their expiry (" + FormatExpiry(expires) + ")."
}
