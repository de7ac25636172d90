package web_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"esp/web/internal/webtest"
)

// No request deletes expired rows, whatever it does with them: an expired
// session is refused by its times, new logins and a logout leave it where
// it is, and only the scheduler's tick deletes it. (Servers on one
// database would otherwise all race to delete the same rows at every
// login.) An expired token is refused by its own expiry: it has no row.
func TestRequestsLeaveExpiredRowsToTheSchedulersTick(t *testing.T) {
	env := webtest.NewEnv(t)
	ctx := context.Background()
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID) // the first tick housekeeps: nothing expired yet
	oldToken := webtest.Exchange(t, env, keys)
	alice := webtest.SignedIn(t, env, "alice")
	env.Clock.Add(13 * time.Hour) // past the token's hour and both session timeouts
	expired := func() (sessions int) {
		t.Helper()
		idle := env.Clock.Now().Add(-30 * time.Minute).UnixNano()
		if err := env.Store.DB.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE last_seen_at <= $1`, idle).Scan(&sessions); err != nil {
			t.Fatal(err)
		}
		return sessions
	}
	if s := expired(); s != 1 {
		t.Fatalf("%d expired sessions; want 1 to start with", s)
	}

	// Every request path that once deleted expired rows, and those around
	// them.
	webtest.MustAPIError(t, webtest.APIGet(env, oldToken, "/api/v1/plans"), http.StatusUnauthorized, "invalid_token")
	webtest.WantRedirect(t, alice.Get("/"), "/login")
	webtest.WantRedirect(t, alice.Get("/api-credentials"), "/login")
	newToken := webtest.Exchange(t, env, keys)
	webtest.MustStatus(t, env.Do(webtest.OAuthRequest(keys.AccessKey, keys.SecretKey, true)), http.StatusOK)
	webtest.MustStatus(t, webtest.APIGet(env, newToken, "/api/v1/plans"), http.StatusOK)
	webtest.WantRedirect(t, alice.Login(t, "alice", "password-alice"), "/") // a new session, from the expired one's browser
	webtest.WantStatus(t, alice.Get("/"), http.StatusOK)
	webtest.WantRedirect(t, alice.PostForm(t, "/", "/logout", nil), "/login?logged_out=1")
	bob := webtest.SignedIn(t, env, "bob")
	webtest.WantStatus(t, bob.Get("/"), http.StatusOK)
	webtest.WantStatus(t, webtest.NewClient(env).Login(t, "bob", "wrong"), http.StatusUnauthorized)

	if s := expired(); s != 1 {
		t.Fatalf("after the requests: %d expired sessions; want it still stored", s)
	}
	if r := env.Tick(t); r.ExpiredSessions != 1 {
		t.Fatalf("tick %+v, want the expired session deleted", r)
	}
	if s := expired(); s != 0 {
		t.Fatalf("after the tick: %d expired sessions; want none", s)
	}
	// Bob's live session and the new tokens are untouched; the old token
	// stays refused.
	webtest.WantStatus(t, bob.Get("/"), http.StatusOK)
	webtest.MustStatus(t, webtest.APIGet(env, newToken, "/api/v1/plans"), http.StatusOK)
	webtest.MustAPIError(t, webtest.APIGet(env, oldToken, "/api/v1/plans"), http.StatusUnauthorized, "invalid_token")
}
