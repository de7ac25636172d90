package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/web/internal/webtest"
)

// expiresIn reads expires_in from a token answer.
func expiresIn(t *testing.T, body []byte) int64 {
	t.Helper()
	var v struct {
		ExpiresIn int64 `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	return v.ExpiresIn
}

// Both token routes and every authenticated answer of credentials that
// expire carry ESP-Credential-Expires; a token's expires_in is cut to the
// expiry. One nanosecond before it the token works; at the instant the
// bearer request and the exchange are refused, though the scheduler has
// not run.
func TestExpiringCredentialsAreAnnouncedAndRefusedAtTheInstant(t *testing.T) {
	env := webtest.NewEnv(t)
	if err := env.Accounts.SetMaxCredentialLifetime(context.Background(), "acme", 30*time.Minute); err != nil {
		t.Fatal(err)
	}
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	expires := keys.Credential.ExpiresAt
	want := expires.Format(time.RFC3339)
	if want != "2026-11-26T09:30:00Z" {
		t.Fatalf("credentials expire %s, want 30 minutes after 09:00", want)
	}
	for _, req := range []*http.Request{webtest.KeyRequest(keys.AccessKey, keys.SecretKey), webtest.OAuthRequest(keys.AccessKey, keys.SecretKey, false)} {
		rec := env.Do(req)
		webtest.MustStatus(t, rec, http.StatusOK)
		if got := rec.Header().Get("ESP-Credential-Expires"); got != want {
			t.Errorf("%s: ESP-Credential-Expires %q, want %q", req.URL.Path, got, want)
		}
		if got := expiresIn(t, rec.Body.Bytes()); got != 1800 {
			t.Errorf("%s: expires_in %d, want 1800 (the token's hour cut to the expiry)", req.URL.Path, got)
		}
	}
	token := webtest.Exchange(t, env, keys)
	env.Clock.Add(expires.Sub(env.Clock.Now()) - time.Nanosecond)
	rec := webtest.APIGet(env, token, "/api/v1/plans")
	webtest.MustStatus(t, rec, http.StatusOK)
	if got := rec.Header().Get("ESP-Credential-Expires"); got != want {
		t.Errorf("GET /plans: ESP-Credential-Expires %q, want %q", got, want)
	}
	env.Clock.Add(time.Nanosecond)
	webtest.MustAPIError(t, webtest.APIGet(env, token, "/api/v1/plans"), http.StatusUnauthorized, "invalid_token")
	webtest.MustAPIError(t, env.Do(webtest.KeyRequest(keys.AccessKey, keys.SecretKey)), http.StatusUnauthorized, "invalid_credentials")
	if got := webtest.CurrentStatus(t, env); got != lifecycle.Activated {
		t.Fatalf("status %s: the scheduler was not to run yet", got)
	}
}

// Credentials without expiry announce none.
func TestCredentialsWithoutExpiryAnnounceNone(t *testing.T) {
	env := webtest.NewEnv(t)
	keys, err := env.Service.GenerateOnce(context.Background(), env.Acme.ID, "alice", "request-never", "never")
	if err != nil {
		t.Fatal(err)
	}
	env.Tick(t)
	rec := env.Do(webtest.KeyRequest(keys.AccessKey, keys.SecretKey))
	webtest.MustStatus(t, rec, http.StatusOK)
	if got, ok := rec.Header()["Esp-Credential-Expires"]; ok {
		t.Errorf("ESP-Credential-Expires %q on credentials without expiry", got)
	}
	if got := expiresIn(t, rec.Body.Bytes()); got != 3600 {
		t.Errorf("expires_in %d, want 3600", got)
	}
	if got := webtest.APIGet(env, webtest.TokenOf(t, rec), "/api/v1/plans").Header().Get("ESP-Credential-Expires"); got != "" {
		t.Errorf("GET /plans: ESP-Credential-Expires %q", got)
	}
}
