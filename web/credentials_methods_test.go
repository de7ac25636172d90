package web_test

import (
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
)

// Every method on the window's paths, known or not, passes the same checks
// as the right ones: anonymous visitors go to /login (the live status
// answers 401), users without the window get 404, and only an admin who may
// use the window learns which methods a path takes (405 with Allow).
func TestWindowPathsCheckAccessBeforeMethod(t *testing.T) {
	env := newTestEnv(t)
	anon := newAdminClient(env)
	bob := signedIn(t, env, "bob")   // not an admin
	gina := signedIn(t, env, "gina") // an admin of a tenant without the public API
	alice := signedIn(t, env, "alice")
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
				rec := anon.send(httptest.NewRequest(method, path, nil))
				if path == "/api-credentials/status" {
					wantStatus(t, rec, http.StatusUnauthorized) // the poller's JSON answer
				} else {
					wantRedirect(t, rec, "/login")
				}
				if got := rec.Header().Get("Allow"); got != "" {
					t.Errorf("anonymous: Allow = %q, want none", got)
				}
				for _, c := range []*adminClient{bob, gina} {
					rec = c.send(httptest.NewRequest(method, path, nil))
					wantStatus(t, rec, http.StatusNotFound)
					if got := rec.Header().Get("Allow"); got != "" {
						t.Errorf("no access: Allow = %q, want none", got)
					}
				}
				rec = alice.send(httptest.NewRequest(method, path, nil))
				if want, ok := allowed[method]; ok {
					wantStatus(t, rec, want)
					return
				}
				wantStatus(t, rec, http.StatusMethodNotAllowed)
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
	if got := currentStatus(t, env); got != "none" {
		t.Fatalf("a refused method changed the status to %s", got)
	}
}

// Reloading the address the Generate or Deactivate form posted to shows
// the window instead of an error.
func TestGETOnFormAddressesReturnsToTheWindow(t *testing.T) {
	env := newTestEnv(t)
	alice := signedIn(t, env, "alice")
	for _, path := range []string{"/api-credentials/generate", "/api-credentials/deactivate"} {
		wantRedirect(t, alice.get(path), "/api-credentials")
		wantRedirect(t, newAdminClient(env).get(path), "/login")
		wantStatus(t, signedIn(t, env, "bob").get(path), http.StatusNotFound)
	}
	if got := currentStatus(t, env); got != "none" {
		t.Fatalf("a GET changed the status to %s", got)
	}
}

func TestHEADWorksWhereGETDoes(t *testing.T) {
	env := newTestEnv(t)
	for path, want := range map[string]int{"/login": http.StatusOK, "/healthz": http.StatusOK, "/": http.StatusSeeOther} {
		rec := env.do(httptest.NewRequest(http.MethodHead, path, nil))
		wantStatus(t, rec, want)
	}
}
