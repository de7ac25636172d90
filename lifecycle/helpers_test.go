package lifecycle_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"esp/lifecycle"
	"esp/store"
	"esp/store/storetest"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is a store on a fresh database of the tests' backend with one
// tenant and a service, scheduler and accounts on a fake clock.
type fixture struct {
	db       *storetest.Database
	dir      string // the SQLite database's folder ("" on PostgreSQL)
	store    *store.Store
	clock    *fakeClock
	svc      *lifecycle.Service
	sched    *lifecycle.Scheduler
	accounts *lifecycle.Accounts
	tenant   lifecycle.Tenant
}

func newFixture(tb testing.TB, act lifecycle.Activator, cfg lifecycle.Config) *fixture {
	tb.Helper()
	return newFixtureOn(tb, storetest.New(tb), act, cfg)
}

// newFixtureOn is newFixture on the database db.
func newFixtureOn(tb testing.TB, db *storetest.Database, act lifecycle.Activator, cfg lifecycle.Config) *fixture {
	tb.Helper()
	f := &fixture{db: db, dir: db.Dir(), clock: newClock()}
	f.store = db.Open(tb)
	f.wire(act, cfg)
	var err error
	if f.tenant, err = f.accounts.AddTenant(context.Background(), "acme"); err != nil {
		tb.Fatal(err)
	}
	return f
}

func (f *fixture) wire(act lifecycle.Activator, cfg lifecycle.Config) {
	if act == nil {
		act = lifecycle.LocalActivator{}
	}
	f.svc = lifecycle.NewService(f.store, f.clock.Now, cfg)
	f.sched = lifecycle.NewScheduler(f.store, act, cfg, nil, f.clock.Now)
	f.accounts = lifecycle.NewAccounts(f.store, f.clock.Now)
	f.accounts.BcryptCost = bcrypt.MinCost
}

func (f *fixture) tick(tb testing.TB) lifecycle.TickResult {
	tb.Helper()
	r, err := f.sched.Tick(context.Background(), f.clock.Now())
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func (f *fixture) generate(tb testing.TB) lifecycle.NewKeys {
	tb.Helper()
	k, err := f.svc.Generate(context.Background(), f.tenant.ID, "user:alice")
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func (f *fixture) deactivate(tb testing.TB) {
	tb.Helper()
	if _, err := f.svc.Deactivate(context.Background(), f.tenant.ID, "user:alice"); err != nil {
		tb.Fatal(err)
	}
}

func (f *fixture) status(tb testing.TB) lifecycle.Status {
	tb.Helper()
	cur, err := f.svc.Current(context.Background(), f.tenant.ID)
	if err != nil {
		tb.Fatal(err)
	}
	return cur.Status
}

// failingActivator stands for a remote gateway that fails every call
// (permanently when permanent is set).
type failingActivator struct{ permanent bool }

func (failingActivator) Remote() bool { return true }

func (a failingActivator) Apply(context.Context, lifecycle.Event) error {
	if a.permanent {
		return lifecycle.ErrPermanent
	}
	return context.DeadlineExceeded
}

// toStatus drives the tenant's current credential into want, using only
// the product's own transitions.
func (f *fixture) toStatus(tb testing.TB, want lifecycle.Status) {
	tb.Helper()
	switch want {
	case lifecycle.None:
	case lifecycle.PendingActivation:
		f.generate(tb)
	case lifecycle.Activated:
		f.generate(tb)
		f.tick(tb)
	case lifecycle.ActivationFailed:
		f.wire(failingActivator{permanent: true}, lifecycle.Config{})
		f.generate(tb)
		f.tick(tb)
		f.wire(nil, lifecycle.Config{})
	case lifecycle.PendingDeactivation:
		f.generate(tb)
		f.tick(tb)
		f.deactivate(tb)
	case lifecycle.Deactivated:
		f.generate(tb)
		f.tick(tb)
		f.deactivate(tb)
		f.tick(tb)
	case lifecycle.DeactivationFailed:
		f.generate(tb)
		f.tick(tb)
		f.deactivate(tb)
		f.wire(failingActivator{permanent: true}, lifecycle.Config{})
		f.tick(tb)
		f.wire(nil, lifecycle.Config{})
	}
	if got := f.status(tb); got != want {
		tb.Fatalf("driving to %s: status=%s", want, got)
	}
}
