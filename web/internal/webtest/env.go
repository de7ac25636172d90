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

	"golang.org/x/crypto/bcrypt"

	"esp/cmd/app"
	"esp/lifecycle"
	"esp/store/storetest"
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
// password is "password-<username>". Its parts (the store, the use cases,
// the scheduler, the server and its metrics) are app's.
type Env struct {
	*app.App
	Database *storetest.Database // open it again for another process's view (NewEnv only)
	Clock    *FakeClock
	Logs     *SyncBuffer
	Acme     lifecycle.Tenant
	Globex   lifecycle.Tenant
	Cfg      Config
}

// Config is the server's configuration, and its log's.
type Config struct {
	app.Config
	// JSONLogs writes the log as JSON lines (esp serve --log-format json)
	// rather than text.
	JSONLogs bool
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
	// The session key file's folder, on either backend.
	dir := db.Dir()
	if dir == "" {
		dir = tb.TempDir()
	}
	env := newEnv(tb, db, dir, nil, false, opts)
	env.Database = db
	env.seed(tb)
	return env
}

// newEnv is an Env over a store of db on clock (nil: a new one), not
// seeded; the admin's session key file is in dir. shared keeps the
// session keys and the rate limits in the database, as esp serve does on
// PostgreSQL.
func newEnv(tb testing.TB, db *storetest.Database, dir string, clock *FakeClock, shared bool, opts []func(*Config)) *Env {
	tb.Helper()
	if clock == nil {
		clock = &FakeClock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	}
	var cfg Config
	cfg.Admin.DataDir = dir
	for _, o := range opts {
		o(&cfg)
	}
	cfg.SharedState = shared
	logs := &SyncBuffer{}
	var log *slog.Logger
	if cfg.JSONLogs {
		log = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	} else {
		log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	a, err := app.New(db.Open(tb), cfg.Config, log, clock.Now)
	if err != nil {
		tb.Fatal(err)
	}
	a.Accounts.BcryptCost = bcrypt.MinCost
	return &Env{App: a, Clock: clock, Logs: logs, Cfg: cfg}
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

// NewEnvOn starts an Env on db, a database the test reaches a way of its
// own (through a proxy it controls, say), seeded like NewEnv's.
func NewEnvOn(tb testing.TB, db *storetest.Database, opts ...func(*Config)) *Env {
	tb.Helper()
	env := newEnv(tb, db, tb.TempDir(), nil, false, opts)
	env.seed(tb)
	return env
}
