package admin_test

import (
	"context"
	"net/http"
	"testing"

	"esp/lifecycle"
	"esp/web/internal/webtest"
)

// userChanges are the changes of `esp user` that take something away from
// a signed-in admin at their very next request: a new password or a
// removal ends the session (to /login), a demotion closes the window (404)
// but keeps the session.
var userChanges = []struct {
	name         string
	change       func(*lifecycle.Accounts) error
	home, window int
}{
	{"new password", func(a *lifecycle.Accounts) error {
		return a.SetPassword(context.Background(), "acme", "alice", "another password")
	}, http.StatusSeeOther, http.StatusSeeOther},
	{"removal", func(a *lifecycle.Accounts) error {
		return a.RemoveUser(context.Background(), "acme", "alice")
	}, http.StatusSeeOther, http.StatusSeeOther},
	{"demotion", func(a *lifecycle.Accounts) error {
		no := false
		return a.SetUser(context.Background(), "acme", "alice", lifecycle.UserChange{Admin: &no})
	}, http.StatusOK, http.StatusNotFound},
}

func TestUserChangesApplyAtTheNextRequest(t *testing.T) {
	for _, c := range userChanges {
		t.Run(c.name, func(t *testing.T) {
			env := webtest.NewEnv(t)
			browser := webtest.SignedIn(t, env, "alice")
			webtest.WantStatus(t, browser.Get("/api-credentials"), http.StatusOK)
			if err := c.change(env.Accounts); err != nil {
				t.Fatal(err)
			}
			wantAfterChange(t, browser, c.home, c.window)
		})
	}
}

// The same when another process makes the change (esp user on the same
// SQLite folder, or another replica of the PostgreSQL database), after
// this server has decoded the cookie and read the session before.
func TestUserChangesOnAnotherReplicaApplyAtTheNextRequest(t *testing.T) {
	for _, c := range userChanges {
		t.Run(c.name, func(t *testing.T) {
			rs := webtest.NewReplicas(t, 2)
			browser := webtest.SignedIn(t, rs[0], "alice")
			for range 2 { // the second time from what the server keeps
				webtest.WantStatus(t, browser.Get("/api-credentials"), http.StatusOK)
				webtest.WantStatus(t, browser.Get("/"), http.StatusOK)
			}
			if err := c.change(rs[1].Accounts); err != nil {
				t.Fatal(err)
			}
			wantAfterChange(t, browser, c.home, c.window)
		})
	}
}

func wantAfterChange(t *testing.T, browser *webtest.Client, home, window int) {
	t.Helper()
	if home == http.StatusSeeOther {
		webtest.WantRedirect(t, browser.Get("/api-credentials"), "/login")
		webtest.WantRedirect(t, browser.Get("/"), "/login")
		return
	}
	webtest.WantStatus(t, browser.Get("/api-credentials"), window)
	webtest.WantStatus(t, browser.Get("/api-credentials/history"), window)
	webtest.WantStatus(t, browser.Get("/"), home)
}
