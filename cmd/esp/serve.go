package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"esp/lifecycle"
	"esp/lifecycle/webhook"
	"esp/store"
	"esp/web"
	"esp/web/admin"
	"esp/web/api"
	"esp/web/httpx"
	"esp/web/metrics"
)

type serveConfig struct {
	db              *dbFlags
	addr            string
	tlsCert, tlsKey string // both or neither: serve HTTPS
	metricsAddr     string // "": no metrics listener
	proxies         httpx.TrustedProxies
	logFormat       string // text or json
	activator       string
	webhookURL      string
	webhookSecret   string // "": webhook events go unsigned
	tick            time.Duration
	tokenTTL        time.Duration
	readTimeout     time.Duration
	exportStall     time.Duration
	admin           admin.Config
	lc              lifecycle.Config
	shutdownTimeout time.Duration
}

func parseServe(e env, args []string) (serveConfig, error) {
	var c serveConfig
	fs, db := newFlags(e, "serve")
	def := lifecycle.DefaultConfig()
	durs := []struct {
		name, env string
		def       time.Duration
		dst       *time.Duration
		help      string
	}{
		{"activation-timeout", "ESP_ACTIVATION_TIMEOUT", def.ActivationTimeout, &c.lc.ActivationTimeout, "pending activation longer than this fails"},
		{"deactivation-timeout", "ESP_DEACTIVATION_TIMEOUT", def.DeactivationTimeout, &c.lc.DeactivationTimeout, "pending deactivation longer than this fails"},
		{"purge-after", "ESP_PURGE_AFTER", def.PurgeAfter, &c.lc.PurgeAfter, "purge credentials deactivated at least this long"},
		{"purge-every", "ESP_PURGE_EVERY", def.PurgeEvery, &c.lc.PurgeEvery, "how often the purge runs"},
		{"tick", "ESP_TICK", 2 * time.Second, &c.tick, "how often the scheduler looks for due work"},
		{"token-ttl", "ESP_TOKEN_TTL", time.Hour, &c.tokenTTL, "lifetime of API bearer tokens"},
		{"session-idle", "ESP_SESSION_IDLE", 30 * time.Minute, &c.admin.SessionIdle, "end web sessions unused this long"},
		{"session-max", "ESP_SESSION_MAX", 12 * time.Hour, &c.admin.SessionMax, "end any web session this old"},
		{"read-timeout", "ESP_READ_TIMEOUT", 30 * time.Second, &c.readTimeout, "longest time a client may take to send a whole request"},
		{"export-stall-timeout", "ESP_EXPORT_STALL_TIMEOUT", httpx.DefaultStallTimeout, &c.exportStall, "an export whose client reads nothing for this long is cut off"},
		{"claim-lease", "ESP_CLAIM_LEASE", def.Lease, &c.lc.Lease, "how long a claim on a credential lasts unless its holder renews it (every third of it while the activator runs)"},
	}
	for _, d := range durs {
		v, err := durationEnv(e, d.env, d.def)
		if err != nil {
			return c, err
		}
		fs.DurationVar(d.dst, d.name, v, d.help+" (env "+d.env+")")
	}
	fs.StringVar(&c.addr, "addr", envOr(e, "ESP_ADDR", "127.0.0.1:8080"), "listen address (env ESP_ADDR)")
	fs.StringVar(&c.activator, "activator", envOr(e, "ESP_ACTIVATOR", "local"), "local or webhook (env ESP_ACTIVATOR)")
	fs.BoolVar(&c.admin.SecureCookies, "secure-cookies", envOr(e, "ESP_SECURE_COOKIES", "") == "true", "mark cookies Secure (behind a TLS-terminating proxy; env ESP_SECURE_COOKIES=true)")
	fs.StringVar(&c.webhookURL, "webhook-url", envOr(e, "ESP_WEBHOOK_URL", ""), "the webhook activator's URL (env ESP_WEBHOOK_URL)")
	fs.StringVar(&c.webhookSecret, "webhook-secret", envOr(e, "ESP_WEBHOOK_SECRET", ""), "key of the HMAC-SHA256 signature of each webhook event, at least 16 characters; unset: events go unsigned (env ESP_WEBHOOK_SECRET)")
	fs.StringVar(&c.tlsCert, "tls-cert", envOr(e, "ESP_TLS_CERT", ""), "serve HTTPS with this PEM certificate (chain) file; needs --tls-key (env ESP_TLS_CERT)")
	fs.StringVar(&c.tlsKey, "tls-key", envOr(e, "ESP_TLS_KEY", ""), "the PEM private key file of --tls-cert (env ESP_TLS_KEY)")
	fs.StringVar(&c.metricsAddr, "metrics-addr", envOr(e, "ESP_METRICS_ADDR", ""), "serve Prometheus metrics at /metrics on this address; off when empty (env ESP_METRICS_ADDR)")
	proxies := fs.String("trusted-proxies", envOr(e, "ESP_TRUSTED_PROXIES", ""), "comma-separated CIDR ranges or addresses of the load balancers whose X-Forwarded-For gives the client address; none when empty (env ESP_TRUSTED_PROXIES)")
	fs.StringVar(&c.logFormat, "log-format", envOr(e, "ESP_LOG_FORMAT", "text"), "text or json (env ESP_LOG_FORMAT)")
	if _, err := parse(fs, args, 0, "serve [--addr HOST:PORT] [--activator local|webhook] [--webhook-url URL] [--tls-cert FILE --tls-key FILE] [--metrics-addr HOST:PORT] [--trusted-proxies CIDR,...] [--log-format text|json] [--tick D] ..."); err != nil {
		return c, err
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return c, usageError{"serve: --tls-cert and --tls-key go together: give both (or ESP_TLS_CERT and ESP_TLS_KEY), or neither"}
	}
	if c.logFormat != "text" && c.logFormat != "json" {
		return c, usageError{fmt.Sprintf("serve: --log-format must be text or json, got %q", c.logFormat)}
	}
	c.db = db
	if err := db.check(); err != nil {
		return c, err
	}
	var err error
	if c.proxies, err = httpx.ParseTrustedProxies(*proxies); err != nil {
		return c, usageError{"serve: --trusted-proxies (or ESP_TRUSTED_PROXIES): " + err.Error()}
	}
	if !db.postgres() {
		c.admin.DataDir = db.data // the session key lives there
	}
	// On PostgreSQL the data folder is not used: the session keys and the
	// rate limits are the database's, shared by every replica (sharedState).
	// The scheduler's housekeeping deletes the sessions the web admin ends.
	c.lc.SessionIdle, c.lc.SessionMax = c.admin.SessionIdle, c.admin.SessionMax
	c.shutdownTimeout = 30 * time.Second
	ds := map[string]time.Duration{}
	for _, d := range durs {
		ds[d.name] = *d.dst
	}
	if err := positiveDurations(ds); err != nil {
		return c, err
	}
	return c, c.checkActivator()
}

