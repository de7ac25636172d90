package web_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"esp/lifecycle"
	"esp/web/internal/webtest"
)

// crossSite marks a request the way a browser marks one sent by a page on
// another site.
func crossSite(req *http.Request) *http.Request {
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://attacker.test")
	return req
}

// A Generate posted from another site's page is refused even with a valid
// session and CSRF token, and changes nothing; from our own page it works.
func TestCrossSiteGenerateIsRefusedEvenWithAValidToken(t *testing.T) {
	env := webtest.NewEnv(t)
	alice := webtest.SignedIn(t, env, "alice")
	form := alice.FormFields(t, "/api-credentials", "/api-credentials/generate")
	token := form.Get("_csrf")

	for _, site := range []string{"cross-site", "same-site"} {
		req := webtest.NewFormRequest("/api-credentials/generate", url.Values{"_csrf": {token}})
		req.Header.Set("Sec-Fetch-Site", site)
		rec := alice.Send(req)
		webtest.WantStatus(t, rec, http.StatusForbidden)
		doc := webtest.MustDoc(t, rec)
		if got := webtest.Text(doc, "error-code"); got != "403" {
			t.Errorf("%s: error-code = %q, want the app's 403 page", site, got)
		}
		if got := webtest.Text(doc, "error-message"); !strings.Contains(got, "another site") {
			t.Errorf("%s: error-message = %q, want it to say the request came from another site", site, got)
		}
		if got := webtest.CurrentStatus(t, env); got != lifecycle.None {
			t.Fatalf("%s: status = %s after a refused Generate, want none", site, got)
		}
	}
	// An Origin naming another host, from a browser without Sec-Fetch-Site.
	req := webtest.NewFormRequest("/api-credentials/generate", url.Values{"_csrf": {token}})
	req.Header.Set("Origin", "https://attacker.test")
	webtest.WantStatus(t, alice.Send(req), http.StatusForbidden)
	if got := webtest.CurrentStatus(t, env); got != lifecycle.None {
		t.Fatalf("status = %s after a refused Generate, want none", got)
	}

	// The same post from our own page is Generate as usual.
	req = webtest.NewFormRequest("/api-credentials/generate", form)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", "http://example.com")
	rec := alice.Send(req)
	webtest.WantStatus(t, rec, http.StatusOK)
	if got := webtest.Text(webtest.MustDoc(t, rec), "secret-key"); got == "" {
		t.Fatal("a same-origin Generate showed no secret key")
	}
	if got := webtest.CurrentStatus(t, env); got != lifecycle.PendingActivation {
		t.Fatalf("status = %s after a same-origin Generate, want %s", got, lifecycle.PendingActivation)
	}
}

// Every unsafe request from another site is refused, on every kind of
// route; safe ones (following a link to ESP) are not.
func TestCrossSiteChangesAreRefusedEverywhere(t *testing.T) {
	env := webtest.NewEnv(t)
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	alice := webtest.SignedIn(t, env, "alice")

	// Logging out and logging in from another site.
	req := webtest.NewFormRequest("/logout", url.Values{"_csrf": {alice.CSRF(t, "/")}})
	webtest.WantStatus(t, alice.Send(crossSite(req)), http.StatusForbidden)
	webtest.WantStatus(t, alice.Get("/"), http.StatusOK) // still signed in
	anon := webtest.NewClient(env)
	req = webtest.NewFormRequest("/login", url.Values{"_csrf": {anon.CSRF(t, "/login")}, "username": {"alice"}, "password": {"password-alice"}})
	rec := anon.Send(crossSite(req))
	webtest.WantStatus(t, rec, http.StatusForbidden)
	if got := webtest.Text(webtest.MustDoc(t, rec), "error-code"); got != "403" {
		t.Errorf("cross-site login: error-code = %q, want the app's 403 page", got)
	}
	webtest.WantRedirect(t, anon.Get("/"), "/login") // not signed in

	// Deactivate from another site leaves the credential working.
	req = webtest.NewFormRequest("/api-credentials/deactivate", url.Values{"_csrf": {alice.CSRF(t, "/api-credentials")}, "confirm": {"yes"}})
	webtest.WantStatus(t, alice.Send(crossSite(req)), http.StatusForbidden)
	if got := webtest.CurrentStatus(t, env); got != lifecycle.Activated {
		t.Fatalf("status = %s after a refused Deactivate, want %s", got, lifecycle.Activated)
	}

	// The API's token routes answer in their own shapes, and issue nothing.
	rec = env.Do(crossSite(webtest.KeyRequest(keys.AccessKey, keys.SecretKey)))
	webtest.MustAPIError(t, rec, http.StatusForbidden, "forbidden")
	rec = env.Do(crossSite(webtest.OAuthRequest(keys.AccessKey, keys.SecretKey, true)))
	webtest.MustStatus(t, rec, http.StatusForbidden)
	if code := webtest.OAuthErrorCode(t, rec); code != "invalid_request" {
		t.Errorf("OAuth cross-site error = %q, want invalid_request", code)
	}
	// An exchange records the credential's use: none ran.
	var used sql.NullInt64
	if err := env.Store.DB.QueryRowContext(context.Background(), `SELECT last_used_at FROM credentials WHERE id = $1`,
		keys.Credential.ID).Scan(&used); err != nil {
		t.Fatal(err)
	}
	if used.Valid {
		t.Fatal("the credential was used by a cross-site request")
	}
	// API clients send neither header and are served.
	webtest.Exchange(t, env, keys)

	// A link from another site still opens ESP.
	webtest.WantStatus(t, alice.Send(crossSite(httptest.NewRequest(http.MethodGet, "/api-credentials", nil))), http.StatusOK)
	webtest.WantRedirect(t, anon.Send(crossSite(httptest.NewRequest(http.MethodGet, "/", nil))), "/login")
}
