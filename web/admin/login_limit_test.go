package admin_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"esp/web/internal/webtest"
)

// The numbers README.md and docs/security.md give for failed logins: each
// address has 10 attempts, one more comes back every 6 seconds, and a
// refused login says how long to wait (Retry-After too).
func TestLoginLimitIsTheDocumentedNumbers(t *testing.T) {
	t.Run("ten at once, then the eleventh waits 6 seconds", func(t *testing.T) {
		env := webtest.NewEnv(t)
		c := webtest.NewClient(env)
		if n := wrongLoginsUntilRefused(t, env, c, 0, 100); n != 10 {
			t.Fatalf("%d wrong logins in a row passed, want 10", n)
		}
		rec := c.Login(t, "alice", "password-alice")
		wantRefused(t, rec, "6")
		env.Clock.Add(6 * time.Second)
		webtest.WantStatus(t, c.Login(t, "alice", "wrong"), http.StatusUnauthorized)
		wantRefused(t, c.Login(t, "alice", "wrong"), "6")
	})
	t.Run("one every 2 seconds: the 15th is refused", func(t *testing.T) {
		env := webtest.NewEnv(t)
		if n := wrongLoginsUntilRefused(t, env, webtest.NewClient(env), 2*time.Second, 100); n != 14 {
			t.Fatalf("%d wrong logins 2 s apart passed, want 14", n)
		}
	})
	t.Run("one every 6 seconds is never refused", func(t *testing.T) {
		env := webtest.NewEnv(t)
		if n := wrongLoginsUntilRefused(t, env, webtest.NewClient(env), 6*time.Second, 50); n != 50 {
			t.Fatalf("wrong logins 6 s apart: refused after %d, want never", n)
		}
	})
}

// wrongLoginsUntilRefused sends up to max wrong logins, every apart on the
// fake clock, and returns how many were checked before the first refusal.
func wrongLoginsUntilRefused(t *testing.T, env *webtest.Env, c *webtest.Client, every time.Duration, max int) int {
	t.Helper()
	for i := range max {
		if i > 0 {
			env.Clock.Add(every)
		}
		rec := c.Login(t, "alice", "wrong")
		if rec.Code == http.StatusTooManyRequests {
			return i
		}
		webtest.WantStatus(t, rec, http.StatusUnauthorized)
	}
	return max
}

// wantRefused checks a refused login: 429, Retry-After secs, and the page
// saying how long to wait.
func wantRefused(t *testing.T, rec *httptest.ResponseRecorder, secs string) {
	t.Helper()
	webtest.WantStatus(t, rec, http.StatusTooManyRequests)
	if got := rec.Header().Get("Retry-After"); got != secs {
		t.Errorf("Retry-After %q, want %s", got, secs)
	}
	if !strings.Contains(rec.Body.String(), "Try again in "+secs+" seconds.") {
		t.Errorf("the page does not say to try again in %s seconds", secs)
	}
}
