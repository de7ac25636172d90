package admin_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"esp/lifecycle"
	"esp/web/internal/webtest"
)

// generateCount is how many Generates the server carried out for anyone.
func generateCount(tb testing.TB, env *webtest.Env) int {
	tb.Helper()
	var n int
	if err := env.Store.DB.QueryRow(`SELECT count(*) FROM audit WHERE action = 'generate'`).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// A browser resending the Generate form (reload or Back on the page after
// Generate, without the page's script) is sent to the window, which shows
// the keys masked and no error, however often and in whatever status.
func TestGenerateFormSentAgainShowsTheWindowMasked(t *testing.T) {
	env := webtest.NewEnv(t)
	alice := webtest.SignedIn(t, env, "alice")
	form := alice.FormFields(t, "/api-credentials", "/api-credentials/generate")
	rec := alice.Post("/api-credentials/generate", form)
	webtest.WantStatus(t, rec, http.StatusOK)
	access := webtest.Text(webtest.MustDoc(t, rec), "access-key")

	check := func(status string) {
		t.Helper()
		webtest.WantRedirect(t, alice.Post("/api-credentials/generate", form), "/api-credentials")
		rec := alice.Get("/api-credentials")
		webtest.WantStatus(t, rec, http.StatusOK)
		doc := webtest.MustDoc(t, rec)
		if got := webtest.Text(doc, "credential-status"); got != status {
			t.Errorf("status %q, want %q", got, status)
		}
		if got, want := webtest.Text(doc, "access-key"), "••••••••"+access[len(access)-4:]; got != want {
			t.Errorf("access key %q, want %q", got, want)
		}
		if n := doc.Find(`[data-testid=credential-notice], [data-testid=one-time-warning], [data-testid=download-keys]`).Length(); n != 0 {
			t.Errorf("the window shows a notice or the one-time keys' warning or Download")
		}
		if n := generateCount(t, env); n != 1 {
			t.Fatalf("%d Generates carried out, want 1", n)
		}
	}
	check("Pending Activation")
	env.Tick(t)
	check("Activated")
	webtest.WantRedirect(t, alice.PostForm(t, "/api-credentials", "/api-credentials/deactivate", nil), "/api-credentials")
	env.Tick(t)
	check("Deactivated") // Generate is available again, and still not done twice
}

func TestEveryWindowHasItsOwnGenerateRequest(t *testing.T) {
	env := webtest.NewEnv(t)
	alice := webtest.SignedIn(t, env, "alice")
	format := regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)
	seen := map[string]bool{}
	for range 3 {
		id := alice.FormFields(t, "/api-credentials", "/api-credentials/generate").Get("generate_request")
		if !format.MatchString(id) || seen[id] {
			t.Fatalf("generate_request %q: want a new 22-character id each time (seen %v)", id, seen)
		}
		seen[id] = true
	}
	// The answer to Generate has one too, for the next Generate.
	rec := alice.PostForm(t, "/api-credentials", "/api-credentials/generate", nil)
	webtest.WantStatus(t, rec, http.StatusOK)
	id := webtest.MustDoc(t, rec).Find(`form[action="/api-credentials/generate"] input[name=generate_request]`).AttrOr("value", "")
	if !format.MatchString(id) || seen[id] {
		t.Fatalf("the Generate answer's generate_request %q", id)
	}
}

func TestGenerateWithoutAValidRequestIDChangesNothing(t *testing.T) {
	env := webtest.NewEnv(t)
	alice := webtest.SignedIn(t, env, "alice")
	for name, request := range map[string][]string{
		"missing":   nil,
		"empty":     {""},
		"too short": {"abc"},
		"not ours":  {strings.Repeat("!", 22)},
		"doubled":   {"AAAAAAAAAAAAAAAAAAAAAA", "BBBBBBBBBBBBBBBBBBBBBB"},
	} {
		t.Run(name, func(t *testing.T) {
			form := url.Values{"_csrf": {alice.CSRF(t, "/api-credentials")}}
			if request != nil {
				form["generate_request"] = request
			}
			rec := alice.Post("/api-credentials/generate", form)
			webtest.WantStatus(t, rec, http.StatusBadRequest)
			doc := webtest.MustDoc(t, rec)
			if got := webtest.Text(doc, "credential-notice"); !strings.Contains(got, "nothing was generated") {
				t.Errorf("notice %q", got)
			}
			if webtest.Text(doc, "credential-status") != "No Credentials" || webtest.ButtonState(doc, "generate") != "enabled" {
				t.Errorf("the answer is not the window as it stands")
			}
			if n := generateCount(t, env); n != 0 || webtest.CurrentStatus(t, env) != lifecycle.None {
				t.Fatalf("%d Generates carried out, want none", n)
			}
		})
	}
}

// The one-time keys come with Download and what it needs on the window
// element; a masked window has neither.
func TestDownloadHooksComeOnlyWithTheOneTimeKeys(t *testing.T) {
	env := webtest.NewEnv(t)
	alice := webtest.SignedIn(t, env, "alice")
	rec := alice.PostForm(t, "/api-credentials", "/api-credentials/generate", nil)
	webtest.WantStatus(t, rec, http.StatusOK)
	doc := webtest.MustDoc(t, rec)
	if got := webtest.ButtonState(doc, "download-keys"); got != "enabled" {
		t.Fatalf("Download is %s", got)
	}
	if got := doc.Find(`[data-testid=download-keys]`).AttrOr("type", ""); got != "button" {
		t.Errorf("Download is a %q button, want type=button (it sends nothing)", got)
	}
	w := doc.Find(`[data-testid=credentials-window]`)
	for attr, want := range map[string]string{
		"data-full-keys":    "true",
		"data-tenant":       "acme",
		"data-created":      "2026-11-26 09:00:00 UTC",
		"data-api-base-url": "http://example.com/api/v1",
		"data-window-url":   "/api-credentials",
	} {
		if got := w.AttrOr(attr, "(none)"); got != want {
			t.Errorf("%s = %q, want %q", attr, got, want)
		}
	}

	rec = alice.Get("/api-credentials")
	webtest.WantStatus(t, rec, http.StatusOK)
	doc = webtest.MustDoc(t, rec)
	if got := webtest.ButtonState(doc, "download-keys"); got != "absent" {
		t.Errorf("the masked window has Download (%s)", got)
	}
	w = doc.Find(`[data-testid=credentials-window]`)
	for _, attr := range []string{"data-full-keys", "data-tenant", "data-created", "data-api-base-url"} {
		if _, ok := w.Attr(attr); ok {
			t.Errorf("the masked window has %s", attr)
		}
	}
	if got := w.AttrOr("data-window-url", ""); got != "/api-credentials" {
		t.Errorf("data-window-url = %q", got)
	}
}
