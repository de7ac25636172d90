package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"esp/lifecycle"
	"esp/web/internal/webtest"
)

// endless is a body that never ends: only a bounded reader can stop it.
type endless struct{ read int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	e.read += int64(len(p))
	return len(p), nil
}

func TestOversizedBodiesAreRefusedWith413AndNeverReadWhole(t *testing.T) {
	env := webtest.NewEnv(t)
	alice := webtest.SignedIn(t, env, "alice")
	csrf := alice.CSRF(t, "/")
	token := webtest.Exchange(t, env, webtest.ActivatedKeys(t, env, env.Acme.ID))
	const limit = 64 << 10

	for _, tt := range []struct {
		name, method, path, ctype string
		api                       bool
	}{
		{"login form", http.MethodPost, "/login", "application/x-www-form-urlencoded", false},
		{"login multipart", http.MethodPost, "/login", "multipart/form-data; boundary=x", false},
		{"generate form", http.MethodPost, "/api-credentials/generate", "application/x-www-form-urlencoded", false},
		{"deactivate form", http.MethodPost, "/api-credentials/deactivate", "application/x-www-form-urlencoded", false},
		{"logout form", http.MethodPost, "/logout", "application/x-www-form-urlencoded", false},
		{"a page with a body", http.MethodGet, "/", "text/plain", false},
		{"token", http.MethodPost, "/api/v1/token/access-key", "application/json", true},
		{"API read with a body", http.MethodGet, "/api/v1/plans", "application/json", true},
	} {
		// A form that starts well: the CSRF field first, then padding.
		prefix := url.Values{"_csrf": {csrf}}.Encode() + "&pad="
		if strings.HasPrefix(tt.ctype, "multipart/") {
			prefix = "--x\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n" + csrf +
				"\r\n--x\r\nContent-Disposition: form-data; name=\"pad\"; filename=\"pad\"\r\n\r\n"
		}
		readsBody := tt.method == http.MethodPost
		for _, chunked := range []bool{false, true} {
			name := tt.name + " with Content-Length"
			if chunked {
				name = tt.name + " chunked"
			}
			t.Run(name, func(t *testing.T) {
				body := &endless{}
				var r io.Reader = io.MultiReader(strings.NewReader(prefix), body)
				if !chunked {
					r = io.LimitReader(r, limit+1)
				}
				req := httptest.NewRequest(tt.method, tt.path, r)
				req.Header.Set("Content-Type", tt.ctype)
				req.ContentLength = -1
				if !chunked {
					req.ContentLength = limit + 1
				}
				if tt.api {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				rec := alice.Send(req)
				if chunked && !readsBody {
					// Nothing reads it, so nothing finds out it is too long:
					// the answer ignores it, and not a byte of it is read.
					webtest.MustStatus(t, rec, http.StatusOK)
					if body.read != 0 {
						t.Fatalf("read %d bytes of an ignored body", body.read)
					}
					return
				}
				if tt.api {
					webtest.MustAPIError(t, rec, http.StatusRequestEntityTooLarge, "payload_too_large")
				} else {
					webtest.WantStatus(t, rec, http.StatusRequestEntityTooLarge)
					if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
						t.Fatalf("Content-Type %q, want the error page", ct)
					}
				}
				// Reads come in buffers of a few KiB: allow one past the limit.
				if body.read > limit+32<<10 {
					t.Fatalf("read %d bytes of the body, limit %d", body.read, limit)
				}
			})
		}
	}
	if got := webtest.CurrentStatus(t, env); got != lifecycle.Activated {
		t.Fatalf("status = %s after refused posts, want Activated", got)
	}
	// The session survived the refused logout.
	webtest.WantStatus(t, alice.Get("/"), http.StatusOK)
}

func TestBodiesUpToTheLimitAreAccepted(t *testing.T) {
	env := webtest.NewEnv(t)
	c := webtest.NewClient(env)
	form := url.Values{"username": {"alice"}, "password": {"password-alice"}, "_csrf": {c.CSRF(t, "/login")}}
	body := form.Encode() + "&pad="
	body += strings.Repeat("x", 64<<10-len(body))
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	webtest.WantRedirect(t, c.Send(req), "/")
}

func TestFailedKeyExchangesAreRateLimitedPerAddress(t *testing.T) {
	env := webtest.NewEnv(t)
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	// Real-looking keys that match nothing: each one is a failure.
	for range 20 {
		webtest.MustAPIError(t, env.Do(webtest.KeyRequest(lifecycle.NewAccessKey(), lifecycle.NewSecretKey())), http.StatusUnauthorized, "invalid_credentials")
	}
	// Further failures from this address wait; other addresses do not.
	rec := env.Do(webtest.KeyRequest(lifecycle.NewAccessKey(), lifecycle.NewSecretKey()))
	webtest.MustAPIError(t, rec, http.StatusTooManyRequests, "rate_limited")
	if rec.Header().Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	other := webtest.KeyRequest(lifecycle.NewAccessKey(), lifecycle.NewSecretKey())
	other.RemoteAddr = "198.51.100.7:5555"
	webtest.MustAPIError(t, env.Do(other), http.StatusUnauthorized, "invalid_credentials")
	// The right keys still get their token.
	webtest.MustStatus(t, env.Do(webtest.KeyRequest(keys.AccessKey, keys.SecretKey)), http.StatusOK)
}

// A body found too long while it is read closes the connection after the
// 413, so the rest of it is never read, on the pages and on the API.
func TestBodyFoundTooLongClosesTheConnection(t *testing.T) {
	env := webtest.NewEnv(t)
	srv := httptest.NewServer(env.Server)
	defer srv.Close()
	for _, tt := range []struct{ path, ctype string }{
		{"/login", "application/x-www-form-urlencoded"},
		{"/api/v1/token/access-key", "application/json"},
		{"/api/v1/oauth/token", "application/x-www-form-urlencoded"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			// Longer than the limit, shorter than what the server would
			// read on its own to keep the connection: only the limit's
			// reader closes it. No length: only reading finds out.
			body := io.MultiReader(strings.NewReader("pad="), strings.NewReader(strings.Repeat("x", 100<<10)))
			req, err := http.NewRequest(http.MethodPost, srv.URL+tt.path, body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", tt.ctype)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d, want 413", resp.StatusCode)
			}
			if !resp.Close {
				t.Error("the connection stays open after a body found too long")
			}
		})
	}
}
