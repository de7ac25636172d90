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
	"esp/web/httpx"
)

// Config is what the admin needs to know beyond its dependencies.
type Config struct {
	DataDir string // the session key file lives here, unless Keys says otherwise
	// Keys is where the session and CSRF keys are kept; nil is
	// KeyFile(DataDir).
	Keys KeySource
	// Limits makes the login limit; nil keeps it in this process, by the
	// real clock.
	Limits httpx.NewLimit
	// SecureCookies marks cookies Secure (set when serving over TLS or
	// behind a TLS-terminating proxy).
	SecureCookies bool
	// PublicURL, when set, is where users reach ESP (--public-url): the
	// window names the API's base URL under it.
	PublicURL string
}

// Handlers are the admin's handlers and middleware, and what they keep
// between requests.
type Handlers struct {
	log        *slog.Logger
	lc         *lifecycle.Service
	accounts   *lifecycle.Accounts
	sessions   Sessions
	plans      Plans
	cookies    *sessions.CookieStore
	verified   *verifiedCookies // decoded cookies, see session_cookiecache.go
	csrfKey    []byte
	loginLimit httpx.AttemptLimit
	checks     passwordChecks // bounds the password checks running at once
	static     map[string]staticFile
	publicURL  string
}

// Plans lists a tenant's plans (lifecycle.Plans), for the home page and
// behind the window.
type Plans interface {
	List(ctx context.Context, tenantID int64) ([]lifecycle.Plan, error)
}

const (
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

// New builds the admin's handlers over the use cases they call. It reads
// the session keys (creating them on first start) and the embedded static
// files.
func New(cfg Config, log *slog.Logger, lc *lifecycle.Service, accounts *lifecycle.Accounts, sess Sessions, plans Plans) (*Handlers, error) {
	if cfg.Keys == nil {
		cfg.Keys = KeyFile(cfg.DataDir)
	}
	if cfg.Limits == nil {
		cfg.Limits = httpx.MemoryLimits(time.Now)
	}
	ctx, cancel := context.WithTimeout(context.Background(), keyLoadTimeout)
	defer cancel()
	keys, err := cfg.Keys.load(ctx, log)
	if err != nil {
		return nil, err
	}
	a := &Handlers{log: log, lc: lc, accounts: accounts, sessions: sess, plans: plans, publicURL: cfg.PublicURL}
	a.cookies = sessions.NewCookieStore(keys.Hash, keys.Block)
	a.verified = newVerifiedCookies()
	// The signed timestamp inside the cookie expires with the absolute
	// timeout too; the server-side row is what really decides.
	a.cookies.MaxAge(int(sess.MaxAge() / time.Second))
	a.cookies.Options = &sessions.Options{Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: cfg.SecureCookies}
	a.csrfKey = keys.CSRF
	a.loginLimit = cfg.Limits(LoginLimit, loginEvery, loginBurst)
	a.checks = newPasswordChecks(defaultPasswordChecks(), passwordCheckWait)
	if a.static, err = loadStatic(); err != nil {
		return nil, err
	}
	return a, nil
}
