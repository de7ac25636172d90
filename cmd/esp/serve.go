package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"time"

	"esp/cmd/app"
	"esp/lifecycle"
	"esp/lifecycle/mail"
	"esp/lifecycle/webhook"
	"esp/web/api"
	"esp/web/httpx"
)

type serveConfig struct {
	db              *dbFlags
	addr            string
	tlsCert, tlsKey string // both or neither: serve HTTPS
	metricsAddr     string // "": no metrics listener
	logFormat       string // text or json
	accessLog       string // on, off, or auto (see accessLogOff)
	activator       string
	webhookURL      string
	webhookSecret   string // "": webhook events go unsigned
	smtpURL         string // "": email notifications off
	mailFrom        string
	publicURL       string
	scanningKeys    string // "": secret scanning is off
	app             app.Config
}

func parseServe(e env, args []string) (serveConfig, error) {
	var c serveConfig
	fs, db := newFlags(e, "serve")
	durs := c.durationFlags()
	for _, d := range durs {
		v, err := durationEnv(e, d.env, d.def)
		if err != nil {
			return c, err
		}
		fs.DurationVar(d.dst, d.name, v, d.help+" (env "+d.env+")")
	}
	proxies := c.otherFlags(e, fs)
	if _, err := parse(fs, args, 0, "serve [--addr HOST:PORT] [--activator local|webhook] [--webhook-url URL] [--tls-cert FILE --tls-key FILE] [--metrics-addr HOST:PORT] [--trusted-proxies CIDR,...] [--log-format text|json] [--access-log auto|on|off] [--smtp-url URL --mail-from ADDR] [--public-url URL] [--secret-scanning-keys FILE|URL] [--tick D] ..."); err != nil {
		return c, err
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return c, usageError{"serve: --tls-cert and --tls-key go together: give both (or ESP_TLS_CERT and ESP_TLS_KEY), or neither"}
	}
	if c.logFormat != "text" && c.logFormat != "json" {
		return c, usageError{fmt.Sprintf("serve: --log-format must be text or json, got %q", c.logFormat)}
	}
	if c.accessLog != "auto" && c.accessLog != "on" && c.accessLog != "off" {
		return c, usageError{fmt.Sprintf("serve: --access-log (or ESP_ACCESS_LOG) must be auto, on or off, got %q", c.accessLog)}
	}
	c.app.NoAccessLog = accessLogOff(c.accessLog, c.logFormat, interactive(e.stderr))
	c.db = db
	if err := db.check(); err != nil {
		return c, err
	}
	var err error
	if c.app.TrustedProxies, err = httpx.ParseTrustedProxies(*proxies); err != nil {
		return c, usageError{"serve: --trusted-proxies (or ESP_TRUSTED_PROXIES): " + err.Error()}
	}
	// On PostgreSQL the data folder is not used: the session keys and the
	// rate limits are the database's, shared by every replica.
	if db.postgres() {
		c.app.SharedState = true
	} else {
		c.app.Admin.DataDir = db.data // the session key lives there
	}
	ds := map[string]time.Duration{}
	for _, d := range durs {
		ds[d.name] = *d.dst
	}
	if err := positiveDurations(ds); err != nil {
		return c, err
	}
	if err := c.checkActivator(); err != nil {
		return c, err
	}
	return c, c.checkMail()
}

// checkMail checks the email flags and sets the app's mail configuration
// when --smtp-url is given. Its errors never quote the SMTP password.
func (c *serveConfig) checkMail() error {
	if c.publicURL != "" {
		u, err := url.Parse(c.publicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return usageError{fmt.Sprintf("serve: --public-url must be an absolute http or https URL, got %q", c.publicURL)}
		}
		c.app.Admin.PublicURL = c.publicURL
	}
	if c.smtpURL == "" {
		if c.mailFrom != "" {
			return usageError{"serve: --mail-from (or ESP_MAIL_FROM) needs --smtp-url"}
		}
		return nil
	}
	if c.mailFrom == "" {
		return usageError{"serve: --smtp-url (or ESP_SMTP_URL) needs --mail-from ADDRESS"}
	}
	cfg := &mail.Config{SMTPURL: c.smtpURL, From: c.mailFrom, PublicURL: c.publicURL}
	if _, err := mail.New(*cfg); err != nil {
		return usageError{"serve: --smtp-url or --mail-from: " + err.Error()}
	}
	c.app.Mail = cfg
	return nil
}

// durationFlag is one of serve's duration flags: its name, its environment
// variable, its default, and where its value goes.
type durationFlag struct {
	name, env string
	def       time.Duration
	dst       *time.Duration
	help      string
}

// durationFlags are serve's duration flags, each writing into c.
func (c *serveConfig) durationFlags() []durationFlag {
	def := lifecycle.DefaultConfig()
	return []durationFlag{
		{"activation-timeout", "ESP_ACTIVATION_TIMEOUT", def.ActivationTimeout, &c.app.Lifecycle.ActivationTimeout, "pending activation longer than this fails"},
		{"deactivation-timeout", "ESP_DEACTIVATION_TIMEOUT", def.DeactivationTimeout, &c.app.Lifecycle.DeactivationTimeout, "pending deactivation longer than this fails"},
		{"purge-after", "ESP_PURGE_AFTER", def.PurgeAfter, &c.app.Lifecycle.PurgeAfter, "purge credentials deactivated at least this long"},
		{"purge-every", "ESP_PURGE_EVERY", def.PurgeEvery, &c.app.Lifecycle.PurgeEvery, "how often the purge runs"},
		{"tick", "ESP_TICK", 2 * time.Second, &c.app.Tick, "how often the scheduler looks for due work"},
		{"token-ttl", "ESP_TOKEN_TTL", time.Hour, &c.app.TokenTTL, "lifetime of API bearer tokens"},
		{"session-idle", "ESP_SESSION_IDLE", def.SessionIdle, &c.app.Lifecycle.SessionIdle, "end web sessions unused this long"},
		{"session-max", "ESP_SESSION_MAX", def.SessionMax, &c.app.Lifecycle.SessionMax, "end any web session this old"},
		{"read-timeout", "ESP_READ_TIMEOUT", 30 * time.Second, &c.app.ReadTimeout, "longest time a client may take to send a whole request"},
		{"export-stall-timeout", "ESP_EXPORT_STALL_TIMEOUT", httpx.DefaultStallTimeout, &c.app.API.ExportStallTimeout, "an export whose client reads nothing for this long is cut off"},
		{"claim-lease", "ESP_CLAIM_LEASE", def.Lease, &c.app.Lifecycle.Lease, "how long a claim on a credential lasts unless its holder renews it (every third of it while the activator runs)"},
	}
}

// otherFlags defines serve's flags that are not durations, each writing
// into c but --trusted-proxies, whose text it returns to be parsed.
func (c *serveConfig) otherFlags(e env, fs *flag.FlagSet) *string {
	fs.StringVar(&c.addr, "addr", envOr(e, "ESP_ADDR", "127.0.0.1:8080"), "listen address (env ESP_ADDR)")
	fs.StringVar(&c.activator, "activator", envOr(e, "ESP_ACTIVATOR", "local"), "local or webhook (env ESP_ACTIVATOR)")
	fs.BoolVar(&c.app.Admin.SecureCookies, "secure-cookies", envOr(e, "ESP_SECURE_COOKIES", "") == "true", "mark cookies Secure (behind a TLS-terminating proxy; env ESP_SECURE_COOKIES=true)")
	fs.StringVar(&c.webhookURL, "webhook-url", envOr(e, "ESP_WEBHOOK_URL", ""), "the webhook activator's URL (env ESP_WEBHOOK_URL)")
	fs.StringVar(&c.webhookSecret, "webhook-secret", envOr(e, "ESP_WEBHOOK_SECRET", ""), "key of the HMAC-SHA256 signature of each webhook event, at least 16 characters; unset: events go unsigned (env ESP_WEBHOOK_SECRET)")
	fs.StringVar(&c.tlsCert, "tls-cert", envOr(e, "ESP_TLS_CERT", ""), "serve HTTPS with this PEM certificate (chain) file; needs --tls-key (env ESP_TLS_CERT)")
	fs.StringVar(&c.tlsKey, "tls-key", envOr(e, "ESP_TLS_KEY", ""), "the PEM private key file of --tls-cert (env ESP_TLS_KEY)")
	fs.StringVar(&c.metricsAddr, "metrics-addr", envOr(e, "ESP_METRICS_ADDR", ""), "serve Prometheus metrics at /metrics on this address; off when empty (env ESP_METRICS_ADDR)")
	proxies := fs.String("trusted-proxies", envOr(e, "ESP_TRUSTED_PROXIES", ""), "comma-separated CIDR ranges or addresses of the load balancers whose X-Forwarded-For gives the client address; none when empty (env ESP_TRUSTED_PROXIES)")
	fs.StringVar(&c.smtpURL, "smtp-url", envOr(e, "ESP_SMTP_URL", ""), "send email notifications through this server: smtp://[USER:PASS@]HOST[:PORT] (STARTTLS when offered) or smtps://...; off when empty (env ESP_SMTP_URL)")
	fs.StringVar(&c.mailFrom, "mail-from", envOr(e, "ESP_MAIL_FROM", ""), "the From address of email notifications (env ESP_MAIL_FROM)")
	fs.StringVar(&c.publicURL, "public-url", envOr(e, "ESP_PUBLIC_URL", ""), "where users reach ESP, e.g. https://esp.example.com, for links in email notifications and the API base URL the window shows (env ESP_PUBLIC_URL)")
	fs.StringVar(&c.scanningKeys, "secret-scanning-keys", envOr(e, "ESP_SECRET_SCANNING_KEYS", ""), "a file or https URL of GitHub's secret scanning public keys; turns on POST /api/v1/secret-scanning/github; off when empty (env ESP_SECRET_SCANNING_KEYS)")
	fs.StringVar(&c.logFormat, "log-format", envOr(e, "ESP_LOG_FORMAT", "text"), "text or json (env ESP_LOG_FORMAT)")
	fs.StringVar(&c.accessLog, "access-log", envOr(e, "ESP_ACCESS_LOG", "auto"), "a log line per request: on, off, or auto, which is off for text logs to an interactive terminal and on otherwise (env ESP_ACCESS_LOG)")
	return proxies
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
	if cfg.activator == "webhook" {
		w, err := webhook.New(cfg.webhookURL, webhook.WithSecret(cfg.webhookSecret))
		if err != nil {
			return usageError{"serve: " + err.Error()}
		}
		cfg.app.Activator = w
	}
	log := newLogger(e.stderr, cfg.logFormat)
	if cfg.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.tlsCert, cfg.tlsKey)
		if err != nil {
			return fmt.Errorf("serve: cannot use the TLS certificate %s and key %s: %v", cfg.tlsCert, cfg.tlsKey, err)
		}
		cfg.app.TLS = serverTLS(cert)
	}
	if cfg.scanningKeys != "" {
		keys, err := api.NewScanningKeys(ctx, api.ScanningKeysConfig{Source: cfg.scanningKeys})
		if err != nil {
			return fmt.Errorf("serve: --secret-scanning-keys (or ESP_SECRET_SCANNING_KEYS): %v", err)
		}
		cfg.app.API.ScanningKeys = keys
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
	a, err := app.New(st, cfg.app, log, time.Now)
	if err != nil {
		return err
	}
	if err := firstRun(ctx, e, st, a.Accounts, cfg.db); err != nil {
		return err
	}
	announce(e, log, cfg, ln, metricsLn)
	return a.Run(ctx, ln, metricsLn)
}

// announce says where the server answers, on the console and in the log.
func announce(e env, log *slog.Logger, cfg serveConfig, ln, metricsLn net.Listener) {
	announceMail(e, log, cfg)
	if metricsLn != nil {
		fmt.Fprintf(e.stdout, "Prometheus metrics at http://%s/metrics\n", metricsLn.Addr())
		log.Info("serving metrics", "addr", metricsLn.Addr().String())
	}
	if cfg.app.API.ScanningKeys == nil {
		fmt.Fprintln(e.stdout, "Secret scanning is off: leaked keys are not deactivated (set --secret-scanning-keys or ESP_SECRET_SCANNING_KEYS)")
		log.Info("secret scanning is off")
	} else {
		log.Info("secret scanning is on", "keys", cfg.scanningKeys)
	}
	scheme := "http"
	if cfg.app.TLS != nil {
		scheme = "https"
	}
	if cfg.app.NoAccessLog && cfg.accessLog == "auto" {
		fmt.Fprintln(e.stdout, "Request log lines are off on this terminal (--access-log on or ESP_ACCESS_LOG=on shows them)")
	}
	fmt.Fprintf(e.stdout, "ESP is running at %s://%s (%s; Ctrl+C stops it)\n", scheme, ln.Addr(), cfg.db.describe())
	log.Info("serving", "addr", ln.Addr().String(), "tls", cfg.app.TLS != nil, "activator", cfg.activator,
		"trusted_proxies", cfg.app.TrustedProxies.String())
	if w, ok := cfg.app.Activator.(*webhook.Activator); ok && !w.Signed() {
		log.Warn("webhook events are not signed: the gateway cannot tell them from forged ones; set --webhook-secret (or ESP_WEBHOOK_SECRET)")
	}
}

// announceMail says whether email notifications are on, and through which
// server (its URL without user and password).
func announceMail(e env, log *slog.Logger, cfg serveConfig) {
	if cfg.app.Mail == nil {
		fmt.Fprintln(e.stdout, "Email notifications are off (no --smtp-url)")
		log.Info("email notifications are off: no --smtp-url")
		return
	}
	shown := "the SMTP server"
	if u, err := url.Parse(cfg.app.Mail.SMTPURL); err == nil {
		shown = webhook.Redact(u)
	}
	fmt.Fprintf(e.stdout, "Email notifications go out through %s from %s\n", shown, cfg.app.Mail.From)
	log.Info("email notifications are on", "smtp", shown, "from", cfg.app.Mail.From, "public_url", cfg.app.Mail.PublicURL)
}

// accessLogOff decides whether esp serve leaves out its log line per
// request. --access-log on or off says so. auto, the default, leaves them
// out of text logs written to an interactive terminal, where they would at
// once scroll the first-run passwords and the server's address out of
// sight; JSON logs, and logs to a file, a pipe or a journal, keep them.
func accessLogOff(mode, format string, terminal bool) bool {
	switch mode {
	case "on":
		return false
	case "off":
		return true
	}
	return terminal && format == "text"
}

// interactive reports whether the stream is a terminal (a character
// device; the null device counts too, which loses nothing).
func interactive(stream any) bool {
	f, ok := stream.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// newLogger is the server's logger: slog's text or JSON lines on w.
func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}