// minWebhookSecret is the shortest webhook secret accepted: a short key can
// be found by trying keys against one signed event.
const minWebhookSecret = 16

// checkActivator checks the activator flags. Its errors never quote the
// webhook secret.
func (c serveConfig) checkActivator() error {
	switch c.activator {
	case "local":
		if c.webhookURL != "" {
			return usageError{"serve: --webhook-url needs --activator webhook"}
		}
		if c.webhookSecret != "" {
			return usageError{"serve: --webhook-secret (or ESP_WEBHOOK_SECRET) needs --activator webhook"}
		}
	case "webhook":
		if c.webhookURL == "" {
			return usageError{"serve: --activator webhook needs --webhook-url URL"}
		}
		if c.webhookSecret != "" && len(c.webhookSecret) < minWebhookSecret {
			return usageError{fmt.Sprintf("serve: --webhook-secret (or ESP_WEBHOOK_SECRET) must be at least %d characters", minWebhookSecret)}
		}
	default:
		return usageError{fmt.Sprintf("serve: --activator must be local or webhook, got %q", c.activator)}
	}
	return nil
}

func cmdServe(ctx context.Context, e env, args []string) error {
	cfg, err := parseServe(e, args)
	if err != nil {
		return err
	}
	var act lifecycle.Activator = lifecycle.LocalActivator{}
	if cfg.activator == "webhook" {
		w, err := webhook.New(cfg.webhookURL, webhook.WithSecret(cfg.webhookSecret))
		if err != nil {
			return usageError{"serve: " + err.Error()}
		}
		act = w
	}
	log := newLogger(e.stderr, cfg.logFormat)
	var tlsConfig *tls.Config
	if cfg.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.tlsCert, cfg.tlsKey)
		if err != nil {
			return fmt.Errorf("serve: cannot use the TLS certificate %s and key %s: %v", cfg.tlsCert, cfg.tlsKey, err)
		}
		tlsConfig = serverTLS(cert)
	}

	// The addresses first: a start that cannot listen changes nothing.
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("serve: cannot listen on %s: %v", cfg.addr, errors.Unwrap(err))
	}
	defer ln.Close()
	var metricsLn net.Listener
	if cfg.metricsAddr != "" {
		if metricsLn, err = net.Listen("tcp", cfg.metricsAddr); err != nil {
			return fmt.Errorf("serve: cannot listen on %s (--metrics-addr): %v", cfg.metricsAddr, errors.Unwrap(err))
		}
		defer metricsLn.Close()
	}

	st, err := openStore(ctx, cfg.db)
	if err != nil {
		return err
	}
	defer st.Close()

	now := time.Now
	accounts := lifecycle.NewAccounts(st, now)
	if err := firstRun(ctx, e, st, accounts); err != nil {
		return err
	}
	svc := lifecycle.NewService(st, now, cfg.lc)
	apiCfg := api.Config{TokenTTL: cfg.tokenTTL, ExportStallTimeout: cfg.exportStall}
	if st.Postgres() {
		sharedState(&cfg.admin, &apiCfg, st, now)
	}
	pages, err := admin.New(cfg.admin, log, st, svc, accounts, now)
	if err != nil {
		return err
	}
	// The metrics are counted whether or not anyone scrapes them: counting
	// costs next to nothing, and the database is read only by a scrape.
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, st)
	srv := web.New(log, pages, api.New(apiCfg, log, st, now, m), web.Options{Observer: m, TrustedProxies: cfg.proxies, Database: st})

	httpSrv := &http.Server{
		Handler:           srv,
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       cfg.readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}

	schedCtx, stopSched := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	sch := lifecycle.NewScheduler(st, act, cfg.lc, log, now)
	sch.Observer = m
	wg.Go(func() { sch.Run(schedCtx, cfg.tick) })

	serveErr := make(chan error, 2)
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
		go func() { serveErr <- httpSrv.ServeTLS(ln, "", "") }()
	} else {
		go func() { serveErr <- httpSrv.Serve(ln) }()
	}
	var metricsSrv *http.Server
	if metricsLn != nil {
		metricsSrv = &http.Server{Handler: metrics.Handler(reg, log), ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		go func() { serveErr <- metricsSrv.Serve(metricsLn) }()
		fmt.Fprintf(e.stdout, "Prometheus metrics at http://%s/metrics\n", metricsLn.Addr())
		log.Info("serving metrics", "addr", metricsLn.Addr().String())
	}
	fmt.Fprintf(e.stdout, "ESP is running at %s://%s (%s; Ctrl+C stops it)\n", scheme, ln.Addr(), cfg.db.describe())
	log.Info("serving", "addr", ln.Addr().String(), "tls", tlsConfig != nil, "activator", cfg.activator,
		"trusted_proxies", cfg.proxies.String())
	if w, ok := act.(*webhook.Activator); ok && !w.Signed() {
		log.Warn("webhook events are not signed: the gateway cannot tell them from forged ones; set --webhook-secret (or ESP_WEBHOOK_SECRET)")
	}

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		httpSrv.Close()
		if metricsSrv != nil {
			metricsSrv.Close()
		}
		stopSched()
		wg.Wait()
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	shutErr := httpSrv.Shutdown(shutCtx)
	if metricsSrv != nil {
		metricsSrv.Shutdown(shutCtx)
	}
	stopSched()
	wg.Wait()
	if shutErr != nil {
		return fmt.Errorf("serve: shutdown: %w", shutErr)
	}
	log.Info("stopped")
	return nil
}

// writeTimeout is the longest an answer may take to write. Streamed
// answers (the export, the history CSV) move their own deadline as their
// client reads, and may take longer.
const writeTimeout = time.Minute

// sharedState makes the replicas on one PostgreSQL database share what a
// single server keeps for itself: the session and CSRF keys (so a cookie or
// a form made by one replica is good on every other) and the counts of the
// login and API-authentication limits (so an address gets one allowance,
// whichever replicas its attempts reach).
func sharedState(ac *admin.Config, apiCfg *api.Config, st *store.Store, now func() time.Time) {
	ac.Keys = admin.KeysIn(st)
	limits := func(name string, every time.Duration, burst int) httpx.AttemptLimit {
		return st.AttemptLimit(name, every, burst, now)
	}
	ac.Limits, apiCfg.Limits = limits, limits
}

// newLogger is the server's logger: slog's text or JSON lines on w.
func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}
