package web

import (
	"net/http"

	"esp/web/httpx"

	"github.com/labstack/echo/v4"
)

// routes lists the whole HTTP surface. One address serves two routers: the
// public API's for /api/ and below, the admin's for everything else. Each
// answers its own errors, unknown addresses and wrong methods, in its own
// shape: JSON for the API, pages for the admin. Their routes' middleware is
// set here, beside the routes; what every request gets (panic recovery,
// the security headers, a bounded body) is set in New.
func (s *Server) routes() {
	mount(s.echo, "/api/*", s.public)
	mount(s.echo, "/*", s.pages)

	e := s.pages
	get := []string{http.MethodGet, http.MethodHead}
	// Every admin answer is personal or carries CSRF tokens, so none may be
	// cached (static files revalidate instead); a change sent from another
	// site's page is refused before its body is read; a body longer than
	// the limit is refused, and forms are parsed.
	e.Use(httpx.NoStore, httpx.RefuseCrossOrigin, httpx.RefuseLongBody, httpx.ParseForms)
	// Page middleware, in this order: who you are (303 to /login), whether
	// the window exists for you (404), then the CSRF token (403), so that a
	// refused user learns nothing from a 403.
	session, signedIn, window, csrf := s.withSession, s.requireSession, s.requireCredentialsAccess, s.requireCSRF
	// The live status is JSON for the window's script, its refusals too: a
	// script cannot follow a redirect to the login page.
	status := []echo.MiddlewareFunc{answersJSON, session, signedIn, window}

	// Sign in and out.
	e.Match(get, "/login", s.loginPage, session)
	e.POST("/login", s.login, session)
	e.POST("/logout", s.logout, session, signedIn, csrf)

	// Pages.
	e.Match(get, "/", s.home, session, signedIn)

	// The API Credentials window.
	e.Match(get, "/api-credentials", s.credentialsWindow, session, signedIn, window)
	e.POST("/api-credentials/generate", s.credentialsGenerate, session, signedIn, window, csrf)
	e.POST("/api-credentials/deactivate", s.credentialsDeactivate, session, signedIn, window, csrf)
	e.Match(get, "/api-credentials/status", s.credentialsStatus, status...)
	// Reloading or bookmarking the address a form posted to shows the window.
	e.Match(get, "/api-credentials/generate", backToWindow, session, signedIn, window)
	e.Match(get, "/api-credentials/deactivate", backToWindow, session, signedIn, window)
	e.Match(get, "/api-credentials/history", s.credentialsHistory, session, signedIn, window)
	e.Match(get, "/api-credentials/history.csv", s.credentialsHistoryCSV, session, signedIn, window)
	// Any other method on its paths, however it is spelled, passes the same
	// checks first, so a visitor who may not see the window gets /login or
	// 404 rather than a 405 that gives it away.
	for _, p := range []string{"/api-credentials", "/api-credentials/generate", "/api-credentials/deactivate",
		"/api-credentials/history", "/api-credentials/history.csv"} {
		e.RouteNotFound(p, methodNotAllowed(allowedMethods(e, p)), session, signedIn, window)
	}
	e.RouteNotFound("/api-credentials/status", methodNotAllowed(allowedMethods(e, "/api-credentials/status")), status...)

	// The public API. The token routes read their bodies themselves and
	// answer a too-long one in their own shape, and refuse a request from
	// another site's page (API clients are not browsers); the OAuth token
	// route answers its errors as RFC 6749 says. Middleware is per route,
	// not per group: an Echo group with middleware would answer 404 instead
	// of 405.
	api := s.public.Group("/api/v1")
	read := []echo.MiddlewareFunc{httpx.RefuseLongBody, s.requireToken}
	api.GET("/openapi.json", s.apiOpenAPI, httpx.RefuseLongBody)
	api.POST("/token/access-key", s.apiTokenAccessKey, httpx.RefuseCrossOrigin)
	api.POST("/oauth/token", s.apiOAuthToken, httpx.RenderErrorsWith(s.renderOAuthError), httpx.RefuseCrossOrigin)
	api.GET("/plans", s.apiPlanList, read...)
	api.GET("/plans/:planID", s.apiPlanGet, read...)
	api.GET("/plans/:planID/data", s.apiPlanData, read...)
	api.GET("/plans/:planID/export", s.apiPlanExport, read...)

	// Embedded CSS, JS and icon.
	e.Match(get, "/static/*", s.staticFile)
	e.Match(get, "/favicon.ico", s.favicon)

	// Health.
	e.Match(get, "/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok\n") })
}
