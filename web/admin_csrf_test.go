package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"esp/lifecycle"
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
				env := newTestEnv(t)
				driveTo(t, env, tt.from)
				c := signedIn(t, env, "alice")
				if form == nil {
					other := signedIn(t, env, "alice")
					form = url.Values{"_csrf": {other.csrf(t, "/")}}
				}
				q := url.Values{"_csrf": {c.csrf(t, "/")}} // the right token in the URL does not count
				rec := c.post(tt.path+"?"+q.Encode(), form)
				wantStatus(t, rec, http.StatusForbidden)
				if got := currentStatus(t, env); got != tt.from {
					t.Fatalf("status = %s after a refused POST, want %s unchanged", got, tt.from)
				}
				wantStatus(t, c.get("/"), http.StatusOK) // still signed in
			})
		}
	}
}

func TestFormsCarryTheSessionCSRFToken(t *testing.T) {
	env := newTestEnv(t)
	driveTo(t, env, lifecycle.Activated)
	c := signedIn(t, env, "alice")
	rec := c.get("/api-credentials")
	wantStatus(t, rec, http.StatusOK)
	doc := mustDoc(t, rec)
	forms := doc.Find(`form[method=post]`)
	if forms.Length() < 3 {
		t.Fatalf("%d POST forms, want logout, generate and deactivate", forms.Length())
	}
	want := c.csrf(t, "/")
	forms.Each(func(_ int, f *goquery.Selection) {
		if got, _ := f.Find(`input[name=_csrf]`).Attr("value"); got != want {
			t.Errorf("form %s: _csrf = %q, want the session token", f.AttrOr("action", "?"), got)
		}
	})
	// The token is the session's: a new session gets another one.
	if other := signedIn(t, env, "alice").csrf(t, "/"); other == want {
		t.Fatal("two sessions share a CSRF token")
	}
}
