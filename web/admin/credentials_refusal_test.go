package admin_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"esp/lifecycle"
	"esp/web/internal/webtest"
)

// refusal is what a refused user reads on a 404 page of the window's
// addresses.
type refusal struct {
	code, message, who, command, more string
	admins                            []string
}

func readRefusal(t *testing.T, rec *httptest.ResponseRecorder) refusal {
	t.Helper()
	webtest.WantStatus(t, rec, http.StatusNotFound)
	doc := webtest.MustDoc(t, rec)
	r := refusal{code: webtest.Text(doc, "error-code"), message: squash(webtest.Text(doc, "error-message")),
		who: squash(webtest.Text(doc, "refusal-who")), command: webtest.Text(doc, "refusal-command"), more: webtest.Text(doc, "more-admins")}
	doc.Find("[data-testid=tenant-admin]").Each(func(_ int, s *goquery.Selection) { r.admins = append(r.admins, s.Text()) })
	return r
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

// A non-admin who opens the window's pages gets 404, and the page names
// the tenant's admins (their usernames, never their email addresses, and
// never another tenant's admins).
func TestNonAdminRefusalNamesTheTenantsAdmins(t *testing.T) {
	env := webtest.NewEnv(t)
	if _, err := env.Accounts.CreateUser(t.Context(), lifecycle.NewUser{Tenant: "acme", Username: "carol",
		Password: "password-carol", Admin: true, Email: "carol@example.com"}); err != nil {
		t.Fatal(err)
	}
	c := webtest.SignedIn(t, env, "bob")
	for _, path := range []string{"/api-credentials", "/api-credentials/history", "/api-credentials/generate"} {
		rec := c.Get(path)
		r := readRefusal(t, rec)
		if r.code != "404" || !strings.Contains(r.message, "acme") || !strings.Contains(r.message, "ESP admins") {
			t.Errorf("%s: code %s, message %q: want 404 naming the tenant and its admins", path, r.code, r.message)
		}
		if fmt.Sprint(r.admins) != "[alice carol]" || r.more != "" || r.who != "Ask one of them for access keys:" {
			t.Errorf("%s: admins %q (%q), want alice and carol", path, r.admins, r.who)
		}
		if strings.Contains(rec.Body.String(), "example.com") || strings.Contains(rec.Body.String(), "gina") {
			t.Errorf("%s: the page shows an email address or another tenant's admin", path)
		}
	}
}

// Past a few admins the page names the first ones and counts the others.
func TestNonAdminRefusalCountsManyAdmins(t *testing.T) {
	env := webtest.NewEnv(t)
	for i := range 6 {
		if _, err := env.Accounts.AddUser(t.Context(), "acme", fmt.Sprintf("admin%d", i), "password-x", true); err != nil {
			t.Fatal(err)
		}
	}
	r := readRefusal(t, webtest.SignedIn(t, env, "bob").Get("/api-credentials"))
	if fmt.Sprint(r.admins) != "[admin0 admin1 admin2 admin3 admin4]" || r.more != "and 2 more" {
		t.Errorf("admins %q (%q): want the first five by name and 2 more", r.admins, r.more)
	}
}

// A tenant without an admin: the page says how an operator makes one.
func TestNonAdminRefusalWithoutAdminsSaysHowToMakeOne(t *testing.T) {
	env := webtest.NewEnv(t)
	if err := env.Accounts.SetUser(t.Context(), "acme", "alice", lifecycle.UserChange{Admin: new(false)}); err != nil {
		t.Fatal(err)
	}
	r := readRefusal(t, webtest.SignedIn(t, env, "bob").Get("/api-credentials"))
	if len(r.admins) != 0 || r.command != "esp user set --tenant acme USERNAME --admin=true" {
		t.Errorf("admins %q, command %q: want none and the command that makes one", r.admins, r.command)
	}
}

// An admin whose tenant has the public API off gets 404, and the page says
// so and gives the operator's command that turns it on.
func TestAdminRefusalSaysThePublicAPIIsOffAndWhoCanTurnItOn(t *testing.T) {
	env := webtest.NewEnv(t)
	c := webtest.SignedIn(t, env, "gina")
	for _, path := range []string{"/api-credentials", "/api-credentials/history"} {
		r := readRefusal(t, c.Get(path))
		if !strings.Contains(r.message, "public API is turned off for tenant globex") || !strings.Contains(r.who, "operator") {
			t.Errorf("%s: %q %q: want the public API off and who can turn it on", path, r.message, r.who)
		}
		if r.command != "esp tenant feature globex public-api on" || len(r.admins) != 0 {
			t.Errorf("%s: command %q, admins %q", path, r.command, r.admins)
		}
	}
}

// The window's refusals say nothing more to HEAD, and an unknown address
// keeps the plain 404.
func TestRefusalHeadIsBareAndUnknownAddressesStayGeneric(t *testing.T) {
	env := webtest.NewEnv(t)
	c := webtest.SignedIn(t, env, "bob")
	head := c.Send(httptest.NewRequest(http.MethodHead, "/api-credentials", nil))
	webtest.WantStatus(t, head, http.StatusNotFound)
	if head.Body.Len() != 0 {
		t.Errorf("HEAD answered %d bytes", head.Body.Len())
	}
	rec := c.Get("/no-such-page")
	webtest.WantStatus(t, rec, http.StatusNotFound)
	doc := webtest.MustDoc(t, rec)
	if got := webtest.Text(doc, "error-message"); got != "There is no page at this address." {
		t.Errorf("unknown address: %q", got)
	}
	if doc.Find("[data-testid=refusal-who], [data-testid=tenant-admin]").Length() != 0 {
		t.Error("an unknown address explains the window")
	}
}
