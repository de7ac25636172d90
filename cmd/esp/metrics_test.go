package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"esp/lifecycle"
)

var metricsAt = regexp.MustCompile(`Prometheus metrics at (http://\S+/metrics)`)

// httpDo sends a request and returns the status and body.
func httpDo(t *testing.T, client *http.Client, method, url, token string, body []byte, ctype string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// esp serve --metrics-addr serves Prometheus metrics on a listener of its
// own. After a login, a token exchange and an export, the scrape counts
// them with their route patterns and outcomes, the activation, the
// credentials by status, and carries no key, token, password, username or
// request path. With --log-format json every log line is JSON, one access
// line per request.
func TestServeMetricsCountALoginAnExchangeAndAnExport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	p := startServe(t, dir, "--metrics-addr", "127.0.0.1:0", "--tick", "50ms", "--log-format", "json")
	m := metricsAt.FindStringSubmatch(p.Banner)
	if m == nil {
		t.Fatalf("the banner does not name the metrics address:\n%s", p.Banner)
	}
	scrapeURL := m[1]
	client := newClient(t, nil)
	password := bannerPassword(t, p, "admin")
	login(t, client, p.URL, "admin", password)

	// Keys for the demo tenant, activated by the server's scheduler.
	st := mustStore(t, dir)
	demo, err := st.TenantByName(context.Background(), demoTenant)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := lifecycle.NewService(st, time.Now, lifecycle.Config{}).Generate(context.Background(), demo.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	waitStatuses(t, dir, []int64{keys.Credential.ID}, lifecycle.Activated, 30*time.Second)

	body, _ := json.Marshal(map[string]string{"accessKeyId": keys.AccessKey, "accessKeySecret": keys.SecretKey})
	code, answer := httpDo(t, client, http.MethodPost, p.URL+"/api/v1/token/access-key", "", body, "application/json")
	if code != http.StatusOK {
		t.Fatalf("token exchange: %d %s", code, answer)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.Unmarshal(answer, &tok)
	code, answer = httpDo(t, client, http.MethodGet, p.URL+"/api/v1/plans", tok.AccessToken, nil, "")
	var list struct {
		Plans []struct {
			ID int64 `json:"id"`
		} `json:"plans"`
	}
	if err := json.Unmarshal(answer, &list); code != http.StatusOK || err != nil || len(list.Plans) == 0 {
		t.Fatalf("plans: %d %s", code, answer)
	}
	planPath := "/api/v1/plans/" + strconv.FormatInt(list.Plans[0].ID, 10)
	// The metric counts the bytes sent: a client that asks for no
	// compression gets the CSV itself, whose length the scrape must say.
	plain := *client
	plain.Transport = &http.Transport{DisableCompression: true}
	code, export := httpDo(t, &plain, http.MethodGet, p.URL+planPath+"/export", tok.AccessToken, nil, "")
	if code != http.StatusOK {
		t.Fatalf("export: %d", code)
	}
	rows := bytes.Count(export, []byte("\n")) - 1 // the header line
	if code, _ := httpDo(t, client, http.MethodGet, p.URL+"/metrics", "", nil, ""); code != http.StatusNotFound {
		t.Errorf("GET /metrics on the server's own address: %d, want 404", code)
	}

	code, scrape := httpDo(t, client, http.MethodGet, scrapeURL, "", nil, "")
	if code != http.StatusOK {
		t.Fatalf("scrape: %d %s", code, scrape)
	}
	text := string(scrape)
	for _, want := range []string{
		`esp_logins_total{outcome="success"} 1`,
		`esp_token_exchanges_total{outcome="issued"} 1`,
		`esp_export_rows_total{format="csv"} ` + strconv.Itoa(rows),
		`esp_export_bytes_total{format="csv"} ` + strconv.Itoa(len(export)),
		`esp_http_requests_total{code="303",method="POST",route="/login"} 1`,
		`esp_http_requests_total{code="200",method="GET",route="/login"} 1`,
		`esp_http_requests_total{code="200",method="POST",route="/api/v1/token/access-key"} 1`,
		`esp_http_requests_total{code="200",method="GET",route="/api/v1/plans/:planID/export"} 1`,
		`esp_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`esp_http_request_duration_seconds_count{method="GET",route="/api/v1/plans/:planID/export"} 1`,
		`esp_activator_calls_total{action="activate",result="succeeded"} 1`,
		`esp_scheduler_claim_lateness_seconds_count 1`,
		`esp_credentials{status="activated"} 1`,
		`esp_credentials{status="pending_activation"} 0`,
		`esp_api_authentication_failures_total{kind="token"} 0`,
		`esp_api_ip_not_allowed_total{kind="keys"} 0`,
		`esp_rate_limit_refusals_total{limit="login"} 0`,
		`go_goroutines `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the scrape lacks %q", want)
		}
	}
	for name, secret := range map[string]string{"the access key": keys.AccessKey, "the secret key": keys.SecretKey,
		"the token": tok.AccessToken, "the password": password, "a username": `"admin"`, "a request's path": planPath,
		"the tenant": `"demo"`} {
		if strings.Contains(text, secret) {
			t.Errorf("the scrape carries %s", name)
		}
	}
	if testing.Verbose() {
		for _, l := range strings.Split(text, "\n") {
			if strings.HasPrefix(l, "esp_") && !strings.Contains(l, "_bucket") {
				t.Log(l)
			}
		}
	}

	if err := p.stop(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	var access []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(p.stderr.String()), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("--log-format json wrote a line that is not JSON (%v): %s", err, line)
		}
		if v["msg"] == "request" {
			access = append(access, v)
			if v["route"] == "/api/v1/plans/:planID/export" {
				t.Logf("access log line: %s", line)
			}
		}
	}
	if len(access) != 6 { // the login page and form, the exchange, the plans, the export, /metrics
		t.Errorf("%d access log lines, want 6", len(access))
	}
	for _, l := range access {
		for _, key := range []string{"method", "route", "status", "duration_ms", "bytes", "request_id"} {
			if _, ok := l[key]; !ok {
				t.Errorf("access log line without %s: %v", key, l)
			}
		}
	}
	if logs := p.stderr.String(); strings.Contains(logs, planPath) || strings.Contains(logs, tok.AccessToken) || strings.Contains(logs, password) {
		t.Error("the log carries a request's path, the token or the password")
	}
}

// --log-format takes text or json, from the flag or ESP_LOG_FORMAT; anything
// else is refused with one line before anything is created.
func TestServeLogFormatIsTextOrJSON(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		args []string
	}{
		{nil, []string{"--log-format", "xml"}},
		{nil, []string{"--log-format", "JSON"}},
		{[]string{"ESP_LOG_FORMAT=yaml"}, nil},
	} {
		data := filepath.Join(t.TempDir(), "data")
		code, _, stderr := execCLIEnv(t, data, tc.env, "", append([]string{"serve", "--addr", "127.0.0.1:0"}, tc.args...)...)
		assertOneLineFailure(t, code, stderr, "--log-format must be text or json")
	}
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, nil, "text"},
		{map[string]string{"ESP_LOG_FORMAT": "json"}, nil, "json"},
		{map[string]string{"ESP_LOG_FORMAT": "json"}, []string{"--log-format", "text"}, "text"},
	} {
		cfg, err := parseServe(env{getenv: func(k string) string { return tc.env[k] }}, tc.args)
		if err != nil || cfg.logFormat != tc.want {
			t.Errorf("%v %v: format %q (%v), want %q", tc.env, tc.args, cfg.logFormat, err, tc.want)
		}
	}
}

// Without --metrics-addr no metrics listener starts; a metrics address that
// cannot be listened on is refused with one line before anything is
// created.
func TestServeMetricsListenerIsOffByDefault(t *testing.T) {
	p := startServe(t, filepath.Join(t.TempDir(), "data"))
	if strings.Contains(p.Banner, "metrics") {
		t.Errorf("a serve without --metrics-addr serves metrics:\n%s", p.Banner)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	data := filepath.Join(t.TempDir(), "data")
	code, stdout, stderr := execCLIEnv(t, data, []string{"ESP_METRICS_ADDR=" + ln.Addr().String()}, "", "serve", "--addr", "127.0.0.1:0")
	assertOneLineFailure(t, code, stderr, "cannot listen on "+ln.Addr().String()+" (--metrics-addr)")
	if _, err := os.Stat(data); !os.IsNotExist(err) || stdout != "" {
		t.Errorf("a refused start created its data folder (%v) or printed %q", err, stdout)
	}
}
