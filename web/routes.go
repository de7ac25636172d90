package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// routes lists the whole HTTP surface.
func (s *Server) routes() {
	e := s.echo

	// Pages and the API Credentials window (session, CSRF).
	s.adminRoutes()

	// The public API (bearer tokens, JSON errors).
	s.apiRoutes()

	// Health.
	e.Match([]string{http.MethodGet, http.MethodHead}, "/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok\n") })
}
