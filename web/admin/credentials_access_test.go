package admin_test

import (
	"net/http"
	"net/url"
	"testing"

	"esp/lifecycle"
	"esp/web/internal/webtest"
)

var credentialRoutes = []struct{ method, path string }{
	{http.MethodGet, "/api-credentials"},
	{http.MethodPost, "/api-credentials/generate"},
	{http.MethodPost, "/api-credentials/deactivate"},
	{http.MethodGet, "/api-credentials/status"},
	{http.MethodGet, "/api-credentials/history"},
	{http.MethodGet, "/api-credentials/history.csv"},
	{http.MethodGet, "/api-credentials/allowed-ips"},
	{http.MethodPost, "/api-credentials/allowed-ips"},
}

func TestMenuShowsAPICredentialsOnlyToAdminsOfTenantsWithThePublicAPI(t *testing.T) {
	env := webtest.NewEnv(t)
	for _, tt := range []struct {
		user     string
		wantItem bool
	}{{"alice", true}, {"bob", false}, {"gina", false}} {
		t.Run(tt.user, func(t *testing.T) {
			c := webtest.SignedIn(t, env, tt.user)
			rec := c.Get("/")
			webtest.WantStatus(t, rec, http.StatusOK)
			doc := webtest.MustDoc(t, rec)
			if got := webtest.Text(doc, "user-menu"); got != tt.user {
				t.Errorf("user menu = %q, want %q", got, tt.user)
			}
			item := doc.Find(`[data-testid=menu-api-credentials]`)
			if got := item.Length() == 1; got != tt.wantItem {
				t.Fatalf("API Credentials item shown = %v, want %v", got, tt.wantItem)
			}
			if tt.wantItem && item.AttrOr("href", "") != "/api-credentials" {
				t.Errorf("item href = %q", item.AttrOr("href", ""))
			}
			if doc.Find(`[data-testid=logout]`).Length() != 1 {
				t.Error("no Log out in the menu")
			}
		})
	}
}

func TestCredentialRoutesAreNotFoundForNonAdminsAndTenantsWithoutThePublicAPI(t *testing.T) {
	for _, user := range []string{"bob", "gina"} {
		for _, r := range credentialRoutes {
			t.Run(user+" "+r.method+" "+r.path, func(t *testing.T) {
				env := webtest.NewEnv(t)
				c := webtest.SignedIn(t, env, user)
				var rec = c.Get(r.path)
				if r.method == http.MethodPost {
					// With a valid token: the refusal is about who, not how.
					rec = c.PostForm(t, "/", r.path, url.Values{})
				}
				webtest.WantStatus(t, rec, http.StatusNotFound)
				if got := webtest.CurrentStatus(t, env); got != lifecycle.None {
					t.Fatalf("acme's status = %s, want unchanged", got)
				}
				n := 0
				if err := env.Store.DB.QueryRow(`SELECT count(*) FROM credentials`).Scan(&n); err != nil || n != 0 {
					t.Fatalf("%d credentials (err %v), want none", n, err)
				}
			})
		}
	}
}

func TestCredentialRoutesDisappearWhenThePublicAPIIsTurnedOff(t *testing.T) {
	env := webtest.NewEnv(t)
	c := webtest.SignedIn(t, env, "alice")
	webtest.WantStatus(t, c.Get("/api-credentials"), http.StatusOK)
	if err := env.Accounts.SetPublicAPI(t.Context(), "acme", false); err != nil {
		t.Fatal(err)
	}
	webtest.WantStatus(t, c.Get("/api-credentials"), http.StatusNotFound)
	webtest.WantStatus(t, c.Get("/api-credentials/status"), http.StatusNotFound)
	webtest.WantStatus(t, c.Get("/api-credentials/history"), http.StatusNotFound)
	webtest.WantStatus(t, c.Get("/api-credentials/history.csv"), http.StatusNotFound)
}

func TestCredentialRoutesSendAnonymousVisitorsToLogin(t *testing.T) {
	env := webtest.NewEnv(t)
	for _, r := range credentialRoutes {
		c := webtest.NewClient(env)
		var rec = c.Get(r.path)
		if r.method == http.MethodPost {
			rec = c.Post(r.path, url.Values{})
		}
		if r.path == "/api-credentials/status" {
			// A script cannot follow a login redirect: it is told plainly.
			webtest.WantStatus(t, rec, http.StatusUnauthorized)
			continue
		}
		webtest.WantRedirect(t, rec, "/login")
	}
	if got := webtest.CurrentStatus(t, env); got != lifecycle.None {
		t.Fatalf("status = %s", got)
	}
}
