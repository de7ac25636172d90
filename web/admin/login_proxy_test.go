package admin_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"esp/web/httpx"
	"esp/web/internal/webtest"
)

// behindProxies is an Env whose server trusts the load balancers of
// 10.0.0.0/8 (esp serve --trusted-proxies 10.0.0.0/8).
func behindProxies(t *testing.T) *webtest.Env {
	t.Helper()
	proxies, err := httpx.ParseTrustedProxies("10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	return webtest.NewEnv(t, func(c *webtest.Config) { c.TrustedProxies = proxies })
}

// loginWith posts a login from c's connection with X-Forwarded-For xff
// (none when empty) and returns the status.
func loginWith(t *testing.T, c *webtest.Client, xff, username, password string) int {
	t.Helper()
	form := url.Values{"username": {username}, "password": {password}, "_csrf": {c.CSRF(t, "/login")}}
	req := webtest.NewFormRequest("/login", form)
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	return c.Send(req).Code
}

// Behind a trusted load balancer every client has its own allowance of
// failed logins, although all their connections come from the balancer:
// the address counted is the one the balancer appends to X-Forwarded-For,
// and whatever a client writes to the left of it changes nothing.
func TestFailedLoginsBehindATrustedProxyAreCountedPerClient(t *testing.T) {
	env := behindProxies(t)
	const clients = 4
	browsers := make([]*webtest.Client, clients)
	for i := range browsers {
		browsers[i] = webtest.NewClient(env)
		browsers[i].Addr = fmt.Sprintf("10.0.0.%d:4%04d", 2+i%2, i) // two balancer nodes
	}
	addr := func(i int) string { return fmt.Sprintf("203.0.113.%d", 10+i) }
	// Round by round, so that 40 failures pass through the balancers before
	// any client has had its tenth.
	for round := range 10 {
		for i, b := range browsers {
			if code := loginWith(t, b, addr(i), "alice", "wrong"); code != http.StatusUnauthorized {
				t.Fatalf("client %s, failure %d: status %d, want 401", addr(i), round+1, code)
			}
		}
	}
	for i, b := range browsers {
		// Out of attempts, even with the right password and a new address
		// invented to the left of the balancer's entry.
		if code := loginWith(t, b, "198.51.100.77, "+addr(i), "alice", "password-alice"); code != http.StatusTooManyRequests {
			t.Fatalf("client %s, 11th login: status %d, want 429", addr(i), code)
		}
	}
	// A new client through the same balancers logs in.
	fresh := webtest.NewClient(env)
	fresh.Addr = "10.0.0.2:49999"
	if code := loginWith(t, fresh, "203.0.113.200", "bob", "password-bob"); code != http.StatusSeeOther {
		t.Fatalf("a new client behind the balancer: status %d, want 303", code)
	}
	// A balancer's malformed X-Forwarded-For counts against the balancer
	// itself, and is no error.
	lb := webtest.NewClient(env)
	lb.Addr = "10.0.0.9:5000"
	for i := range 10 {
		if code := loginWith(t, lb, "not-an-address", "alice", "wrong"); code != http.StatusUnauthorized {
			t.Fatalf("malformed header, failure %d: status %d, want 401", i+1, code)
		}
	}
	if code := loginWith(t, lb, "", "alice", "password-alice"); code != http.StatusTooManyRequests {
		t.Fatalf("the balancer's own address after 10 failures: status %d, want 429", code)
	}
}

// A connection that is not a trusted proxy is counted by its own address,
// whatever X-Forwarded-For it sends: a new invented address on every try
// does not buy an 11th wrong login. With no proxy trusted (the default) or
// with some, and also when the header names a trusted proxy.
func TestSpoofedXForwardedForCannotDodgeTheLoginLimit(t *testing.T) {
	for name, env := range map[string]*webtest.Env{"no proxies": webtest.NewEnv(t), "proxies trusted": behindProxies(t)} {
		t.Run(name, func(t *testing.T) {
			c := webtest.NewClient(env)
			c.Addr = "198.51.100.9:5000"
			for i := range 10 {
				if code := loginWith(t, c, fmt.Sprintf("203.0.113.%d", i+1), "alice", "wrong"); code != http.StatusUnauthorized {
					t.Fatalf("failure %d: status %d, want 401", i+1, code)
				}
			}
			for _, xff := range []string{"203.0.113.99", "10.0.0.2", "203.0.113.98, 10.0.0.2", "garbage"} {
				if code := loginWith(t, c, xff, "alice", "password-alice"); code != http.StatusTooManyRequests {
					t.Fatalf("11th login with X-Forwarded-For %q: status %d, want 429", xff, code)
				}
			}
		})
	}
}
