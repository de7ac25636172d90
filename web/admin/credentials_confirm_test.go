package admin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"esp/lifecycle"
	"esp/web/internal/webtest"
)

// Without script the window's Deactivate form carries no confirm=yes: the
// answer is the window with the confirmation open, and nothing changes.
func TestDeactivateWithoutConfirmAnswersTheConfirmationAndChangesNothing(t *testing.T) {
	for _, from := range []lifecycle.Status{lifecycle.Activated, lifecycle.PendingActivation} {
		t.Run(string(from), func(t *testing.T) {
			env := webtest.NewEnv(t)
			webtest.DriveTo(t, env, from)
			c := webtest.SignedIn(t, env, "alice")
			csrf := c.CSRF(t, "/api-credentials")
			for _, form := range []url.Values{{"_csrf": {csrf}}, {"_csrf": {csrf}, "confirm": {"no"}}, {"_csrf": {csrf}, "confirm": {""}}} {
				rec := c.Post("/api-credentials/deactivate", form)
				webtest.WantStatus(t, rec, http.StatusOK)
				doc := webtest.MustDoc(t, rec)
				d := doc.Find(`dialog[data-testid=confirm-deactivate][open]`)
				if d.Length() != 1 {
					t.Fatalf("form %v: the answer has no open confirmation", form)
				}
				if got := d.Find(`[data-testid=confirm-deactivate-key]`).Text(); !strings.HasPrefix(got, "••••") || len([]rune(got)) != 8 {
					t.Errorf("the confirmation names the key %q, want ••••WXYZ", got)
				}
				if d.Find(`form[action="/api-credentials/deactivate"] input[name=confirm][value=yes]`).Length() != 1 {
					t.Error("the confirmation's form does not send confirm=yes")
				}
				if got := webtest.CurrentStatus(t, env); got != from {
					t.Fatalf("status = %s after an unconfirmed Deactivate, want %s unchanged", got, from)
				}
			}
		})
	}
}

func TestDeactivateWithConfirmDeactivates(t *testing.T) {
	env := webtest.NewEnv(t)
	webtest.DriveTo(t, env, lifecycle.Activated)
	c := webtest.SignedIn(t, env, "alice")
	form := url.Values{"_csrf": {c.CSRF(t, "/api-credentials")}, "confirm": {"yes"}}
	webtest.WantRedirect(t, c.Post("/api-credentials/deactivate", form), "/api-credentials")
	if got := webtest.CurrentStatus(t, env); got != lifecycle.PendingDeactivation {
		t.Fatalf("status = %s, want %s", got, lifecycle.PendingDeactivation)
	}
}

// The confirmation page is no way around the CSRF check.
func TestUnconfirmedDeactivateStillNeedsTheCSRFToken(t *testing.T) {
	env := webtest.NewEnv(t)
	webtest.DriveTo(t, env, lifecycle.Activated)
	c := webtest.SignedIn(t, env, "alice")
	for _, form := range []url.Values{{}, {"confirm": {"yes"}}} {
		webtest.WantStatus(t, c.Post("/api-credentials/deactivate", form), http.StatusForbidden)
	}
	if got := webtest.CurrentStatus(t, env); got != lifecycle.Activated {
		t.Fatalf("status = %s, want Activated", got)
	}
}

// Where Deactivate is not available, an unconfirmed form is refused as a
// confirmed one is, with no confirmation to offer.
func TestUnconfirmedDeactivateWhereNotAvailableIsRefused(t *testing.T) {
	for _, from := range []lifecycle.Status{lifecycle.None, lifecycle.Deactivated} {
		env := webtest.NewEnv(t)
		webtest.DriveTo(t, env, from)
		c := webtest.SignedIn(t, env, "alice")
		rec := c.Post("/api-credentials/deactivate", url.Values{"_csrf": {c.CSRF(t, "/api-credentials")}})
		webtest.WantStatus(t, rec, http.StatusConflict)
		doc := webtest.MustDoc(t, rec)
		if got := webtest.Text(doc, "credential-notice"); !strings.Contains(got, "Deactivate is not available") {
			t.Errorf("%s: notice = %q", from, got)
		}
		if doc.Find(`[data-testid=confirm-deactivate]`).Length() != 0 {
			t.Errorf("%s: a confirmation is offered where Deactivate is not available", from)
		}
		if got := webtest.CurrentStatus(t, env); got != from {
			t.Fatalf("status = %s, want %s", got, from)
		}
	}
}

// The window names the tenant, and the API's base URL as clients reach
// it: under --public-url when set, else under the address the browser used.
func TestTheWindowNamesTheTenantAndTheAPIBaseURL(t *testing.T) {
	for _, tt := range []struct {
		name, publicURL, host, want string
	}{
		{"from the request", "", "esp.internal:8080", "http://esp.internal:8080/api/v1"},
		{"from --public-url", "https://esp.example.com/", "esp.internal:8080", "https://esp.example.com/api/v1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := webtest.NewEnv(t, func(c *webtest.Config) { c.Admin.PublicURL = tt.publicURL })
			c := webtest.SignedIn(t, env, "alice")
			req, _ := http.NewRequest(http.MethodGet, "/api-credentials", nil)
			req.Host = tt.host
			rec := c.Send(req)
			webtest.WantStatus(t, rec, http.StatusOK)
			doc := webtest.MustDoc(t, rec)
			if got := webtest.Text(doc, "tenant-name"); got != "acme" {
				t.Errorf("tenant-name = %q, want acme", got)
			}
			if got := webtest.Text(doc, "api-base-url"); got != tt.want {
				t.Errorf("api-base-url = %q, want %q", got, tt.want)
			}
		})
	}
}
