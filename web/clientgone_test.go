package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"esp/web/internal/webtest"
)

// leavingWriter is a connection whose client goes away at the first byte
// of the answer's body, as a client that closes a download does.
type leavingWriter struct {
	*httptest.ResponseRecorder
	leave context.CancelFunc
}

func (w leavingWriter) Write(p []byte) (int, error) {
	w.leave()
	return w.ResponseRecorder.Write(p)
}

// A request whose client closed the connection (the server cancels its
// context) is no internal error: the access log and the metrics give it
// nginx's 499, before its answer began or halfway through it, and nothing
// is logged at error level.
func TestClientThatWentAwayIs499NotAnInternalError(t *testing.T) {
	env := webtest.NewEnv(t, func(c *webtest.Config) { c.JSONLogs = true })
	token := webtest.Exchange(t, env, webtest.ActivatedKeys(t, env, env.Acme.ID))
	plan := webtest.ImportCSV(t, env, env.Acme.ID, "plan", webtest.PlanCSV(3000))
	alice := webtest.SignedIn(t, env, "alice")
	export := "/api/v1/plans/" + strconv.FormatInt(plan.ID, 10) + "/export"
	for _, tc := range []struct {
		name, route string
		request     func() *http.Request
		midway      bool // the client leaves once the body has begun
	}{
		{"history CSV", "/api-credentials/history.csv", func() *http.Request {
			return withCookies(httptest.NewRequest(http.MethodGet, "/api-credentials/history.csv", nil), alice)
		}, false},
		{"plan export", "/api/v1/plans/:planID/export", func() *http.Request { return webtest.NewGet(export, token) }, false},
		{"plan export halfway", "/api/v1/plans/:planID/export", func() *http.Request { return webtest.NewGet(export, token) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(env.Logs.String())
			ctx, leave := context.WithCancel(context.Background())
			defer leave()
			req := tc.request().WithContext(ctx)
			req.RemoteAddr = alice.Addr
			rec := httptest.NewRecorder()
			if tc.midway {
				env.Server.ServeHTTP(leavingWriter{rec, leave}, req)
			} else {
				leave()
				env.Server.ServeHTTP(rec, req)
			}
			logs := env.Logs.String()[before:]
			if strings.Contains(logs, `"level":"ERROR"`) {
				t.Errorf("logged at error level:\n%s", logs)
			}
			lines := accessLines(t, logs)
			if len(lines) != 1 || lines[0]["status"] != float64(499) || lines[0]["level"] != "INFO" {
				t.Fatalf("access log lines %v, want one at INFO with status 499", lines)
			}
		})
	}
	for _, route := range []string{"/api-credentials/history.csv", "/api/v1/plans/:planID/export"} {
		if n := env.MetricValue(t, "esp_http_requests_total", "route", route, "code", "500"); n != 0 {
			t.Errorf("esp_http_requests_total{route=%q,code=\"500\"} = %v, want 0", route, n)
		}
	}
	if n := env.MetricValue(t, "esp_http_requests_total", "route", "/api/v1/plans/:planID/export", "code", "499"); n != 2 {
		t.Errorf("export's esp_http_requests_total{code=\"499\"} = %v, want 2", n)
	}
}

// withCookies is req with c's cookies.
func withCookies(req *http.Request, c *webtest.Client) *http.Request {
	for _, ck := range c.Cookies {
		req.AddCookie(ck)
	}
	return req
}
