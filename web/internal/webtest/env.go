// Package webtest is what the web packages' tests share: a real server
// over a real store (Env), a browser of the admin pages (Client), and
// helpers for the pages' HTML and the API's answers.
package webtest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"esp/lifecycle"
	"esp/store"
	"esp/store/storetest"
	"esp/web"
	"esp/web/admin"
	"esp/web/api"
	"esp/web/httpx"
	"esp/web/metrics"
)

// FakeClock is a settable clock shared by the server and the scheduler.
type FakeClock struct {
	mu sync.Mutex
	t  time.Time
}

// Now is the clock's time.
func (c *FakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Add moves the clock on by d.
func (c *FakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Env is a real server over a real store in a temporary folder, with
// tenant "acme" (public API on) holding admin "alice" and non-admin "bob",
// and tenant "globex" (public API off) holding admin "gina". Every
// password is "password-<username>".
type Env struct {
	Store     *store.Store
	Database  *storetest.Database // open it again for another process's view (NewEnv only)
	Service   *lifecycle.Service
	Accounts  *lifecycle.Accounts
	Scheduler *lifecycle.Scheduler
	Server    *web.Server
	Admin     *admin.Handlers // the server's admin part
	API       *api.Handlers   // the server's public API
	Clock     *FakeClock
	Logs      *SyncBuffer
	Metrics   *prometheus.Registry // what the server and the scheduler count
	Acme      lifecycle.Tenant
	Globex    lifecycle.Tenant
	Cfg       Config
}

// Config is the configuration of the server's two parts, and of its log.
type Config struct {
	Admin admin.Config
	API   api.Config
	// JSONLogs writes the log as JSON lines (esp serve --log-format json)
	// rather than text.
	JSONLogs bool
	// TrustedProxies are the load balancers whose X-Forwarded-For names
	// the client (esp serve --trusted-proxies); none by default.
	TrustedProxies httpx.TrustedProxies
}

// SyncBuffer collects log output from concurrent handlers.
type SyncBuffer struct {
	mu sync.Mutex
	b  []byte
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b = append(s.b, p...)
	return len(p), nil
}

// String is everything written so far.
func (s *SyncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return string(s.b) }

var _ io.Writer = (*SyncBuffer)(nil)

// NewEnv starts an Env; opts change the server's configuration first.
func NewEnv(tb testing.TB, opts ...func(*Config)) *Env {
	tb.Helper()
	db := storetest.New(tb)
	st := db.Open(tb)
	// The session key file's folder, on either backend.
	dir := db.Dir()
	if dir == "" {
		dir = tb.TempDir()
	}
	env := newEnv(tb, st, dir, nil, nil, opts)
	env.Database = db
	env.seed(tb)
	env.start(tb)
	return env
}

// newEnv is an Env over st on clock (nil: a new one), not seeded and
// without a server yet; the admin's session key file is in dir. shared,
// when set, changes the configuration last (after opts).
func newEnv(tb testing.TB, st *store.Store, dir string, clock *FakeClock, shared func(*Config), opts []func(*Config)) *Env {
	tb.Helper()
	if clock == nil {
		clock = &FakeClock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	}
	logs := &SyncBuffer{}
	cfg := Config{Admin: admin.Config{DataDir: dir}}
	for _, o := range opts {
		o(&cfg)
	}
	if shared != nil {
		shared(&cfg)
	}
	accounts := lifecycle.NewAccounts(st, clock.Now)
	accounts.BcryptCost = bcrypt.MinCost
	svc := lifecycle.NewService(st, clock.Now, lifecycle.Config{})
	return &Env{Store: st, Service: svc, Accounts: accounts, Clock: clock, Logs: logs, Cfg: cfg}
}

// seed adds the tenants and users every Env has.
func (env *Env) seed(tb testing.TB) {
	tb.Helper()
	ctx := context.Background()
	accounts := env.Accounts
	var err error
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
}

// start builds the Env's scheduler and server.
func (env *Env) start(tb testing.TB) {
	tb.Helper()
	var log *slog.Logger
	if env.Cfg.JSONLogs {
		log = slog.New(slog.NewJSONHandler(env.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	} else {
		log = slog.New(slog.NewTextHandler(env.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	st, clock := env.Store, env.Clock
	env.Scheduler = lifecycle.NewScheduler(st, lifecycle.LocalActivator{}, lifecycle.Config{
		SessionIdle: env.Cfg.Admin.SessionIdle, SessionMax: env.Cfg.Admin.SessionMax}, log, clock.Now)
	var err error
	if env.Admin, err = admin.New(env.Cfg.Admin, log, st, env.Service, env.Accounts, clock.Now); err != nil {
		tb.Fatal(err)
	}
	env.Metrics = prometheus.NewRegistry()
	m := metrics.New(env.Metrics, st)
	env.Scheduler.Observer = m
	env.API = api.New(env.Cfg.API, log, st, clock.Now, m)
	env.Server = web.New(log, env.Admin, env.API, web.Options{Observer: m, TrustedProxies: env.Cfg.TrustedProxies, Database: st})
}

// Tick runs the scheduler once at the fake clock's time.
func (e *Env) Tick(tb testing.TB) lifecycle.TickResult {
	tb.Helper()
	r, err := e.Scheduler.Tick(context.Background(), e.Clock.Now())
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// Do sends one request through the real Echo handler.
func (e *Env) Do(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	if req.RemoteAddr == "" || req.RemoteAddr == "192.0.2.1:1234" {
		req.RemoteAddr = "192.0.2.1:1234"
	}
	e.Server.ServeHTTP(rec, req)
	return rec
}

// MetricValue is the value of the counter or gauge called name whose
// labels include the given name, value pairs, in the server's metrics; 0
// when there is no such series yet.
func (e *Env) MetricValue(tb testing.TB, name string, labels ...string) float64 {
	tb.Helper()
	families, err := e.Metrics.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue series
				}
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			}
			tb.Fatalf("%s is neither a counter nor a gauge", name)
		}
	}
	return 0
}

// NewEnvOn starts an Env on st, a store the test opened itself (through a
// proxy it controls, say), seeded like NewEnv's.
func NewEnvOn(tb testing.TB, st *store.Store, opts ...func(*Config)) *Env {
	tb.Helper()
	env := newEnv(tb, st, tb.TempDir(), nil, nil, opts)
	env.seed(tb)
	env.start(tb)
	return env
}
