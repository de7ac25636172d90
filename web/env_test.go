package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"esp/lifecycle"
	"esp/store"
	"esp/web"
)

// fakeClock is a settable clock shared by the server and the scheduler.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testEnv is a real server over a real store in a temporary folder, with
// tenant "acme" (public API on) holding admin "alice" and non-admin "bob",
// and tenant "globex" (public API off) holding admin "gina". Every
// password is "password-<username>".
type testEnv struct {
	Store     *store.Store
	Service   *lifecycle.Service
	Accounts  *lifecycle.Accounts
	Scheduler *lifecycle.Scheduler
	Server    *web.Server
	Clock     *fakeClock
	Logs      *syncBuffer
	Acme      store.Tenant
	Globex    store.Tenant
	Cfg       web.Config
}

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b = append(s.b, p...)
	return len(p), nil
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return string(s.b) }

var _ io.Writer = (*syncBuffer)(nil)

func newTestEnv(tb testing.TB, opts ...func(*web.Config)) *testEnv {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	st, err := store.Open(ctx, dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	clock := &fakeClock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	accounts := lifecycle.NewAccounts(st, clock.Now)
	accounts.BcryptCost = bcrypt.MinCost
	svc := lifecycle.NewService(st, clock.Now, lifecycle.Config{})
	env := &testEnv{Store: st, Service: svc, Accounts: accounts, Clock: clock, Logs: logs,
		Scheduler: lifecycle.NewScheduler(st, lifecycle.LocalActivator{}, lifecycle.Config{}, log, clock.Now)}
	env.Cfg = web.Config{DataDir: dir}
	for _, o := range opts {
		o(&env.Cfg)
	}
	if env.Acme, err = accounts.AddTenant(ctx, "acme"); err != nil {
		tb.Fatal(err)
	}
	if err := accounts.SetPublicAPI(ctx, "acme", true); err != nil {
		tb.Fatal(err)
	}
	if env.Globex, err = accounts.AddTenant(ctx, "globex"); err != nil {
		tb.Fatal(err)
	}
	for _, u := range []struct {
		tenant, name string
		admin        bool
	}{{"acme", "alice", true}, {"acme", "bob", false}, {"globex", "gina", true}} {
		if _, err := accounts.AddUser(ctx, u.tenant, u.name, "password-"+u.name, u.admin); err != nil {
			tb.Fatal(err)
		}
	}
	env.Server, err = web.New(env.Cfg, log, st, svc, accounts, clock.Now)
	if err != nil {
		tb.Fatal(err)
	}
	return env
}

// tick runs the scheduler once at the fake clock's time.
func (e *testEnv) tick(tb testing.TB) lifecycle.TickResult {
	tb.Helper()
	r, err := e.Scheduler.Tick(context.Background(), e.Clock.Now())
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// do sends one request through the real Echo handler.
func (e *testEnv) do(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	if req.RemoteAddr == "" || req.RemoteAddr == "192.0.2.1:1234" {
		req.RemoteAddr = "192.0.2.1:1234"
	}
	e.Server.ServeHTTP(rec, req)
	return rec
}
