package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"esp/lifecycle"
	"esp/web/internal/webtest"
)

// wantMetric fails unless the series has the value.
func wantMetric(tb testing.TB, env *webtest.Env, want float64, name string, labels ...string) {
	tb.Helper()
	if got := env.MetricValue(tb, name, labels...); got != want {
		tb.Errorf("%s%v = %v, want %v", name, labels, got, want)
	}
}

// What the metrics count, each by the answer the client got: logins by
// outcome, token exchanges by outcome, failed authentications by what was
// presented, rate-limit refusals by limit, exports' rows and bytes,
// requests by route pattern and status, the scheduler's claims and calls,
// and the credentials by status.
func TestMetricsCountOutcomes(t *testing.T) {
	env := webtest.NewEnv(t)

	// Logins: right, wrong, an expired form, and wrong until the limit.
	webtest.SignedIn(t, env, "alice")
	mallory := webtest.NewClient(env)
	mallory.Addr = "198.51.100.7:1000"
	webtest.WantStatus(t, mallory.Login(t, "alice", "wrong-password"), http.StatusUnauthorized)
	webtest.WantStatus(t, mallory.Post("/login", url.Values{"username": {"alice"}, "password": {"x"}, "_csrf": {"stale"}}), http.StatusForbidden)
	for range 9 {
		mallory.Login(t, "alice", "wrong-password")
	}
	webtest.WantStatus(t, mallory.Login(t, "alice", "wrong-password"), http.StatusTooManyRequests)
	wantMetric(t, env, 1, "esp_logins_total", "outcome", "success")
	wantMetric(t, env, 10, "esp_logins_total", "outcome", "wrong")
	wantMetric(t, env, 1, "esp_logins_total", "outcome", "expired")
	wantMetric(t, env, 1, "esp_logins_total", "outcome", "limited")
	wantMetric(t, env, 1, "esp_rate_limit_refusals_total", "limit", "login")

	// Token exchanges: issued, rejected, invalid, forbidden.
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	token := webtest.Exchange(t, env, keys)
	webtest.MustStatus(t, env.Do(webtest.OAuthRequest(keys.AccessKey, keys.SecretKey, true)), http.StatusOK)
	webtest.MustStatus(t, env.Do(webtest.KeyRequest(keys.AccessKey, lifecycle.NewSecretKey())), http.StatusUnauthorized)
	bad := webtest.KeyRequest(keys.AccessKey, keys.SecretKey)
	bad.Header.Set("Content-Type", "text/plain")
	webtest.MustStatus(t, env.Do(bad), http.StatusUnsupportedMediaType)
	globex := webtest.ActivatedKeys(t, env, env.Globex.ID) // its tenant's public API is off
	webtest.MustStatus(t, env.Do(webtest.KeyRequest(globex.AccessKey, globex.SecretKey)), http.StatusForbidden)
	wantMetric(t, env, 2, "esp_token_exchanges_total", "outcome", "issued")
	wantMetric(t, env, 1, "esp_token_exchanges_total", "outcome", "rejected")
	wantMetric(t, env, 1, "esp_token_exchanges_total", "outcome", "invalid")
	wantMetric(t, env, 1, "esp_token_exchanges_total", "outcome", "forbidden")
	wantMetric(t, env, 1, "esp_api_authentication_failures_total", "kind", "keys")

	// Bearer tokens: failures from one address until the limit.
	for range 20 {
		req := webtest.NewGet("/api/v1/plans", "esptk_not-a-token")
		req.RemoteAddr = "198.51.100.8:1000"
		webtest.MustStatus(t, env.Do(req), http.StatusUnauthorized)
	}
	req := webtest.KeyRequest(keys.AccessKey, lifecycle.NewSecretKey())
	req.RemoteAddr = "198.51.100.8:1000"
	webtest.MustStatus(t, env.Do(req), http.StatusTooManyRequests)
	wantMetric(t, env, 20, "esp_api_authentication_failures_total", "kind", "token")
	wantMetric(t, env, 1, "esp_token_exchanges_total", "outcome", "limited")
	wantMetric(t, env, 1, "esp_rate_limit_refusals_total", "limit", "api")

	// Exports: rows and bytes, by format.
	plan := webtest.Itoa(webtest.ImportCSV(t, env, env.Acme.ID, "plan", webtest.PlanCSV(7)).ID)
	csv := webtest.APIGet(env, token, "/api/v1/plans/"+plan+"/export")
	webtest.MustStatus(t, csv, http.StatusOK)
	ndjson := webtest.APIGet(env, token, "/api/v1/plans/"+plan+"/export?format=ndjson")
	webtest.MustStatus(t, ndjson, http.StatusOK)
	wantMetric(t, env, 7, "esp_export_rows_total", "format", "csv")
	wantMetric(t, env, float64(csv.Body.Len()), "esp_export_bytes_total", "format", "csv")
	wantMetric(t, env, 7, "esp_export_rows_total", "format", "ndjson")
	wantMetric(t, env, float64(ndjson.Body.Len()), "esp_export_bytes_total", "format", "ndjson")

	// Requests, by route pattern and status.
	webtest.MustStatus(t, webtest.APIGet(env, token, "/api/v1/plans/"+plan+"/nothing-here"), http.StatusNotFound)
	wantMetric(t, env, 2, "esp_http_requests_total", "method", "GET", "route", "/api/v1/plans/:planID/export", "code", "200")
	wantMetric(t, env, 1, "esp_http_requests_total", "method", "GET", "route", "unmatched", "code", "404")
	wantMetric(t, env, 20, "esp_http_requests_total", "method", "GET", "route", "/api/v1/plans", "code", "401")

	// The scheduler: two activations, claimed as soon as due; the
	// credentials by status, read from the database.
	wantMetric(t, env, 2, "esp_activator_calls_total", "action", "activate", "result", "succeeded")
	wantMetric(t, env, 2, "esp_credentials", "status", "activated")
	wantMetric(t, env, 0, "esp_credentials", "status", "pending_activation")
	if _, err := env.Service.Deactivate(t.Context(), env.Acme.ID, "alice"); err != nil {
		t.Fatal(err)
	}
	wantMetric(t, env, 1, "esp_credentials", "status", "pending_deactivation")
	wantMetric(t, env, 1, "esp_credentials", "status", "activated")
}
