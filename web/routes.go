package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"esp/web/admin"
	"esp/web/api"
	"esp/web/httpx"
)

// routes lists the whole HTTP surface. One address serves two routers: the
// public API's for /api/ and below, the admin's for everything else. Each
// answers its own errors, unknown addresses and wrong methods, in its own
// shape: JSON for the API, pages for the admin. Their routes' middleware is
// set here, beside the routes; what every request gets (the access log
// with its request id and metrics, panic recovery, the security headers, a
// bounded body) is set in New. Every GET route answers HEAD too, with the
// same status and headers and no body. The metrics have a listener of
// their own (--metrics-addr), never this address.
func (s *Server) routes(a *admin.Handlers, p *api.Handlers) {
	mount(s.echo, "/api/*", s.public)
	mount(s.echo, "/*", s.admin)

	e := s.admin
	get := []string{http.MethodGet, http.MethodHead}
	// Every admin answer is personal or carries CSRF tokens, so none may be
	// cached (static files revalidate instead); a change sent from another
	// site's page is refused before its body is read; a body longer than
	// the limit is refused, and forms are parsed.
	e.Use(httpx.NoStore, httpx.RefuseCrossOrigin, httpx.RefuseLongBody, httpx.ParseForms)
	// Page middleware, in this order: who you are (303 to /login), whether
	// the window exists for you (404), then the CSRF token (403), so that a
	// refused user learns nothing from a 403.
	session, signedIn, window, csrf := a.WithSession, a.RequireSession, a.RequireCredentialsAccess, a.RequireCSRF
	// The live status is JSON for the window's script, its refusals too: a
	// script cannot follow a redirect to the login page.
	status := []echo.MiddlewareFunc{admin.AnswersJSON, session, signedIn, window}

	// Sign in and out. Logins are counted by outcome.
	e.Match(get, "/login", a.LoginPage, session)
	e.POST("/login", a.Login, session, s.countLogins())
	e.POST("/logout", a.Logout, session, signedIn, csrf)

	// Pages.
	e.Match(get, "/", a.Home, session, signedIn)

	// The API Credentials window.
	e.Match(get, "/api-credentials", a.CredentialsWindow, session, signedIn, window)
	e.POST("/api-credentials/generate", a.CredentialsGenerate, session, signedIn, window, csrf)
	e.POST("/api-credentials/deactivate", a.CredentialsDeactivate, session, signedIn, window, csrf)
	e.Match(get, "/api-credentials/status", a.CredentialsStatus, status...)
	// Reloading or bookmarking the address a form posted to shows the window.
	e.Match(get, "/api-credentials/generate", admin.BackToWindow, session, signedIn, window)
	e.Match(get, "/api-credentials/deactivate", admin.BackToWindow, session, signedIn, window)
	e.Match(get, "/api-credentials/history", a.CredentialsHistory, session, signedIn, window)
	e.Match(get, "/api-credentials/history.csv", a.CredentialsHistoryCSV, session, signedIn, window)
	e.Match(get, "/api-credentials/allowed-ips", a.AllowedIPsPage, session, signedIn, window)
	e.POST("/api-credentials/allowed-ips", a.AllowedIPsSave, session, signedIn, window, csrf)
	// Any other method on its paths, however it is spelled, passes the same
	// checks first, so a visitor who may not see the window gets /login or
	// 404 rather than a 405 that gives it away.
	for _, path := range []string{"/api-credentials", "/api-credentials/generate", "/api-credentials/deactivate",
		"/api-credentials/history", "/api-credentials/history.csv", "/api-credentials/allowed-ips"} {
		e.RouteNotFound(path, methodNotAllowed(allowedMethods(e, path)), session, signedIn, window)
	}
	e.RouteNotFound("/api-credentials/status", methodNotAllowed(allowedMethods(e, "/api-credentials/status")), status...)

	// The public API. The token routes read their bodies themselves and
	// answer a too-long one in their own shape, and refuse a request from
	// another site's page (API clients are not browsers); the OAuth token
	// route answers its errors as RFC 6749 says. Token exchanges and failed
	// authentications are counted. Middleware is per route, not per group:
	// an Echo group with middleware would answer 404 instead of 405.
	v1 := s.public.Group("/api/v1")
	read := []echo.MiddlewareFunc{httpx.RefuseLongBody, s.countTokens(), p.RequireToken}
	v1.Match(get, "/openapi.json", p.OpenAPI, httpx.RefuseLongBody)
	s.public.Match(get, api.DocsURL, p.Docs, httpx.RefuseLongBody) // the document as a page, for people
	v1.POST("/token/access-key", p.TokenAccessKey, httpx.RefuseCrossOrigin, s.countExchanges())
	v1.POST("/oauth/token", p.OAuthToken, httpx.RenderErrorsWith(api.RenderOAuthError), httpx.RefuseCrossOrigin, s.countExchanges())
	v1.Match(get, "/plans", p.PlanList, read...)
	v1.Match(get, "/plans/:planID", p.PlanGet, read...)
	v1.Match(get, "/plans/:planID/data", p.PlanData, read...)
	v1.Match(get, "/plans/:planID/export", p.PlanExport, read...)
	// Leak reports from GitHub's secret scanning: signed by GitHub, not by
	// a browser; their bodies may be up to 1 MiB, which the handler reads
	// and answers itself.
	v1.POST("/secret-scanning/github", p.SecretScanningGitHub, httpx.AllowBody(api.MaxReportBody+1))

	// Embedded CSS, JS and icon.
	e.Match(get, "/static/*", a.StaticFile)
	e.Match(get, "/favicon.ico", a.Favicon)

	// Health: /healthz says the process answers, /readyz that it can reach
	// its database too (503 while it cannot).
	e.Match(get, "/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok\n") })
	e.Match(get, "/readyz", s.ready)
}

// ready is GET /readyz: 200 when the database answers a ping (bounded by a
// short timeout), else 503 with Retry-After.
func (s *Server) ready(c echo.Context) error {
	if s.db != nil {
		if err := s.db.Ping(c.Request().Context()); err != nil {
			c.Response().Header().Set("Retry-After", httpx.RetryAfterUnavailable)
			return c.String(http.StatusServiceUnavailable, "database unavailable\n")
		}
	}
	return c.String(http.StatusOK, "ok\n")
}
