// Package admin is the web admin: the login, sessions and CSRF tokens, the
// pages, and the API Credentials window with its history. Its handlers and
// middleware are registered by web's route table.
package admin

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/sessions"

	"esp/lifecycle"
	"esp/store"
	"esp/web/httpx"
)

// Config is what the admin needs to know beyond its dependencies.
type Config struct {
	DataDir string // the session key file lives here, unless Keys says otherwise
	// Keys is where the session and CSRF keys are kept; nil is
	// KeyFile(DataDir).
	Keys KeySource
	// Limits makes the login limit; nil keeps it in this process.
	Limits httpx.NewLimit
	// SecureCookies marks cookies Secure (set when serving over TLS or
	// behind a TLS-terminating proxy).
	SecureCookies bool
	// SessionIdle ends a session unused this long (default 30m);
	// SessionMax ends any session this old (default 12h).
	SessionIdle, SessionMax time.Duration
}

// Handlers are the admin's handlers and middleware, and what they keep
// between requests.
type Handlers struct {
	log        *slog.Logger
	store      *store.Store
	lc         *lifecycle.Service
	accounts   *lifecycle.Accounts
	now        func() time.Time
	cookies    *sessions.CookieStore
	verified   *verifiedCookies // decoded cookies, see session_cookiecache.go
	csrfKey    []byte
	idle, max  time.Duration
	loginLimit httpx.AttemptLimit
	checks     passwordChecks // bounds the password checks running at once
	plans      planLister
	static     map[string]staticFile
}

// Defaults for Config fields left zero.
const (
	defaultSessionIdle = 30 * time.Minute
	defaultSessionMax  = 12 * time.Hour
	// Logins per client address: 10 at once, then one every 6s. A login
	// takes its attempt before the password is checked; a right password
	// gives it back.
	loginBurst = 10
	loginEvery = 6 * time.Second
	// How long reading (or making) the session keys may take at start.
	keyLoadTimeout = 30 * time.Second
	// How long a login waits for a free password check before it is
	// refused with 503.
	passwordCheckWait = 5 * time.Second
)

// LoginLimit is the name of the login limit, for Config.Limits.
const LoginLimit = "login"

// New builds the admin's handlers. It reads the session keys (creating them
// on first start) and the embedded static files.
func New(cfg Config, log *slog.Logger, st *store.Store, lc *lifecycle.Service, accounts *lifecycle.Accounts, now func() time.Time) (*Handlers, error) {
	if cfg.Keys == nil {
		cfg.Keys = KeyFile(cfg.DataDir)
	}
	if cfg.Limits == nil {
		cfg.Limits = httpx.MemoryLimits(now)
	}
	ctx, cancel := context.WithTimeout(context.Background(), keyLoadTimeout)
	defer cancel()
	keys, err := cfg.Keys.load(ctx, log)
	if err != nil {
		return nil, err
	}
	a := &Handlers{log: log, store: st, lc: lc, accounts: accounts, now: now}
	a.idle, a.max = cfg.SessionIdle, cfg.SessionMax
	if a.idle <= 0 {
		a.idle = defaultSessionIdle
	}
	if a.max <= 0 {
		a.max = defaultSessionMax
	}
	a.cookies = sessions.NewCookieStore(keys.Hash, keys.Block)
	a.verified = newVerifiedCookies()
	// The signed timestamp inside the cookie expires with the absolute
	// timeout too; the server-side row is what really decides.
	a.cookies.MaxAge(int(a.max / time.Second))
	a.cookies.Options = &sessions.Options{Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: cfg.SecureCookies}
	a.csrfKey = keys.CSRF
	a.loginLimit = cfg.Limits(LoginLimit, loginEvery, loginBurst)
	a.checks = newPasswordChecks(defaultPasswordChecks(), passwordCheckWait)
	a.plans = storePlans{st}
	if a.static, err = loadStatic(); err != nil {
		return nil, err
	}
	return a, nil
}
