package admin_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"esp/lifecycle"
	"esp/web/internal/webtest"
)

func TestPostsWithoutAValidCSRFTokenAreRefusedAndChangeNothing(t *testing.T) {
	for _, tt := range []struct {
		path string
		from lifecycle.Status // a status in which the action would succeed
	}{
		{"/api-credentials/generate", lifecycle.None},
		{"/api-credentials/deactivate", lifecycle.Activated},
		{"/logout", lifecycle.None},
	} {
		for name, form := range map[string]url.Values{
			"missing":             {},
			"wrong":               {"_csrf": {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}},
			"empty":               {"_csrf": {""}},
			"other session's one": nil, // filled in below
		} {
			t.Run(tt.path+"/"+name, func(t *testing.T) {
				env := webtest.NewEnv(t)
				webtest.DriveTo(t, env, tt.from)
				c := webtest.SignedIn(t, env, "alice")
				if form == nil {
					other := webtest.SignedIn(t, env, "alice")
					form = url.Values{"_csrf": {other.CSRF(t, "/")}}
				}
				q := url.Values{"_csrf": {c.CSRF(t, "/")}} // the right token in the URL does not count
				rec := c.Post(tt.path+"?"+q.Encode(), form)
				webtest.WantStatus(t, rec, http.StatusForbidden)
				if got := webtest.CurrentStatus(t, env); got != tt.from {
					t.Fatalf("status = %s after a refused POST, want %s unchanged", got, tt.from)
				}
				webtest.WantStatus(t, c.Get("/"), http.StatusOK) // still signed in
			})
		}
	}
}

func TestFormsCarryTheSessionCSRFToken(t *testing.T) {
	env := webtest.NewEnv(t)
	webtest.DriveTo(t, env, lifecycle.Activated)
	c := webtest.SignedIn(t, env, "alice")
	rec := c.Get("/api-credentials")
	webtest.WantStatus(t, rec, http.StatusOK)
	doc := webtest.MustDoc(t, rec)
	forms := doc.Find(`form[method=post]`)
	if forms.Length() < 3 {
		t.Fatalf("%d POST forms, want logout, generate and deactivate", forms.Length())
	}
	want := c.CSRF(t, "/")
	forms.Each(func(_ int, f *goquery.Selection) {
		if got, _ := f.Find(`input[name=_csrf]`).Attr("value"); got != want {
			t.Errorf("form %s: _csrf = %q, want the session token", f.AttrOr("action", "?"), got)
		}
	})
	// The token is the session's: a new session gets another one.
	if other := webtest.SignedIn(t, env, "alice").CSRF(t, "/"); other == want {
		t.Fatal("two sessions share a CSRF token")
	}
}
