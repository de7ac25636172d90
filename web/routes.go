package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// windowPaths are the API Credentials window's addresses.
var windowPaths = []string{"/api-credentials", "/api-credentials/generate", "/api-credentials/deactivate", "/api-credentials/status",
	historyPath, historyCSVPath}

// routes lists the whole HTTP surface. Middleware that applies to every
// request (security headers, body limits, panic recovery) is set in New,
// initAdmin and initAPI.
func (s *Server) routes() {
	e := s.echo
	get := []string{http.MethodGet, http.MethodHead}
	// Page middleware, in this order: who you are (303 to /login), whether
	// the window exists for you (404), then the CSRF token (403), so that a
	// refused user learns nothing from a 403.
	session, signedIn, window, csrf := s.withSession, s.requireSession, s.requireCredentialsAccess, s.requireCSRF

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
	e.Match(get, "/api-credentials/status", s.credentialsStatus, session, signedIn, window)
	// Reloading or bookmarking the address a form posted to shows the window.
	e.Match(get, "/api-credentials/generate", backToWindow, session, signedIn, window)
	e.Match(get, "/api-credentials/deactivate", backToWindow, session, signedIn, window)
	e.Match(get, historyPath, s.credentialsHistory, session, signedIn, window)
	e.Match(get, historyCSVPath, s.credentialsHistoryCSV, session, signedIn, window)
	// Any other method on its paths, however it is spelled, passes the same
	// checks first, so a visitor who may not see the window gets /login or
	// 404 rather than a 405 that gives it away.
	for _, p := range windowPaths {
		e.RouteNotFound(p, methodNotAllowed(allowedMethods(e, p)), session, signedIn, window)
	}

	// The public API. Token middleware is per route, not per group: an Echo
	// group with middleware would answer 404 instead of 405.
	api := e.Group("/api/v1")
	api.GET("/openapi.json", s.apiOpenAPI)
	api.POST("/token/access-key", s.apiTokenAccessKey)
	api.POST("/oauth/token", s.apiOAuthToken)
	api.GET("/plans", s.apiPlanList, s.requireToken)
	api.GET("/plans/:planID", s.apiPlanGet, s.requireToken)
	api.GET("/plans/:planID/data", s.apiPlanData, s.requireToken)
	api.GET("/plans/:planID/export", s.apiPlanExport, s.requireToken)

	// Embedded CSS, JS and icon.
	e.Match(get, "/static/*", s.staticFile)
	e.Match(get, "/favicon.ico", s.favicon)

	// Health.
	e.Match(get, "/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok\n") })
}
