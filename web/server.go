// Package web is ESP's HTTP surface: the admin pages, the API Credentials
// window and the public API, served by Echo.
package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"esp/lifecycle"
	"esp/store"
)

// Config is what the server needs to know beyond its dependencies.
type Config struct {
	DataDir string // the session key lives here
	// SecureCookies marks cookies Secure (set when serving over TLS or
	// behind a TLS-terminating proxy).
	SecureCookies bool
	// SessionIdle ends a session unused this long (default 30m);
	// SessionMax ends any session this old (default 12h).
	SessionIdle, SessionMax time.Duration
	// TokenTTL is the lifetime of API bearer tokens (default 1h).
	TokenTTL time.Duration
}

// Server is the Echo application.
type Server struct {
	cfg      Config
	log      *slog.Logger
	store    *store.Store
	lc       *lifecycle.Service
	accounts *lifecycle.Accounts
	now      func() time.Time
	echo     *echo.Echo
	admin    adminState // sessions, CSRF, login limiter (admin_*.go)
	api      apiState   // tokens, API limiter (api_*.go)
	// onKeyLookup, when set (only by tests), runs before each access-key
	// lookup of the token exchange.
	onKeyLookup func()
}

// New builds the server and its routes.
func New(cfg Config, log *slog.Logger, st *store.Store, lc *lifecycle.Service, accounts *lifecycle.Accounts, now func() time.Time) (*Server, error) {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	s := &Server{cfg: cfg, log: log, store: st, lc: lc, accounts: accounts, now: now, echo: e}
	e.HTTPErrorHandler = s.errorHandler
	// A panic in a handler becomes a 500 answer through the error handler,
	// logged without the request's data.
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, DisablePrintStack: true,
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			return fmt.Errorf("web: panic in %s %s: %w", c.Request().Method, c.Path(), err)
		}}))
	if err := s.initAdmin(); err != nil {
		return nil, err
	}
	// After the security headers (the refusal carries them too), before
	// any body is read.
	e.Use(s.refuseCrossOrigin)
	if err := s.initAPI(); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }
