// Package app assembles ESP's server from one Config: the use cases over
// the store, the scheduler, the metrics and the HTTP server. esp serve, the
// benchmark's in-process server and the web tests all build it here, so
// each setting has one place.
package app

import (
	"context"
	"crypto/tls"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"esp/lifecycle"
	"esp/lifecycle/mail"
	"esp/store"
	"esp/web"
	"esp/web/admin"
	"esp/web/api"
	"esp/web/httpx"
	"esp/web/metrics"
)

// Config is what the server is built from beyond its store; zero fields
// take the defaults.
type Config struct {
	// Lifecycle holds the credentials' durations and the web sessions'
	// timeouts, which the admin ends sessions by and the housekeeping
	// deletes them by.
	Lifecycle lifecycle.Config
	// Admin and API configure the server's two parts.
	Admin admin.Config
	API   api.Config
	// TokenTTL is the lifetime of bearer tokens (1h).
	TokenTTL time.Duration
	// TrustedProxies are the load balancers whose X-Forwarded-For gives
	// the client address; none by default.
	TrustedProxies httpx.TrustedProxies
	// Activator carries out activations and deactivations; nil is
	// lifecycle.LocalActivator.
	Activator lifecycle.Activator
	// SharedState keeps the session keys and the counts of the rate
	// limits in the database, shared by every server on it (PostgreSQL
	// only), rather than in the data folder and in memory.
	SharedState bool
	// Mail, when set, turns email notices on: the store queues them and
	// the scheduler sends them (Notices says how). Nil: notifications
	// are off and nothing is queued.
	Mail    *mail.Config
	Notices lifecycle.MailConfig
	// NoAccessLog writes no line per request; the metrics still count
	// them.
	NoAccessLog bool

	// What Run serves with.
	TLS             *tls.Config   // nil: plain HTTP
	ReadTimeout     time.Duration // longest a client may take to send a request (30s)
	Tick            time.Duration // how often the scheduler looks for due work (2s)
	ShutdownTimeout time.Duration // how long Run waits for requests in flight (30s)
}

// App is the server's parts, built over one store.
type App struct {
	Store     *store.Store
	Service   *lifecycle.Service
	Accounts  *lifecycle.Accounts
	Sessions  *lifecycle.Sessions
	Tokens    *lifecycle.Tokens
	Plans     *lifecycle.Plans
	Leaks     *lifecycle.Leaks
	Scheduler *lifecycle.Scheduler
	Admin     *admin.Handlers
	API       *api.Handlers
	Server    *web.Server
	// Metrics holds what the server and the scheduler count.
	Metrics *prometheus.Registry

	cfg Config
	log *slog.Logger
}

// New builds the server over st with cfg, logging to log, on the clock
// now (nil: time.Now). It reads the session keys and the token keys,
// making them on first start; it starts nothing (Run does).
func New(st *store.Store, cfg Config, log *slog.Logger, now func() time.Time) (*App, error) {
	if now == nil {
		now = time.Now
	}
	cfg = withDefaults(cfg)
	if cfg.SharedState {
		cfg.Admin.Keys = admin.KeysIn(keyTable{st})
		cfg.Admin.Limits = func(name string, every time.Duration, burst int) httpx.AttemptLimit {
			return st.AttemptLimit(name, every, burst, now)
		}
	}
	if cfg.Admin.Limits == nil {
		cfg.Admin.Limits = httpx.MemoryLimits(now)
	}
	if cfg.API.Limits == nil {
		cfg.API.Limits = cfg.Admin.Limits
	}
	a := &App{Store: st, cfg: cfg, log: log, Metrics: prometheus.NewRegistry()}
	a.Service = lifecycle.NewService(st, now, cfg.Lifecycle)
	a.Accounts = lifecycle.NewAccounts(st, now)
	a.Sessions = lifecycle.NewSessions(st, now, cfg.Lifecycle)
	a.Tokens = lifecycle.NewTokens(st, now, cfg.TokenTTL)
	if err := a.Tokens.LoadKeys(context.Background()); err != nil {
		return nil, err
	}
	a.Plans = lifecycle.NewPlans(st, now)
	a.Leaks = lifecycle.NewLeaks(st, now, cfg.Lifecycle)
	// The metrics are counted whether or not anyone scrapes them: counting
	// costs next to nothing, and the database is read only by a scrape.
	m := metrics.New(a.Metrics, st)
	a.Scheduler = lifecycle.NewScheduler(st, cfg.Activator, cfg.Lifecycle, log, now)
	a.Scheduler.Observer = m
	notices := metrics.NewNotices(a.Metrics, st, now)
	if cfg.Mail != nil {
		sender, err := mail.New(*cfg.Mail)
		if err != nil {
			return nil, err
		}
		st.NotifyOn(lifecycle.NoticeEvents())
		a.Scheduler.Mail(st, sender, cfg.Notices, notices)
	}
	var err error
	if a.Admin, err = admin.New(cfg.Admin, log, a.Service, a.Accounts, a.Sessions, a.Plans); err != nil {
		return nil, err
	}
	a.API = api.New(cfg.API, log, a.Tokens, a.Plans, a.Leaks, m)
	a.Server = web.New(log, a.Admin, a.API, web.Options{Observer: m, TrustedProxies: cfg.TrustedProxies, Database: st,
		NoAccessLog: cfg.NoAccessLog})
	return a, nil
}

func withDefaults(c Config) Config {
	if c.Activator == nil {
		c.Activator = lifecycle.LocalActivator{}
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&c.TokenTTL, time.Hour}, {&c.ReadTimeout, 30 * time.Second},
		{&c.Tick, 2 * time.Second}, {&c.ShutdownTimeout, 30 * time.Second},
	} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	return c
}

// keyTable keeps the admin's session keys in the store's table.
type keyTable struct{ st *store.Store }

func (k keyTable) SessionKeys(ctx context.Context, candidate admin.SessionKeys) (admin.SessionKeys, error) {
	kept, err := k.st.SessionKeys(ctx, store.SessionKeys(candidate))
	return admin.SessionKeys(kept), err
}
