package web_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"esp/web"
	"esp/web/httpx"
	"esp/web/internal/webtest"
)

// No router of the server believes X-Forwarded-For or X-Real-IP from a
// peer that is not a trusted proxy (Echo does, from anyone, when a router
// has no IPExtractor): not by default, and not from outside the trusted
// ranges.
func TestNoRouterBelievesForwardingHeadersFromAnyone(t *testing.T) {
	env := webtest.NewEnv(t)
	proxies, err := httpx.ParseTrustedProxies("10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	for name, srv := range map[string]*web.Server{
		"default":         env.Server,
		"proxies trusted": web.New(slog.New(slog.DiscardHandler), env.Admin, env.API, web.Options{TrustedProxies: proxies}),
	} {
		for i, e := range web.Routers(srv) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.RemoteAddr = "198.51.100.9:5000"
			req.Header.Set("X-Forwarded-For", "203.0.113.9")
			req.Header.Set("X-Real-IP", "203.0.113.10")
			if got := e.NewContext(req, httptest.NewRecorder()).RealIP(); got != "198.51.100.9" {
				t.Errorf("%s, router %d: RealIP %q, want the peer 198.51.100.9", name, i, got)
			}
		}
	}
}

// The access log names the client address the rate limits count: the
// peer, or from a trusted proxy the client X-Forwarded-For names; a
// trusted proxy's X-Request-Id is kept too.
func TestAccessLogNamesTheClientAddress(t *testing.T) {
	proxies, err := httpx.ParseTrustedProxies("10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name           string
		proxies        httpx.TrustedProxies
		peer, xff, rid string
		client         string
		keptID         bool
	}{
		{"default, no header", httpx.TrustedProxies{}, "192.0.2.1:1234", "", "lb-1", "192.0.2.1", false},
		{"default, header ignored", httpx.TrustedProxies{}, "10.0.0.2:1234", "203.0.113.9", "lb-1", "10.0.0.2", false},
		{"trusted proxy", proxies, "10.0.0.2:1234", "198.51.100.1, 203.0.113.9", "lb-1", "203.0.113.9", true},
		{"trusted proxy, malformed header", proxies, "10.0.0.2:1234", "203.0.113.9, ???", "lb-1", "10.0.0.2", true},
		{"untrusted peer", proxies, "198.51.100.9:1234", "203.0.113.9", "lb-1", "198.51.100.9", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := webtest.NewEnv(t, func(c *webtest.Config) { c.JSONLogs, c.TrustedProxies = true, tc.proxies })
			for _, path := range []string{"/healthz", "/api/v1/plans"} {
				before := len(env.Logs.String())
				req := httptest.NewRequest(http.MethodGet, path, nil)
				req.RemoteAddr = tc.peer
				req.Header.Set("X-Request-Id", tc.rid)
				if tc.xff != "" {
					req.Header.Set("X-Forwarded-For", tc.xff)
				}
				rec := env.Do(req)
				lines := accessLines(t, env.Logs.String()[before:])
				if len(lines) != 1 {
					t.Fatalf("%s: %d access log lines, want 1", path, len(lines))
				}
				if lines[0]["client"] != tc.client {
					t.Errorf("%s: logged client %v, want %s", path, lines[0]["client"], tc.client)
				}
				if kept := rec.Header().Get("X-Request-Id") == tc.rid; kept != tc.keptID {
					t.Errorf("%s: X-Request-Id %q, want kept=%v", path, rec.Header().Get("X-Request-Id"), tc.keptID)
				}
			}
		})
	}
}
