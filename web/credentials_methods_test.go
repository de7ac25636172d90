package web_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// Wrong methods on the window's paths give away nothing: anonymous
// visitors go to /login and users without the window get 404, as for the
// right methods; only those who may use the window learn it is a 405.
func TestWindowPathsCheckAccessBeforeMethod(t *testing.T) {
	env := newTestEnv(t)
	anon := newAdminClient(env)
	bob := signedIn(t, env, "bob")
	gina := signedIn(t, env, "gina")
	alice := signedIn(t, env, "alice")
	paths := []string{"/api-credentials", "/api-credentials/generate", "/api-credentials/deactivate", "/api-credentials/status",
		"/api-credentials/history", "/api-credentials/history.csv"}
	for _, path := range paths {
		for _, method := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch} {
			rec := anon.send(httptest.NewRequest(method, path, nil))
			if path == "/api-credentials/status" {
				wantStatus(t, rec, http.StatusUnauthorized) // the poller's JSON answer
			} else {
				wantRedirect(t, rec, "/login")
			}
			for _, c := range []*adminClient{bob, gina} {
				rec = c.send(httptest.NewRequest(method, path, nil))
				wantStatus(t, rec, http.StatusNotFound)
			}
			rec = alice.send(httptest.NewRequest(method, path, nil))
			wantStatus(t, rec, http.StatusMethodNotAllowed)
		}
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
