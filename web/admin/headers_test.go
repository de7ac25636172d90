package admin_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"esp/lifecycle"
	"esp/web/internal/webtest"
)

const wantCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func TestSecurityHeadersOnEveryKindOfResponse(t *testing.T) {
	env := webtest.NewEnv(t)
	webtest.DriveTo(t, env, lifecycle.PendingActivation)
	alice := webtest.SignedIn(t, env, "alice")
	anon := webtest.NewClient(env)
	for _, tt := range []struct {
		name        string
		c           *webtest.Client
		path        string
		status      int
		wantNoStore bool
	}{
		{"login", anon, "/login", http.StatusOK, true},
		{"home", alice, "/", http.StatusOK, true},
		{"window", alice, "/api-credentials", http.StatusOK, true},
		{"status", alice, "/api-credentials/status", http.StatusOK, true},
		{"error page", alice, "/no-such-page", http.StatusNotFound, true},
		{"anonymous redirect", anon, "/", http.StatusSeeOther, true},
		{"static", anon, "/static/app.css", http.StatusOK, false},
		{"favicon", anon, "/favicon.ico", http.StatusOK, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := tt.c.Get(tt.path)
			webtest.WantStatus(t, rec, tt.status)
			h := rec.Header()
			for k, want := range map[string]string{
				"Content-Security-Policy": wantCSP,
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "same-origin",
				"X-Frame-Options":         "DENY",
			} {
				if got := h.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if got := h.Get("Cache-Control") == "no-store"; got != tt.wantNoStore {
				t.Errorf("Cache-Control = %q", h.Get("Cache-Control"))
			}
		})
	}
}

func TestErrorPageIsAPageInsideTheShell(t *testing.T) {
	env := webtest.NewEnv(t)
	c := webtest.SignedIn(t, env, "bob")
	rec := c.Get("/api-credentials")
	webtest.WantStatus(t, rec, http.StatusNotFound)
	doc := webtest.MustDoc(t, rec)
	if got := webtest.Text(doc, "error-code"); got != "404" {
		t.Errorf("error code = %q", got)
	}
	if got := webtest.Text(doc, "user-menu"); got != "bob" {
		t.Errorf("user menu = %q, want bob's shell", got)
	}
	// The status is an unknown page's, though the page says whom to ask
	// (credentials_refusal_test.go).
	other := c.Get("/no-such-page")
	webtest.WantStatus(t, other, http.StatusNotFound)
	if got := webtest.Text(webtest.MustDoc(t, other), "error-message"); got != "There is no page at this address." {
		t.Errorf("an unknown page says %q", got)
	}
	if !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Errorf("Content-Type = %q", rec.Header().Get("Content-Type"))
	}
}

func TestStaticFilesAreServedFromTheEmbeddedFilesOnly(t *testing.T) {
	env := webtest.NewEnv(t)
	c := webtest.NewClient(env)
	for path, ctype := range map[string]string{"/static/app.css": "text/css", "/static/app.js": "javascript"} {
		rec := c.Get(path)
		webtest.WantStatus(t, rec, http.StatusOK)
		if got := rec.Header().Get("Content-Type"); !strings.Contains(got, ctype) {
			t.Errorf("%s: Content-Type = %q, want %s", path, got, ctype)
		}
		etag := rec.Header().Get("ETag")
		if etag == "" || rec.Header().Get("Cache-Control") != "no-cache" {
			t.Fatalf("%s: ETag %q, Cache-Control %q: want revalidated caching", path, etag, rec.Header().Get("Cache-Control"))
		}
		req, _ := http.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("If-None-Match", etag)
		webtest.WantStatus(t, c.Send(req), http.StatusNotModified)
	}
	for _, path := range []string{"/static/", "/static", "/static/static.go", "/static/../go.mod", "/static/%2e%2e/go.mod", "/static/..%2fstatic.go", "/static/nope.js"} {
		req, _ := http.NewRequest(http.MethodGet, "http://esp.test"+path, nil)
		if rec := c.Send(req); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: status = %d, want 404", path, rec.Code)
		}
	}
}

// TestTheFaviconIsServed: pages link /static/favicon.svg, and /favicon.ico,
// which browsers ask for anyway, answers the same icon rather than a 404.
// The CSP lets pages load it (img-src 'self').
func TestTheFaviconIsServed(t *testing.T) {
	env := webtest.NewEnv(t)
	c := webtest.NewClient(env)
	var bodies []string
	for _, path := range []string{"/static/favicon.svg", "/favicon.ico"} {
		rec := c.Get(path)
		webtest.WantStatus(t, rec, http.StatusOK)
		if got := rec.Header().Get("Content-Type"); got != "image/svg+xml" {
			t.Errorf("%s: Content-Type = %q, want image/svg+xml", path, got)
		}
		if !strings.HasPrefix(rec.Body.String(), "<svg ") {
			t.Errorf("%s: body %.40q is not an SVG", path, rec.Body.String())
		}
		bodies = append(bodies, rec.Body.String())
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self'") {
			t.Errorf("%s: CSP %q does not allow our own images", path, csp)
		}
	}
	if bodies[0] != bodies[1] {
		t.Error("/favicon.ico is not the linked icon")
	}
	doc := webtest.MustDoc(t, c.Get("/login"))
	if got := doc.Find(`head link[rel=icon]`).AttrOr("href", ""); got != "/static/favicon.svg" {
		t.Errorf("the login page links the icon %q, want /static/favicon.svg", got)
	}
}

// Strict-Transport-Security goes with every answer over TLS, pages, API
// and errors alike, and never with one over plain HTTP, where a browser
// must ignore it (RFC 6797).
func TestHSTSOnlyOverTLS(t *testing.T) {
	env := webtest.NewEnv(t)
	const hsts = "max-age=63072000; includeSubDomains"
	for _, path := range []string{"/login", "/", "/no-such-page", "/static/app.css", "/api/v1/openapi.json", "/api/v1/plans"} {
		for _, overTLS := range []bool{false, true} {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			want := ""
			if overTLS {
				req.TLS, want = &tls.ConnectionState{Version: tls.VersionTLS13}, hsts
			}
			rec := env.Do(req)
			if got := rec.Header().Get("Strict-Transport-Security"); got != want {
				t.Errorf("GET %s (TLS %v, %d): Strict-Transport-Security %q, want %q", path, overTLS, rec.Code, got, want)
			}
		}
	}
}
