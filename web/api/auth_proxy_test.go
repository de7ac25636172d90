package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"esp/lifecycle"
	"esp/web/httpx"
	"esp/web/internal/webtest"
)

// badTokenFrom is a request with an unknown bearer token from peer, with
// X-Forwarded-For xff when not empty.
func badTokenFrom(peer, xff string) *http.Request {
	req := webtest.NewGet("/api/v1/plans", "esptk_"+strings.Repeat("A", 43))
	req.RemoteAddr = peer
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	return req
}

// Behind a trusted load balancer each API client has its own allowance of
// failed authentications; a connection that is not a trusted proxy is
// counted by its own address whatever X-Forwarded-For it sends.
func TestAPIFailedAuthenticationsBehindATrustedProxyAreCountedPerClient(t *testing.T) {
	proxies, err := httpx.ParseTrustedProxies("10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	env := webtest.NewEnv(t, func(c *webtest.Config) { c.TrustedProxies = proxies })
	const clients = 3
	addr := func(i int) string { return fmt.Sprintf("203.0.113.%d", 10+i) }
	for round := range 20 {
		for i := range clients {
			rec := env.Do(badTokenFrom("10.0.0.2:5000", "198.51.100.1, "+addr(i)))
			if rec.Code != http.StatusUnauthorized {
				t.Fatalf("client %s, failure %d: status %d, want 401", addr(i), round+1, rec.Code)
			}
		}
	}
	for i := range clients {
		webtest.MustAPIError(t, env.Do(badTokenFrom("10.0.0.3:5000", addr(i))), http.StatusTooManyRequests, "rate_limited")
	}
	// A new client behind the balancer has its whole allowance.
	webtest.MustAPIError(t, env.Do(badTokenFrom("10.0.0.2:5000", "203.0.113.200")), http.StatusUnauthorized, "invalid_token")

	// An address that is not a balancer: its own failures, whatever it
	// claims to forward.
	for i := range 20 {
		webtest.MustAPIError(t, env.Do(badTokenFrom("198.51.100.9:5000", fmt.Sprintf("192.0.2.%d", i))), http.StatusUnauthorized, "invalid_token")
	}
	webtest.MustAPIError(t, env.Do(badTokenFrom("198.51.100.9:5000", "192.0.2.99")), http.StatusTooManyRequests, "rate_limited")
	keys := webtest.KeyRequest("ESPAK"+strings.Repeat("A", 24), lifecycle.NewSecretKey())
	keys.RemoteAddr = "198.51.100.9:5000"
	keys.Header.Set("X-Forwarded-For", "192.0.2.98")
	webtest.MustAPIError(t, env.Do(keys), http.StatusTooManyRequests, "rate_limited")
}
