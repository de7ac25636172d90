package web_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"esp/store/storetest"
	"esp/web/internal/webtest"
)

// dbProxy stands between a store and its PostgreSQL server: Stop cuts
// every connection and refuses new ones, as a server that went down;
// Start lets them through again, on the same address.
type dbProxy struct {
	target, addr string
	mu           sync.Mutex
	ln           net.Listener
	conns        []net.Conn
}

func newDBProxy(t *testing.T, target string) *dbProxy {
	p := &dbProxy{target: target, addr: "127.0.0.1:0"}
	p.Start(t)
	t.Cleanup(p.Stop)
	return p
}

func (p *dbProxy) Start(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
}

func (p *dbProxy) forward(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, c, s)
	p.mu.Unlock()
	go func() { io.Copy(s, c); s.Close() }()
	io.Copy(c, s)
	c.Close()
}

func (p *dbProxy) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// While the database cannot be reached, the API answers 503 with
// Retry-After and the error code "unavailable", pages 503 with Retry-After
// and an HTML message, /readyz 503 and /healthz still 200; once it is back,
// all of them answer 200 again.
func TestUnreachableDatabaseIs503UntilItIsBack(t *testing.T) {
	u, err := url.Parse(storetest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := newDBProxy(t, u.Host)
	u.Host = proxy.addr
	env := webtest.NewEnvOn(t, storetest.At(u.String()))
	token := webtest.Exchange(t, env, webtest.ActivatedKeys(t, env, env.Acme.ID))
	alice := webtest.SignedIn(t, env, "alice")
	requests := map[string]func() *httptest.ResponseRecorder{
		"API":         func() *httptest.ResponseRecorder { return webtest.APIGet(env, token, "/api/v1/plans") },
		"page":        func() *httptest.ResponseRecorder { return alice.Get("/api-credentials") },
		"readyz":      func() *httptest.ResponseRecorder { return env.Do(httptest.NewRequest(http.MethodGet, "/readyz", nil)) },
		"HEAD readyz": func() *httptest.ResponseRecorder { return env.Do(httptest.NewRequest(http.MethodHead, "/readyz", nil)) },
	}
	for _, do := range requests {
		webtest.WantStatus(t, do(), http.StatusOK)
	}

	proxy.Stop()
	for name, do := range requests {
		rec := do()
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
			t.Errorf("%s with the database down: %d, Retry-After %q; want 503 with Retry-After", name, rec.Code, rec.Header().Get("Retry-After"))
		}
		switch name {
		case "API":
			var body struct{ Error struct{ Code string } }
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error.Code != "unavailable" {
				t.Errorf("API error %s, want code unavailable", rec.Body)
			}
		case "page":
			if !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
				t.Errorf("page answer is %q, want HTML", rec.Header().Get("Content-Type"))
			}
		}
	}
	webtest.WantStatus(t, env.Do(httptest.NewRequest(http.MethodGet, "/healthz", nil)), http.StatusOK)
	if strings.Contains(env.Logs.String(), "level=ERROR") {
		t.Errorf("the outage was logged as internal errors:\n%s", env.Logs)
	}

	proxy.Start(t)
	for name, do := range requests {
		// A pooled connection cut by the outage may fail once more.
		deadline := time.Now().Add(10 * time.Second)
		rec := do()
		for rec.Code != http.StatusOK && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			rec = do()
		}
		if rec.Code != http.StatusOK {
			t.Errorf("%s after the database came back: %d, want 200", name, rec.Code)
		}
	}
}
