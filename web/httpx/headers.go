package httpx

import (
	"github.com/labstack/echo/v4"
)

// contentSecurityPolicy allows only our own files: no inline script or
// style, no plugins, no framing, and forms may post only to us.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// strictTransportSecurity tells a browser to reach this host, and its
// subdomains, only over HTTPS for the next two years.
const strictTransportSecurity = "max-age=63072000; includeSubDomains"

// SecurityHeaders sets the browser protections on every response, error
// pages included. An answer over TLS also carries Strict-Transport-Security
// (never one over plain HTTP, where RFC 6797 says a browser must ignore it).
func SecurityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		if c.Request().TLS != nil {
			h.Set("Strict-Transport-Security", strictTransportSecurity)
		}
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		return next(c)
	}
}

// NoStore keeps every answer of the routes it guards out of caches: pages
// are personal or carry CSRF tokens. A handler may set its own caching
// instead (the static files do).
func NoStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		return next(c)
	}
}
