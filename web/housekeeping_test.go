package web_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"esp/web/internal/webtest"
)

// No request deletes expired rows, whatever it does with them: an expired
// token and an expired session are refused by their times, a new token,
// new logins and a logout leave them where they are, and only the
// scheduler's tick deletes them. (Servers on one database would otherwise
// all race to delete the same rows at every exchange and login.)
func TestRequestsLeaveExpiredRowsToTheSchedulersTick(t *testing.T) {
	env := webtest.NewEnv(t)
	ctx := context.Background()
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID) // the first tick housekeeps: nothing expired yet
	oldToken := webtest.Exchange(t, env, keys)
	alice := webtest.SignedIn(t, env, "alice")
	env.Clock.Add(13 * time.Hour) // past the token's hour and both session timeouts
	expired := func() (tokens, sessions int) {
		t.Helper()
		now := env.Clock.Now().UnixNano()
		if err := env.Store.DB.QueryRowContext(ctx, `SELECT count(*) FROM api_tokens WHERE expires_at <= $1`, now).Scan(&tokens); err != nil {
			t.Fatal(err)
		}
		idle := env.Clock.Now().Add(-30 * time.Minute).UnixNano()
		if err := env.Store.DB.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE last_seen_at <= $1`, idle).Scan(&sessions); err != nil {
			t.Fatal(err)
		}
		return tokens, sessions
	}
	if tk, s := expired(); tk != 1 || s != 1 {
		t.Fatalf("%d expired tokens, %d expired sessions; want 1 and 1 to start with", tk, s)
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

	if tk, s := expired(); tk != 1 || s != 1 {
		t.Fatalf("after the requests: %d expired tokens, %d expired sessions; want both still stored", tk, s)
	}
	if r := env.Tick(t); r.ExpiredTokens != 1 || r.ExpiredSessions != 1 {
		t.Fatalf("tick %+v, want the expired token and session deleted", r)
	}
	if tk, s := expired(); tk != 0 || s != 0 {
		t.Fatalf("after the tick: %d expired tokens, %d expired sessions; want none", tk, s)
	}
	// Bob's live session and the new tokens are untouched.
	webtest.WantStatus(t, bob.Get("/"), http.StatusOK)
	webtest.MustStatus(t, webtest.APIGet(env, newToken, "/api/v1/plans"), http.StatusOK)
}
