package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"esp/lifecycle"
	"esp/web/httpx"
	"esp/web/internal/webtest"
)

// setAllowed saves the tenant's allowed addresses as alice.
func setAllowed(tb testing.TB, env *webtest.Env, tenantID int64, list string) {
	tb.Helper()
	if _, err := env.Service.SetAllowedAddresses(context.Background(), tenantID, lifecycle.UserActor("alice"), list); err != nil {
		tb.Fatal(err)
	}
}

// mustIPNotAllowed checks a 403 ip_not_allowed in the API's envelope whose
// message names addr.
func mustIPNotAllowed(tb testing.TB, rec *httptest.ResponseRecorder, addr string) {
	tb.Helper()
	webtest.MustAPIError(tb, rec, http.StatusForbidden, "ip_not_allowed")
	var body struct {
		Error struct{ Message string } `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || !strings.Contains(body.Error.Message, " "+addr+" ") {
		tb.Fatalf("message %q does not name the caller's address %s (%v)", body.Error.Message, addr, err)
	}
}

// from sets the request's client address as the server sees it directly.
func from(req *http.Request, addr string) *http.Request {
	req.RemoteAddr = net.JoinHostPort(addr, "5000")
	return req
}

// With allowed addresses set, both token routes (the OAuth one too, in the
// API's envelope rather than RFC 6749's 400) and a bearer request from
// outside them answer 403 ip_not_allowed naming the caller's address;
// from inside they work. The refusals are counted by kind, and are not
// failed authentications: more of them than the failure limit allows do
// not lead to 429.
func TestAPIRefusesAddressesOutsideTheAllowedOnes(t *testing.T) {
	env := webtest.NewEnv(t)
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	token := webtest.Exchange(t, env, keys)
	setAllowed(t, env, env.Acme.ID, "198.51.100.0/24\n2001:db8::/32")
	for range 25 {
		mustIPNotAllowed(t, env.Do(webtest.KeyRequest(keys.AccessKey, keys.SecretKey)), "192.0.2.1")
	}
	mustIPNotAllowed(t, env.Do(from(webtest.OAuthRequest(keys.AccessKey, keys.SecretKey, true), "2001:db9::1")), "2001:db9::1")
	mustIPNotAllowed(t, webtest.APIGet(env, token, "/api/v1/plans"), "192.0.2.1")
	if got := env.MetricValue(t, "esp_api_ip_not_allowed_total", "kind", "keys"); got != 26 {
		t.Errorf("keys refused for their address: %v, want 26", got)
	}
	if got := env.MetricValue(t, "esp_api_ip_not_allowed_total", "kind", "token"); got != 1 {
		t.Errorf("tokens refused for their address: %v, want 1", got)
	}
	if got := env.MetricValue(t, "esp_api_authentication_failures_total", "kind", "keys"); got != 0 {
		t.Errorf("failed authentications %v, want none", got)
	}
	webtest.MustStatus(t, env.Do(from(webtest.KeyRequest(keys.AccessKey, keys.SecretKey), "198.51.100.7")), http.StatusOK)
	webtest.MustStatus(t, env.Do(from(webtest.OAuthRequest(keys.AccessKey, keys.SecretKey, false), "::ffff:198.51.100.7")), http.StatusOK)
	webtest.MustStatus(t, env.Do(from(webtest.NewGet("/api/v1/plans", token), "2001:db8::9")), http.StatusOK)
}

// Behind a trusted proxy the address checked and named is the client's,
// from X-Forwarded-For, not the proxy's.
func TestAPIAllowedAddressesBehindATrustedProxyCheckTheClient(t *testing.T) {
	proxies, err := httpx.ParseTrustedProxies("10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	env := webtest.NewEnv(t, func(c *webtest.Config) { c.TrustedProxies = proxies })
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	setAllowed(t, env, env.Acme.ID, "198.51.100.0/24")
	req := from(webtest.KeyRequest(keys.AccessKey, keys.SecretKey), "10.0.0.2")
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	mustIPNotAllowed(t, env.Do(req), "203.0.113.9")
	req = from(webtest.KeyRequest(keys.AccessKey, keys.SecretKey), "10.0.0.2")
	req.Header.Set("X-Forwarded-For", "198.51.100.4")
	webtest.MustStatus(t, env.Do(req), http.StatusOK)
}

// A list saved on one replica is enforced by every other at its very next
// request, and clearing it there lets the next request through again.
func TestAllowedAddressesChangeIsSeenByEveryReplicaAtTheNextRequest(t *testing.T) {
	rs := webtest.NewReplicas(t, 3)
	keys := webtest.ActivatedKeys(t, rs[0], rs[0].Acme.ID)
	token := webtest.Exchange(t, rs[1], keys)
	for _, r := range rs {
		webtest.MustStatus(t, webtest.APIGet(r, token, "/api/v1/plans"), http.StatusOK)
	}
	setAllowed(t, rs[0], rs[0].Acme.ID, "198.51.100.0/24")
	for _, r := range rs {
		mustIPNotAllowed(t, webtest.APIGet(r, token, "/api/v1/plans"), "192.0.2.1")
		mustIPNotAllowed(t, r.Do(webtest.KeyRequest(keys.AccessKey, keys.SecretKey)), "192.0.2.1")
	}
	setAllowed(t, rs[2], rs[2].Acme.ID, "")
	for _, r := range rs {
		webtest.MustStatus(t, webtest.APIGet(r, token, "/api/v1/plans"), http.StatusOK)
	}
}

// BenchmarkAPITokenCheckAllowedAddresses is BenchmarkAPITokenCheck with no
// allowed-address list and with one of 100 ranges whose last holds the
// caller: the cost of the check on every bearer request.
func BenchmarkAPITokenCheckAllowedAddresses(b *testing.B) {
	for _, n := range []int{0, lifecycle.MaxAllowedAddresses} {
		b.Run(fmt.Sprintf("ranges=%d", n), func(b *testing.B) {
			env := webtest.NewEnv(b)
			token := webtest.Exchange(b, env, webtest.ActivatedKeys(b, env, env.Acme.ID))
			if n > 0 {
				var lines []string
				for i := range n - 1 {
					lines = append(lines, fmt.Sprintf("10.%d.%d.0/24", i/256, i%256))
				}
				setAllowed(b, env, env.Acme.ID, strings.Join(append(lines, "192.0.2.0/24"), "\n"))
			}
			b.ReportAllocs()
			for b.Loop() {
				if rec := webtest.APIGet(env, token, "/api/v1/plans"); rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}
