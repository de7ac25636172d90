package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"esp/lifecycle"
	"esp/web/internal/webtest"
)

// expiryChoices are the values of the Generate form's expiry choices and
// the one selected.
func expiryChoices(doc *goquery.Document) (values []string, selected string) {
	doc.Find(`form[action="/api-credentials/generate"] select[name=expiry][data-testid=generate-expiry] option`).Each(func(_ int, o *goquery.Selection) {
		values = append(values, o.AttrOr("value", ""))
		if _, ok := o.Attr("selected"); ok {
			selected = o.AttrOr("value", "")
		}
	})
	return values, selected
}

// generateWithExpiry posts the window's Generate form with the expiry.
func generateWithExpiry(t *testing.T, c *webtest.Client, expiry string) *goquery.Document {
	t.Helper()
	rec := c.PostForm(t, "/api-credentials", "/api-credentials/generate", url.Values{"expiry": {expiry}})
	webtest.WantStatus(t, rec, http.StatusOK)
	return webtest.MustDoc(t, rec)
}

// The window offers the four lifetimes beside Generate, 1 year chosen;
// the credentials then show their expiry with its zone and the days left,
// amber within 7 days, and "Never" when they have none.
func TestWindowShowsTheExpiryChoicesAndTheExpiry(t *testing.T) {
	env := webtest.NewEnv(t)
	alice := webtest.SignedIn(t, env, "alice")
	rec := alice.Get("/api-credentials")
	webtest.WantStatus(t, rec, http.StatusOK)
	doc := webtest.MustDoc(t, rec)
	if values, sel := expiryChoices(doc); !slices.Equal(values, []string{"30d", "90d", "1y", "never"}) || sel != "1y" {
		t.Fatalf("choices %v, selected %q; want 30d 90d 1y never, 1y", values, sel)
	}
	if got := webtest.Text(doc, "credential-expires"); got != "—" {
		t.Errorf("expires %q without credentials, want —", got)
	}
	if doc.Find(`[data-testid=expiry-policy]`).Length() != 0 {
		t.Error("a policy line for a tenant without a maximum")
	}
	doc = generateWithExpiry(t, alice, "30d")
	if got := webtest.Text(doc, "credential-expires"); got != "2026-12-26 09:00 UTC, in 30 days" {
		t.Fatalf("expires %q after Generate, want 2026-12-26 09:00 UTC, in 30 days", got)
	}
	env.Clock.Add(time.Minute) // a little later still 30 days, not 29 and a fraction
	if got := webtest.Text(webtest.MustDoc(t, alice.Get("/api-credentials")), "credential-expires"); got != "2026-12-26 09:00 UTC, in 30 days" {
		t.Fatalf("expires %q a minute after Generate", got)
	}
	env.Tick(t)
	env.Clock.Add(24*lifecycle.Day - 11*time.Hour) // 6 days and 11 hours left
	alice = webtest.SignedIn(t, env, "alice")      // the session has timed out meanwhile
	doc = webtest.MustDoc(t, alice.Get("/api-credentials"))
	expires := doc.Find(`[data-testid=credential-expires]`)
	if got := strings.TrimSpace(expires.Text()); got != "2026-12-26 09:00 UTC, in 6 days" || !expires.HasClass("expires-soon") {
		t.Fatalf("6 days before: %q, amber %v", got, expires.HasClass("expires-soon"))
	}
	if dt := expires.Find("time").AttrOr("datetime", ""); dt != "2026-12-26T09:00:00Z" {
		t.Errorf("datetime %q", dt)
	}
	webtest.WantRedirect(t, alice.PostForm(t, "/api-credentials", "/api-credentials/deactivate", url.Values{"confirm": {"yes"}}), "/api-credentials")
	env.Tick(t)
	doc = generateWithExpiry(t, alice, "never")
	if got := webtest.Text(doc, "credential-expires"); got != "Never" {
		t.Fatalf("expires %q, want Never", got)
	}
	if doc.Find(`[data-testid=credential-expires].expires-soon`).Length() != 0 {
		t.Error("credentials without expiry shown amber")
	}
}

// Under a tenant's maximum the window offers the shorter lifetimes and
// the maximum, says that a maximum does not shorten live credentials, and
// the server refuses any other choice: 400, nothing generated.
func TestGenerateRefusesAnExpiryTheMaximumDoesNotOffer(t *testing.T) {
	env := webtest.NewEnv(t)
	if err := env.Accounts.SetMaxCredentialLifetime(context.Background(), "acme", 90*lifecycle.Day); err != nil {
		t.Fatal(err)
	}
	alice := webtest.SignedIn(t, env, "alice")
	doc := webtest.MustDoc(t, alice.Get("/api-credentials"))
	if values, sel := expiryChoices(doc); !slices.Equal(values, []string{"30d", "90d"}) || sel != "90d" {
		t.Fatalf("choices %v, selected %q; want 30d 90d, 90d", values, sel)
	}
	if p := webtest.Text(doc, "expiry-policy"); !strings.Contains(p, "90 days") || !strings.Contains(p, "does not shorten") {
		t.Errorf("policy line %q", p)
	}
	for _, refused := range []string{"never", "1y", "", "365d"} {
		form := url.Values{"expiry": {refused}}
		if refused == "" {
			form = url.Values{"expiry": {"forever"}}
		}
		rec := alice.PostForm(t, "/api-credentials", "/api-credentials/generate", form)
		webtest.WantStatus(t, rec, http.StatusBadRequest)
		if msg := webtest.Text(webtest.MustDoc(t, rec), "credential-notice"); !strings.Contains(msg, "nothing was generated") {
			t.Errorf("expiry %q: notice %q", refused, msg)
		}
	}
	if n := generateCount(t, env); n != 0 {
		t.Fatalf("%d Generates carried out after refusals, want 0", n)
	}
	doc = generateWithExpiry(t, alice, "90d")
	if got := webtest.Text(doc, "credential-expires"); got != "2027-02-24 09:00 UTC, in 90 days" {
		t.Fatalf("expires %q", got)
	}
}
