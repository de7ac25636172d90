package admin_test

import (
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"esp/web/internal/webtest"
)

// Every method on the window's paths, known or not, passes the same checks
// as the right ones: anonymous visitors go to /login (the live status
// answers 401), users without the window get 404, and only an admin who may
// use the window learns which methods a path takes (405 with Allow).
func TestWindowPathsCheckAccessBeforeMethod(t *testing.T) {
	env := webtest.NewEnv(t)
	anon := webtest.NewClient(env)
	bob := webtest.SignedIn(t, env, "bob")   // not an admin
	gina := webtest.SignedIn(t, env, "gina") // an admin of a tenant without the public API
	alice := webtest.SignedIn(t, env, "alice")
	// What an admin gets for the methods each path takes (no CSRF token
	// here, so the forms are refused with 403 and change nothing).
	routed := map[string]map[string]int{
		"/api-credentials":             {http.MethodGet: http.StatusOK, http.MethodHead: http.StatusOK},
		"/api-credentials/generate":    {http.MethodGet: http.StatusSeeOther, http.MethodHead: http.StatusSeeOther, http.MethodPost: http.StatusForbidden},
		"/api-credentials/deactivate":  {http.MethodGet: http.StatusSeeOther, http.MethodHead: http.StatusSeeOther, http.MethodPost: http.StatusForbidden},
		"/api-credentials/status":      {http.MethodGet: http.StatusOK, http.MethodHead: http.StatusOK},
		"/api-credentials/history":     {http.MethodGet: http.StatusOK, http.MethodHead: http.StatusOK},
		"/api-credentials/history.csv": {http.MethodGet: http.StatusOK, http.MethodHead: http.StatusOK},
	}
	methods := []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete,
		http.MethodPatch, http.MethodOptions, http.MethodTrace, "PROPFIND", "REPORT", "FOO", "get"}
	for path, allowed := range routed {
		for _, method := range methods {
			t.Run(method+" "+path, func(t *testing.T) {
				rec := anon.Send(httptest.NewRequest(method, path, nil))
				if path == "/api-credentials/status" {
					webtest.WantStatus(t, rec, http.StatusUnauthorized) // the poller's JSON answer
				} else {
					webtest.WantRedirect(t, rec, "/login")
				}
				if got := rec.Header().Get("Allow"); got != "" {
					t.Errorf("anonymous: Allow = %q, want none", got)
				}
				for _, c := range []*webtest.Client{bob, gina} {
					rec = c.Send(httptest.NewRequest(method, path, nil))
					webtest.WantStatus(t, rec, http.StatusNotFound)
					if got := rec.Header().Get("Allow"); got != "" {
						t.Errorf("no access: Allow = %q, want none", got)
					}
				}
				rec = alice.Send(httptest.NewRequest(method, path, nil))
				if want, ok := allowed[method]; ok {
					webtest.WantStatus(t, rec, want)
					return
				}
				webtest.WantStatus(t, rec, http.StatusMethodNotAllowed)
				var want []string
				for m := range allowed {
					want = append(want, m)
				}
				sort.Strings(want)
				if got := rec.Header().Get("Allow"); got != strings.Join(want, ", ") {
					t.Errorf("admin: Allow = %q, want %q", got, strings.Join(want, ", "))
				}
			})
		}
	}
	if got := webtest.CurrentStatus(t, env); got != "none" {
		t.Fatalf("a refused method changed the status to %s", got)
	}
}

// Reloading the address the Generate or Deactivate form posted to shows
// the window instead of an error.
func TestGETOnFormAddressesReturnsToTheWindow(t *testing.T) {
	env := webtest.NewEnv(t)
	alice := webtest.SignedIn(t, env, "alice")
	for _, path := range []string{"/api-credentials/generate", "/api-credentials/deactivate"} {
		webtest.WantRedirect(t, alice.Get(path), "/api-credentials")
		webtest.WantRedirect(t, webtest.NewClient(env).Get(path), "/login")
		webtest.WantStatus(t, webtest.SignedIn(t, env, "bob").Get(path), http.StatusNotFound)
	}
	if got := webtest.CurrentStatus(t, env); got != "none" {
		t.Fatalf("a GET changed the status to %s", got)
	}
}

func TestHEADWorksWhereGETDoes(t *testing.T) {
	env := webtest.NewEnv(t)
	for path, want := range map[string]int{"/login": http.StatusOK, "/healthz": http.StatusOK, "/": http.StatusSeeOther} {
		rec := env.Do(httptest.NewRequest(http.MethodHead, path, nil))
		webtest.WantStatus(t, rec, want)
	}
}
