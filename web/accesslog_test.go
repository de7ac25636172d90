package web_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"esp/web"
	"esp/web/internal/webtest"
)

// accessLines are the access log's lines (JSON) among the logs.
func accessLines(tb testing.TB, logs string) []map[string]any {
	tb.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			tb.Fatalf("log line is not JSON (%v): %s", err, l)
		}
		if v["msg"] == "request" {
			lines = append(lines, v)
		}
	}
	return lines
}

var newRequestID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// Each request, whatever its router and answer, gets one access log line:
// its method, route pattern (unmatched for none), status, duration, bytes
// and request id, the id also answered in X-Request-Id. A client's own
// X-Request-Id is not taken: no proxy is trusted by default.
func TestAccessLogWritesOneLinePerRequest(t *testing.T) {
	env := webtest.NewEnv(t, func(c *webtest.Config) { c.JSONLogs = true })
	token := webtest.Exchange(t, env, webtest.ActivatedKeys(t, env, env.Acme.ID))
	webtest.ImportCSV(t, env, env.Acme.ID, "plan", webtest.PlanCSV(3))
	for _, tc := range []struct {
		method, path, token string
		status              int
		route               string
	}{
		{http.MethodGet, "/login", "", http.StatusOK, "/login"},
		{http.MethodHead, "/healthz", "", http.StatusOK, "/healthz"},
		{http.MethodGet, "/api/v1/plans/999?limit=1", token, http.StatusNotFound, "/api/v1/plans/:planID"},
		{http.MethodGet, "/api/v1/plans", "", http.StatusUnauthorized, "/api/v1/plans"},
		{http.MethodDelete, "/api/v1/plans", token, http.StatusMethodNotAllowed, "/api/v1/plans"},
		{http.MethodGet, "/no/such/page", "", http.StatusNotFound, "unmatched"},
		{http.MethodGet, "/api/v1/no/such/route", "", http.StatusNotFound, "unmatched"},
		{"BREW", "/api/v1/plans", "", http.StatusMethodNotAllowed, "/api/v1/plans"},
	} {
		before := len(env.Logs.String())
		req := httptest.NewRequest(tc.method, tc.path, nil)
		req.Header.Set("X-Request-Id", "chosen-by-the-client")
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		rec := env.Do(req)
		if rec.Code != tc.status {
			t.Fatalf("%s %s: status %d, want %d", tc.method, tc.path, rec.Code, tc.status)
		}
		lines := accessLines(t, env.Logs.String()[before:])
		if len(lines) != 1 {
			t.Fatalf("%s %s: %d access log lines, want 1", tc.method, tc.path, len(lines))
		}
		l := lines[0]
		id := rec.Header().Get("X-Request-Id")
		method := tc.method
		if method == "BREW" {
			method = "OTHER"
		}
		if !newRequestID.MatchString(id) || l["request_id"] != id {
			t.Errorf("%s %s: X-Request-Id %q, logged %v; want one new 32-hex id in both", tc.method, tc.path, id, l["request_id"])
		}
		if l["method"] != method || l["route"] != tc.route || l["status"] != float64(tc.status) {
			t.Errorf("%s %s: logged %v, want method %s, route %s, status %d", tc.method, tc.path, l, method, tc.route, tc.status)
		}
		if _, ok := l["duration_ms"].(float64); !ok {
			t.Errorf("%s %s: no duration_ms in %v", tc.method, tc.path, l)
		}
		wantBytes := float64(rec.Body.Len())
		if tc.method == http.MethodHead {
			wantBytes = 0 // the server sends no body for HEAD
		}
		if l["bytes"] != wantBytes {
			t.Errorf("%s %s: logged bytes %v, want %v", tc.method, tc.path, l["bytes"], wantBytes)
		}
	}
	// Every request has its own id.
	a, b := env.Do(httptest.NewRequest(http.MethodGet, "/healthz", nil)), env.Do(httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if a.Header().Get("X-Request-Id") == b.Header().Get("X-Request-Id") {
		t.Fatal("two requests got the same id")
	}
}

// A server told to trust a proxy keeps the X-Request-Id of the requests it
// sends, when the id is a short plain token; every other request gets a
// new id.
func TestRequestIDOfATrustedProxyIsKept(t *testing.T) {
	env := webtest.NewEnv(t)
	logs := &webtest.SyncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	fromProxy := func(r *http.Request) bool { return strings.HasPrefix(r.RemoteAddr, "10.0.0.7:") }
	srv := web.New(log, env.Admin, env.API, web.Options{TrustRequestID: fromProxy})
	for _, tc := range []struct {
		peer, id string
		kept     bool
	}{
		{"10.0.0.7:5000", "lb-1f3a.42:7", true},
		{"192.0.2.9:5000", "lb-1f3a.42:7", false},
		{"10.0.0.7:5000", "two words", false},
		{"10.0.0.7:5000", `quote"d`, false},
		{"10.0.0.7:5000", strings.Repeat("a", 129), false},
		{"10.0.0.7:5000", "", false},
	} {
		before := len(logs.String())
		req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		req.RemoteAddr = tc.peer
		if tc.id != "" {
			req.Header.Set("X-Request-Id", tc.id)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		got := rec.Header().Get("X-Request-Id")
		if kept := got == tc.id; kept != tc.kept || !kept && !newRequestID.MatchString(got) {
			t.Errorf("from %s with id %q: answered id %q, want kept=%v (else a new one)", tc.peer, tc.id, got, tc.kept)
		}
		if lines := accessLines(t, logs.String()[before:]); len(lines) != 1 || lines[0]["request_id"] != got {
			t.Errorf("from %s with id %q: logged %v, want the id %q", tc.peer, tc.id, lines, got)
		}
	}
}

// With NoAccessLog the server writes no line per request, but still counts
// every request in the metrics and still logs what else it logs.
func TestNoAccessLogWritesNoRequestLinesButStillCounts(t *testing.T) {
	env := webtest.NewEnv(t, func(c *webtest.Config) { c.JSONLogs, c.NoAccessLog = true, true })
	for range 3 {
		webtest.MustStatus(t, env.Do(httptest.NewRequest(http.MethodGet, "/healthz", nil)), http.StatusOK)
	}
	webtest.MustStatus(t, env.Do(httptest.NewRequest(http.MethodGet, "/api/v1/plans", nil)), http.StatusUnauthorized)
	if logs := env.Logs.String(); strings.Contains(logs, `"msg":"request"`) {
		t.Fatalf("access lines were written:\n%s", logs)
	}
	if n := env.MetricValue(t, "esp_http_requests_total", "route", "/healthz", "code", "200"); n != 3 {
		t.Errorf("counted %v requests to /healthz, want 3", n)
	}
}
