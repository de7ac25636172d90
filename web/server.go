// Package web is ESP's HTTP surface: the admin pages (web/admin) and the
// public API (web/api) behind one address, with the plumbing they share
// (web/httpx), served by Echo.
package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"esp/web/admin"
	"esp/web/api"
	"esp/web/httpx"
)

// Server is ESP's HTTP surface: one address, with a router for each of its
// two parts (see routes).
type Server struct {
	echo   *echo.Echo // hands each request to the router of its part
	admin  *echo.Echo // the admin pages, the window, static files, health
	public *echo.Echo // the public API
	obs    Observer
	db     Database // nil: /readyz answers 200
}

// Database is what the server asks of the database itself: whether it can
// be reached (/readyz), and which errors say it cannot (store.Store's
// Ping and Reach).
type Database interface {
	Ping(ctx context.Context) error
	Reach(err error) error
}

// Observer is what the server tells the metrics: every answered request,
// and what came of logins, token exchanges and authentications. Its
// arguments are the fixed words of metrics_outcomes.go, never a request's data.
type Observer interface {
	httpx.RequestObserver
	Login(outcome string)
	TokenExchange(outcome string)
	AuthenticationFailed(kind string)
	RateLimited(limit string)
}

// Options are the server's settings beyond its two parts.
type Options struct {
	// Observer hears what the metrics count; nil, nothing is counted.
	Observer Observer
	// TrustedProxies are the load balancers whose X-Forwarded-For gives
	// the client address (the rate limits' key, the access log's client);
	// the zero value trusts none, and the address is the connection's peer.
	TrustedProxies httpx.TrustedProxies
	// TrustRequestID reports whether a request came through a trusted
	// proxy, whose X-Request-Id then names the request in the access log;
	// nil trusts the TrustedProxies, and with none every request gets a
	// new id.
	TrustRequestID func(*http.Request) bool
	// Database answers /readyz and recognises the errors that say it
	// cannot be reached (503 with Retry-After); nil, neither.
	Database Database
	// NoAccessLog writes no line per request (the metrics still count
	// every request): esp serve's choice on an interactive terminal.
	NoAccessLog bool
}

// New builds the server around its two parts, the admin pages and the
// public API, and routes every request to one of them.
func New(log *slog.Logger, pages *admin.Handlers, public *api.Handlers, opts Options) *Server {
	s := &Server{echo: echo.New(), obs: opts.Observer, db: opts.Database}
	if s.obs == nil {
		s.obs = noObserver{}
	}
	s.echo.HideBanner, s.echo.HidePort = true, true
	// Echo without an IPExtractor believes X-Forwarded-For and X-Real-IP
	// from anyone: every router, this one too, gets the trusted proxies'.
	ip := opts.TrustedProxies.IPExtractor()
	s.echo.IPExtractor = ip
	// Every answer, of either part, carries the browser protections, and
	// every request body is bounded (here, where the writer is the server's
	// own, so that a body found too long also closes the connection).
	s.echo.Use(httpx.SecurityHeaders, httpx.BoundBody)
	access := httpx.AccessLogConfig{Observer: s.obs, TrustRequestID: opts.TrustRequestID}
	if access.TrustRequestID == nil && !opts.TrustedProxies.Empty() {
		access.TrustRequestID = opts.TrustedProxies.FromTrustedProxy
	}
	var reach func(error) error
	if s.db != nil {
		reach = s.db.Reach
	}
	accessLog := log
	if opts.NoAccessLog {
		accessLog = slog.New(slog.DiscardHandler)
	}
	s.admin = newRouter(accessLog, httpx.ErrorHandler(log, pages.RenderErrorPage, reach), access, ip)
	s.public = newRouter(accessLog, httpx.ErrorHandler(log, api.RenderError, reach), access, ip)
	s.routes(pages, public)
	return s
}

// newRouter is an Echo router whose errors errs answers (in the route's
// own shape when it chose one: httpx.RenderErrorsWith), and that logs
// one line per request to log. Each request passes through exactly one router,
// the one whose routes know its pattern.
func newRouter(log *slog.Logger, errs echo.HTTPErrorHandler, access httpx.AccessLogConfig, ip echo.IPExtractor) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	// Client addresses come from the connection, or from X-Forwarded-For
	// only when the connection is a trusted proxy's: the header is set by
	// whoever sends the request, so trusting it from anyone would let
	// anyone dodge the failed-login and failed-authentication limits.
	e.IPExtractor = ip
	e.HTTPErrorHandler = errs
	e.Use(httpx.AccessLog(log, access))
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

// methodNotAllowed answers methods a path does not take, after its checks,
// naming in Allow the ones it does.
func methodNotAllowed(allow string) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderAllow, allow)
		return echo.ErrMethodNotAllowed
	}
}

// allowedMethods lists the methods routed for path so far, for Allow.
func allowedMethods(e *echo.Echo, path string) string {
	var ms []string
	for _, r := range e.Routes() {
		if r.Path == path && r.Method != echo.RouteNotFound && !slices.Contains(ms, r.Method) {
			ms = append(ms, r.Method)
		}
	}
	slices.Sort(ms)
	return strings.Join(ms, ", ")
}

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }
