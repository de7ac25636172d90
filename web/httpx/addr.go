package httpx

import (
	"net"

	"github.com/labstack/echo/v4"
)

// ClientAddr is the address logins and failed authentications are counted
// against: the connection's peer, unless the router was configured with an
// IPExtractor for a trusted proxy (X-Forwarded-For is not trusted by
// default, or anyone could dodge the limits by inventing addresses).
func ClientAddr(c echo.Context) string {
	if c.Echo().IPExtractor != nil {
		return c.RealIP()
	}
	r := c.Request()
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
