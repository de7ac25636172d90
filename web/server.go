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
	"esp/web/httpx"
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

// Server is ESP's HTTP surface: one address, with a router for each of its
// two parts (see routes).
type Server struct {
	cfg      Config
	log      *slog.Logger
	store    *store.Store
	lc       *lifecycle.Service
	accounts *lifecycle.Accounts
	now      func() time.Time
	echo     *echo.Echo // hands each request to the router of its part
	pages    *echo.Echo // the admin pages, the window, static files, health
	public   *echo.Echo // the public API
	admin    adminState // sessions, CSRF, login limiter (admin_*.go)
	api      apiState   // tokens, API limiter (api_*.go)
	// onKeyLookup, when set (only by tests), runs before each access-key
	// lookup of the token exchange.
	onKeyLookup func()
}

// New builds the server and its routes.
func New(cfg Config, log *slog.Logger, st *store.Store, lc *lifecycle.Service, accounts *lifecycle.Accounts, now func() time.Time) (*Server, error) {
	s := &Server{cfg: cfg, log: log, store: st, lc: lc, accounts: accounts, now: now, echo: echo.New()}
	s.echo.HideBanner, s.echo.HidePort = true, true
	// Every answer, of either part, carries the browser protections, and
	// every request body is bounded (here, where the writer is the server's
	// own, so that a body found too long also closes the connection).
	s.echo.Use(httpx.SecurityHeaders, httpx.BoundBody)
	s.pages = s.newRouter(s.renderErrorPage)
	s.public = s.newRouter(s.renderAPIError)
	if err := s.initAdmin(); err != nil {
		return nil, err
	}
	s.initAPI()
	s.routes()
	return s, nil
}

// newRouter is an Echo router whose errors render answers, unless the
// route chose its own renderer (renderErrorsWith).
func (s *Server) newRouter(render httpx.Renderer) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	// Client addresses come from the connection only: X-Forwarded-For and
	// X-Real-IP are set by whoever sends the request, so trusting them would
	// let anyone dodge the failed-login and failed-authentication limits.
	e.IPExtractor = echo.ExtractIPDirect()
	e.HTTPErrorHandler = httpx.ErrorHandler(s.log, render)
	// A panic in a handler becomes a 500 answer through the error handler,
	// logged without the request's data.
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, DisablePrintStack: true,
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			return fmt.Errorf("web: panic in %s %s: %w", c.Request().Method, c.Path(), err)
		}}))
	return e
}

// mount hands every request that pattern matches, whatever its method, to
// the router r.
func mount(e *echo.Echo, pattern string, r *echo.Echo) {
	h := echo.WrapHandler(r)
	e.Any(pattern, h)
	e.RouteNotFound(pattern, h) // the methods Any does not list
}

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }
