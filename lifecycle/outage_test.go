package lifecycle_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"esp/lifecycle"
)

// downFor is the scheduler's store while the database cannot be reached
// for the first writes of an activation's outcome.
type downFor struct {
	lifecycle.SchedulerStore
	failures, tries int
}

func (d *downFor) ApplyTransitions(ctx context.Context, ws []lifecycle.CredentialWrite) ([]int, error) {
	if d.tries++; d.tries <= d.failures {
		return nil, fmt.Errorf("store: begin: connection refused: %w", lifecycle.ErrUnavailable)
	}
	return d.SchedulerStore.ApplyTransitions(ctx, ws)
}

// countingActivator succeeds and counts its calls; then, when set, runs
// after each.
type countingActivator struct {
	calls atomic.Int32
	then  func()
}

func (*countingActivator) Remote() bool { return true }
func (a *countingActivator) Apply(context.Context, lifecycle.Event) error {
	a.calls.Add(1)
	if a.then != nil {
		a.then()
	}
	return nil
}

// An activation the activator answered while the database could not be
// reached is written once the database is back, in the same tick: the
// activator is not called again.
func TestActivationAnsweredDuringAnOutageIsWrittenWhenTheDatabaseIsBack(t *testing.T) {
	act := &countingActivator{}
	f := newFixture(t, act, lifecycle.Config{})
	f.generate(t)
	down := &downFor{SchedulerStore: f.store, failures: 2}
	f.sched = lifecycle.NewScheduler(down, act, lifecycle.Config{}, nil, f.clock.Now)
	res := f.tick(t)
	if got := f.status(t); got != lifecycle.Activated || res.Activated != 1 {
		t.Fatalf("status %s, %d activated; want Activated, 1", got, res.Activated)
	}
	if act.calls.Load() != 1 || down.tries != 3 {
		t.Fatalf("%d activator calls, %d writes; want 1 call, and its outcome written on the third try", act.calls.Load(), down.tries)
	}
}

// A scheduler stopped while the database is down stops trying: the
// outcome is left to the claim's lapse.
func TestOutcomeWritesStopWithTheScheduler(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	act := &countingActivator{then: stop}
	f := newFixture(t, act, lifecycle.Config{})
	f.generate(t)
	down := &downFor{SchedulerStore: f.store, failures: 1 << 30}
	sched := lifecycle.NewScheduler(down, act, lifecycle.Config{}, nil, f.clock.Now)
	if _, err := sched.Tick(ctx, f.clock.Now()); err == nil {
		t.Fatal("a tick stopped while the database was down reported no error")
	}
	if got := f.status(t); got != lifecycle.PendingActivation || down.tries < 1 {
		t.Fatalf("status %s after %d writes; want Pending Activation, left as it was", got, down.tries)
	}
}

// outboxDownFor is the outbox while the database cannot be reached for the
// first writes of what came of a send.
type outboxDownFor struct {
	lifecycle.OutboxStore
	failures, tries int
}

func (o *outboxDownFor) FinishNotice(ctx context.Context, n lifecycle.Notice) error {
	if o.tries++; o.tries <= o.failures {
		return fmt.Errorf("store: finish notice: connection refused: %w", lifecycle.ErrUnavailable)
	}
	return o.OutboxStore.FinishNotice(ctx, n)
}

// countingMailer accepts every notice and counts them by outbox row.
type countingMailer struct{ sent map[int64]int }

func (m *countingMailer) Send(_ context.Context, n lifecycle.Notice) error {
	m.sent[n.ID]++
	return nil
}

// A notice the mail server accepted while the database could not be
// reached is marked sent once the database is back: it is sent once.
func TestNoticeSentDuringAnOutageIsSentOnce(t *testing.T) {
	f := newFixture(t, nil, lifecycle.Config{})
	f.store.NotifyOn(lifecycle.NoticeEvents())
	if _, err := f.accounts.CreateUser(context.Background(), lifecycle.NewUser{Tenant: "acme", Username: "alice",
		Password: "alice-password", Email: "alice@acme.test", Admin: true}); err != nil {
		t.Fatal(err)
	}
	f.generate(t)
	outbox := &outboxDownFor{OutboxStore: f.store, failures: 2}
	mailer := &countingMailer{sent: map[int64]int{}}
	f.sched.Mail(outbox, mailer, lifecycle.MailConfig{}, nil)
	res := f.tick(t)
	// The Generated and the Activated notice, each sent once.
	if len(mailer.sent) != 2 || res.NoticesSent != 2 {
		t.Fatalf("sent %v (%d counted), want 2 notices", mailer.sent, res.NoticesSent)
	}
	for id, n := range mailer.sent {
		if n != 1 {
			t.Errorf("notice %d sent %d times", id, n)
		}
	}
	var left int
	if err := f.store.DB.QueryRow(`SELECT count(*) FROM outbox`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d notices left in the outbox (%v), want none", left, err)
	}
}
