package lifecycle_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"esp/lifecycle"
)

// housekeepingFixture is a fixture whose tenant has the public API on and
// an activated credential, with a user to own sessions.
type housekeepingFixture struct {
	*fixture
	keys     lifecycle.NewKeys
	userID   int64
	userHash string
}

func newHousekeepingFixture(t *testing.T, cfg lifecycle.Config) *housekeepingFixture {
	t.Helper()
	ctx := context.Background()
	f := &housekeepingFixture{fixture: newFixture(t, nil, cfg)}
	if err := f.accounts.SetPublicAPI(ctx, "acme", true); err != nil {
		t.Fatal(err)
	}
	u, err := f.accounts.AddUser(ctx, "acme", "alice", "password-alice", true)
	if err != nil {
		t.Fatal(err)
	}
	f.userID, f.userHash = u.ID, u.PasswordHash
	f.keys = f.generate(t)
	if r := f.tick(t); r.Activated != 1 {
		t.Fatalf("first tick %+v, want the credential activated", r)
	}
	return f
}

func (f *housekeepingFixture) exchange(t *testing.T, ttl time.Duration) string {
	t.Helper()
	tok, err := lifecycle.NewTokens(f.store, f.clock.Now, ttl).Exchange(context.Background(), f.keys.AccessKey, f.keys.SecretKey, lifecycle.Caller{})
	if err != nil {
		t.Fatal(err)
	}
	return tok.Token
}

func (f *housekeepingFixture) session(t *testing.T, name string, created, seen time.Time) {
	t.Helper()
	h := sha256.Sum256([]byte(name))
	if err := f.store.CreateSession(context.Background(), lifecycle.Session{IDHash: h[:], UserID: f.userID, CreatedAt: created, LastSeenAt: seen}, f.userHash); err != nil {
		t.Fatal(err)
	}
}

func (f *housekeepingFixture) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := f.store.DB.QueryRowContext(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// An expired token is refused by its expiry time, from the instant it
// expires, and a day later still.
func TestExpiredTokenIsRefusedFromTheInstantItExpires(t *testing.T) {
	f := newHousekeepingFixture(t, lifecycle.Config{})
	tokens := lifecycle.NewTokens(f.store, f.clock.Now, time.Hour)
	tok := f.exchange(t, time.Hour)
	ctx := context.Background()
	f.clock.Add(time.Hour - time.Nanosecond)
	if _, err := tokens.Authenticate(ctx, tok, lifecycle.Caller{}); err != nil {
		t.Fatalf("a nanosecond before expiry: %v, want accepted", err)
	}
	f.clock.Add(time.Nanosecond)
	for range 2 {
		if _, err := tokens.Authenticate(ctx, tok, lifecycle.Caller{}); !errors.Is(err, lifecycle.ErrTokenExpired) {
			t.Fatalf("at expiry: %v, want ErrTokenExpired", err)
		}
		f.clock.Add(24 * time.Hour)
	}
}

// The scheduler's tick deletes the sessions past either timeout, at most
// once per HousekeepEvery: not before the period is up.
func TestTickDeletesExpiredSessionsOncePerPeriod(t *testing.T) {
	f := newHousekeepingFixture(t, lifecycle.Config{SessionIdle: 30 * time.Minute, SessionMax: 12 * time.Hour})
	t0 := f.clock.Now() // the first tick's housekeeping ran at t0
	f.session(t, "idle", t0, t0)
	f.session(t, "old", t0.Add(-12*time.Hour), t0.Add(time.Hour))
	f.clock.Add(time.Hour)
	f.session(t, "live", f.clock.Now(), f.clock.Now())
	// Idle exactly SessionIdle: refused by the web admin, so deleted; a
	// nanosecond less: still live.
	edge := f.clock.Now().Add(-30 * time.Minute)
	f.session(t, "edge", edge, edge)
	f.session(t, "almost", edge, edge.Add(time.Nanosecond))
	// Idle 10 seconds short of the timeout.
	f.session(t, "soon", edge, edge.Add(10*time.Second))
	if r := f.tick(t); r.ExpiredSessions != 3 {
		t.Fatalf("tick %+v, want 3 expired sessions deleted", r)
	}
	if s := f.count(t, "sessions"); s != 3 {
		t.Fatalf("%d sessions left; want the three live ones", s)
	}
	// The 10-second session expires, but the next housekeeping is a minute
	// after the last.
	f.clock.Add(59 * time.Second)
	if r := f.tick(t); r.ExpiredSessions != 0 || f.count(t, "sessions") != 3 {
		t.Fatalf("59 s after the housekeeping: tick %+v, want nothing deleted yet", r)
	}
	f.clock.Add(time.Second)
	if r := f.tick(t); r.ExpiredSessions != 2 || f.count(t, "sessions") != 1 {
		t.Fatalf("a minute after the housekeeping: tick %+v, want the two sessions idle since deleted", r)
	}
}

// Several schedulers on one database housekeep once per period between
// them: the period is claimed in a row, not kept per process.
func TestHousekeepingRunsOncePerPeriodAcrossSchedulers(t *testing.T) {
	cfg := lifecycle.Config{SessionIdle: 30 * time.Minute, SessionMax: 12 * time.Hour}
	f := newHousekeepingFixture(t, cfg)
	other := lifecycle.NewScheduler(f.store, lifecycle.LocalActivator{}, cfg, nil, f.clock.Now)
	idle := func(name string) {
		at := f.clock.Now().Add(-30 * time.Minute)
		f.session(t, name, at, at)
	}
	idle("first")
	f.clock.Add(time.Minute)
	if r := f.tick(t); r.ExpiredSessions != 1 {
		t.Fatalf("first scheduler: %+v, want the expired session deleted", r)
	}
	idle("second")
	f.clock.Add(30 * time.Second)
	r, err := other.Tick(context.Background(), f.clock.Now())
	if err != nil || r.ExpiredSessions != 0 || f.count(t, "sessions") != 1 {
		t.Fatalf("second scheduler within the period: %+v, %v; want nothing deleted", r, err)
	}
	f.clock.Add(30 * time.Second)
	if r, err := other.Tick(context.Background(), f.clock.Now()); err != nil || r.ExpiredSessions != 1 {
		t.Fatalf("second scheduler, next period: %+v, %v; want the expired session deleted", r, err)
	}
	if r := f.tick(t); r.ExpiredSessions != 0 {
		t.Fatalf("first scheduler in the period the second took: %+v, want nothing", r)
	}
}
