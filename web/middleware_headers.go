package web

import (
	"strings"

	"github.com/labstack/echo/v4"
)

// contentSecurityPolicy allows only our own files: no inline script or
// style, no plugins, no framing, and forms may post only to us.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the browser protections on every response, error
// pages included. Pages are personal or carry CSRF tokens, so nothing but
// the static files may be cached; the public API sets its own caching.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if p := c.Request().URL.Path; !strings.HasPrefix(p, "/static/") && !strings.HasPrefix(p, "/api/") {
			h.Set(echo.HeaderCacheControl, "no-store")
		}
		return next(c)
	}
}
