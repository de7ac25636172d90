package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --trusted-proxies (or ESP_TRUSTED_PROXIES) takes CIDR ranges and single
// addresses, a single address meaning just itself (/32, /128); the flag
// wins over the environment; by default no proxy is trusted.
func TestServeTrustedProxiesFromFlagOrEnvironment(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, nil, ""},
		{nil, []string{"--trusted-proxies", "10.0.0.0/8"}, "10.0.0.0/8"},
		{nil, []string{"--trusted-proxies", "10.0.0.0/8, 192.0.2.7 ,2001:db8::/32,2001:db8:1::5"},
			"10.0.0.0/8,192.0.2.7/32,2001:db8::/32,2001:db8:1::5/128"},
		{nil, []string{"--trusted-proxies", "10.1.2.3/8"}, "10.0.0.0/8"},
		{map[string]string{"ESP_TRUSTED_PROXIES": "172.16.0.0/12"}, nil, "172.16.0.0/12"},
		{map[string]string{"ESP_TRUSTED_PROXIES": "172.16.0.0/12"}, []string{"--trusted-proxies", "192.0.2.7"}, "192.0.2.7/32"},
		{map[string]string{"ESP_TRUSTED_PROXIES": "172.16.0.0/12"}, []string{"--trusted-proxies", ""}, ""},
	} {
		cfg, err := parseServe(env{getenv: func(k string) string { return tc.env[k] }}, tc.args)
		if err != nil || cfg.app.TrustedProxies.String() != tc.want {
			t.Errorf("%v %v: trusted %q (%v), want %q", tc.env, tc.args, cfg.app.TrustedProxies.String(), err, tc.want)
		}
	}
}

// A list with anything that is not an address or a CIDR range stops the
// start with one line naming the flag and the entry, before the data
// folder is created.
func TestServeRefusesBadTrustedProxies(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		args []string
		want string
	}{
		{nil, []string{"--trusted-proxies", "10.0.0.0/33"}, `"10.0.0.0/33"`},
		{nil, []string{"--trusted-proxies", "10.0.0.0/8,lb.internal"}, `"lb.internal"`},
		{nil, []string{"--trusted-proxies", "10.0.0.0/8,"}, "empty entry"},
		{nil, []string{"--trusted-proxies", "10.0.0.300"}, `"10.0.0.300"`},
		{nil, []string{"--trusted-proxies", "fe80::1%eth0"}, `"fe80::1%eth0"`},
		{[]string{"ESP_TRUSTED_PROXIES=10.0.0.0/8;192.0.2.0/24"}, nil, `"10.0.0.0/8;192.0.2.0/24"`},
	} {
		data := filepath.Join(t.TempDir(), "data")
		code, _, stderr := execCLIEnv(t, data, tc.env, "", append([]string{"serve", "--addr", "127.0.0.1:0"}, tc.args...)...)
		assertOneLineFailure(t, code, stderr, "--trusted-proxies")
		if !strings.Contains(stderr, tc.want) {
			t.Errorf("%v %v: stderr %q does not name %s", tc.env, tc.args, stderr, tc.want)
		}
		if _, err := os.Stat(data); !os.IsNotExist(err) {
			t.Errorf("%v %v: the data folder was created (%v)", tc.env, tc.args, err)
		}
	}
}

// esp serve passes its trusted proxies to the server: a request from one
// (here the test itself, on loopback) is logged with the client that
// X-Forwarded-For names, and keeps the proxy's X-Request-Id.
func TestServeTakesTheClientAddressFromATrustedProxy(t *testing.T) {
	p := startServe(t, t.TempDir(), "--trusted-proxies", "127.0.0.0/8,::1", "--log-format", "json")
	req, err := http.NewRequest(http.MethodGet, p.URL+"/healthz", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Forwarded-For", "198.51.100.23, 203.0.113.9")
	req.Header.Set("X-Request-Id", "lb-7f3a")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := res.Header.Get("X-Request-Id"); got != "lb-7f3a" {
		t.Errorf("X-Request-Id %q, want the trusted proxy's lb-7f3a", got)
	}
	if err := p.stop(t); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, line := range strings.Split(strings.TrimSpace(p.stderr.String()), "\n") {
		var v map[string]any
		if json.Unmarshal([]byte(line), &v) != nil || v["msg"] != "request" {
			continue
		}
		found = true
		if v["client"] != "203.0.113.9" || v["request_id"] != "lb-7f3a" {
			t.Errorf("access log %v, want client 203.0.113.9 and request_id lb-7f3a", v)
		}
	}
	if !found {
		t.Fatalf("no access log line in %s", p.stderr.String())
	}
}
