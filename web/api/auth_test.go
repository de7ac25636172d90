package api_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/web/internal/webtest"
)

func TestAPINoTokenUnlessActivated(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		status lifecycle.Status
		setUp  func(t *testing.T, env *webtest.Env) lifecycle.NewKeys
	}{
		{lifecycle.PendingActivation, func(t *testing.T, env *webtest.Env) lifecycle.NewKeys {
			keys, err := env.Service.Generate(ctx, env.Acme.ID, "alice")
			if err != nil {
				t.Fatal(err)
			}
			return keys
		}},
		{lifecycle.ActivationFailed, func(t *testing.T, env *webtest.Env) lifecycle.NewKeys {
			keys, err := env.Service.Generate(ctx, env.Acme.ID, "alice")
			if err != nil {
				t.Fatal(err)
			}
			env.Clock.Add(25 * time.Hour) // past the activation timeout
			env.Tick(t)
			return keys
		}},
		{lifecycle.PendingDeactivation, func(t *testing.T, env *webtest.Env) lifecycle.NewKeys {
			keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
			if _, err := env.Service.Deactivate(ctx, env.Acme.ID, "alice"); err != nil {
				t.Fatal(err)
			}
			return keys
		}},
		{lifecycle.Deactivated, func(t *testing.T, env *webtest.Env) lifecycle.NewKeys {
			keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
			if _, err := env.Service.Deactivate(ctx, env.Acme.ID, "alice"); err != nil {
				t.Fatal(err)
			}
			env.Tick(t)
			return keys
		}},
	} {
		t.Run(tc.status.Label(), func(t *testing.T) {
			env := webtest.NewEnv(t)
			keys := tc.setUp(t, env)
			cur, err := env.Service.Current(ctx, env.Acme.ID)
			if err != nil {
				t.Fatal(err)
			}
			if cur.Status != tc.status {
				t.Fatalf("status %s, want %s", cur.Status, tc.status)
			}
			rec := env.Do(webtest.KeyRequest(keys.AccessKey, keys.SecretKey))
			webtest.MustAPIError(t, rec, http.StatusUnauthorized, "invalid_credentials")
			if rec.Header().Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
			rec = env.Do(webtest.OAuthRequest(keys.AccessKey, keys.SecretKey, true))
			webtest.MustStatus(t, rec, http.StatusUnauthorized)
			if got := webtest.OAuthErrorCode(t, rec); got != "invalid_client" {
				t.Fatalf("OAuth error %q, want invalid_client", got)
			}
		})
	}
}

func TestAPIDeactivateRefusesLiveTokenOnNextRequest(t *testing.T) {
	env := webtest.NewEnv(t)
	token := webtest.Exchange(t, env, webtest.ActivatedKeys(t, env, env.Acme.ID))
	webtest.MustStatus(t, webtest.APIGet(env, token, "/api/v1/plans"), http.StatusOK)

	if _, err := env.Service.Deactivate(context.Background(), env.Acme.ID, "alice"); err != nil {
		t.Fatal(err)
	}
	rec := webtest.APIGet(env, token, "/api/v1/plans")
	webtest.MustAPIError(t, rec, http.StatusUnauthorized, "invalid_token")
	if h := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(h, "Bearer ") || !strings.Contains(h, `error="invalid_token"`) {
		t.Fatalf("WWW-Authenticate %q", h)
	}
}

func TestAPIFeatureOffIsForbidden(t *testing.T) {
	env := webtest.NewEnv(t)
	ctx := context.Background()
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	token := webtest.Exchange(t, env, keys)

	if err := env.Accounts.SetPublicAPI(ctx, "acme", false); err != nil {
		t.Fatal(err)
	}
	webtest.MustAPIError(t, webtest.APIGet(env, token, "/api/v1/plans"), http.StatusForbidden, "feature_disabled")
	webtest.MustAPIError(t, env.Do(webtest.KeyRequest(keys.AccessKey, keys.SecretKey)), http.StatusForbidden, "feature_disabled")

	if err := env.Accounts.SetPublicAPI(ctx, "acme", true); err != nil {
		t.Fatal(err)
	}
	webtest.MustStatus(t, webtest.APIGet(env, token, "/api/v1/plans"), http.StatusOK)
}

func TestAPITokenExpiresAfterTTL(t *testing.T) {
	env := webtest.NewEnv(t, func(c *webtest.Config) { c.TokenTTL = 10 * time.Minute })
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	rec := env.Do(webtest.KeyRequest(keys.AccessKey, keys.SecretKey))
	webtest.MustStatus(t, rec, http.StatusOK)
	if !strings.Contains(rec.Body.String(), `"expires_in":600`) {
		t.Fatalf("token answer %s, want expires_in 600", rec.Body)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("Cache-Control %q, want no-store", cc)
	}
	token := webtest.TokenOf(t, rec)

	env.Clock.Add(10*time.Minute - time.Second)
	webtest.MustStatus(t, webtest.APIGet(env, token, "/api/v1/plans"), http.StatusOK)
	env.Clock.Add(time.Second)
	webtest.MustAPIError(t, webtest.APIGet(env, token, "/api/v1/plans"), http.StatusUnauthorized, "invalid_token")
}

func TestAPIFailedAuthenticationsAreRateLimited(t *testing.T) {
	env := webtest.NewEnv(t)
	good := webtest.Exchange(t, env, webtest.ActivatedKeys(t, env, env.Acme.ID))
	bad := "esptk_" + strings.Repeat("A", 43)
	for range 20 {
		webtest.MustAPIError(t, webtest.APIGet(env, bad, "/api/v1/plans"), http.StatusUnauthorized, "invalid_token")
	}
	// The address has used its budget: its failures now wait...
	rec := webtest.APIGet(env, bad, "/api/v1/plans")
	webtest.MustAPIError(t, rec, http.StatusTooManyRequests, "rate_limited")
	if s, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("Retry-After %q", rec.Header().Get("Retry-After"))
	}
	rec = env.Do(webtest.KeyRequest("ESPAK"+strings.Repeat("A", 24), lifecycle.NewSecretKey()))
	webtest.MustAPIError(t, rec, http.StatusTooManyRequests, "rate_limited")
	// ...while its right token keeps working: tokens are 256-bit random, so
	// succeeding reveals nothing, and a client's good calls are not held
	// hostage by its bad ones.
	webtest.MustStatus(t, webtest.APIGet(env, good, "/api/v1/plans"), http.StatusOK)

	// Another address is not affected.
	req := webtest.NewGet("/api/v1/plans", bad)
	req.RemoteAddr = "198.51.100.7:5555"
	webtest.MustAPIError(t, env.Do(req), http.StatusUnauthorized, "invalid_token")

	// One failure's worth refills every 3 s.
	env.Clock.Add(3 * time.Second)
	webtest.MustAPIError(t, webtest.APIGet(env, bad, "/api/v1/plans"), http.StatusUnauthorized, "invalid_token")
	webtest.MustAPIError(t, webtest.APIGet(env, bad, "/api/v1/plans"), http.StatusTooManyRequests, "rate_limited")
	env.Clock.Add(time.Minute)
	webtest.MustAPIError(t, webtest.APIGet(env, bad, "/api/v1/plans"), http.StatusUnauthorized, "invalid_token")
}

// A client whose first page request sends an empty cursor gets the first
// page.
func TestAPIEmptyCursorIsTheFirstPage(t *testing.T) {
	env := webtest.NewEnv(t)
	p := webtest.ImportCSV(t, env, env.Acme.ID, "Small", webtest.PlanCSV(3))
	token := webtest.Exchange(t, env, webtest.ActivatedKeys(t, env, env.Acme.ID))
	path := "/api/v1/plans/" + strconv.FormatInt(p.ID, 10) + "/data"
	first, empty := webtest.APIGet(env, token, path), webtest.APIGet(env, token, path+"?cursor=")
	webtest.MustStatus(t, empty, http.StatusOK)
	if first.Body.String() != empty.Body.String() {
		t.Fatalf("cursor= gave %s, want the first page %s", empty.Body, first.Body)
	}
}

func TestAPIMalformedAuthorizationIs401(t *testing.T) {
	env := webtest.NewEnv(t)
	token := webtest.Exchange(t, env, webtest.ActivatedKeys(t, env, env.Acme.ID))
	for _, tc := range []struct {
		name   string
		header []string
		code   string
	}{
		{"missing", nil, "unauthorized"},
		{"empty", []string{""}, "invalid_request"},
		{"not Bearer", []string{"Basic " + token}, "invalid_request"},
		{"no token", []string{"Bearer"}, "invalid_request"},
		{"two spaces", []string{"Bearer  " + token}, "invalid_request"},
		{"trailing space", []string{"Bearer " + token + " "}, "invalid_request"},
		{"two headers", []string{"Bearer " + token, "Bearer " + token}, "invalid_request"},
		{"not our format", []string{"Bearer abc.def"}, "invalid_token"},
		{"unknown token", []string{"Bearer esptk_" + strings.Repeat("x", 43)}, "invalid_token"},
		{"truncated token", []string{"Bearer " + token[:len(token)-1]}, "invalid_token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := webtest.NewGet("/api/v1/plans", "")
			for _, h := range tc.header {
				req.Header.Add("Authorization", h)
			}
			req.RemoteAddr = "203.0.113.9:1" // its own failure budget
			rec := env.Do(req)
			webtest.MustAPIError(t, rec, http.StatusUnauthorized, tc.code)
			if h := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(h, `Bearer realm="esp"`) {
				t.Fatalf("WWW-Authenticate %q", h)
			}
		})
	}
	// The scheme is case-insensitive (RFC 7235).
	req := webtest.NewGet("/api/v1/plans", "")
	req.Header.Set("Authorization", "bearer "+token)
	webtest.MustStatus(t, env.Do(req), http.StatusOK)
}

func TestAPIPurgedCredentialTokensAreGone(t *testing.T) {
	env := webtest.NewEnv(t)
	ctx := context.Background()
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	token := webtest.Exchange(t, env, keys)
	if _, err := env.Service.Deactivate(ctx, env.Acme.ID, "alice"); err != nil {
		t.Fatal(err)
	}
	env.Tick(t)
	env.Clock.Add(8 * 24 * time.Hour)
	if n, err := env.Scheduler.Purge(ctx, env.Clock.Now()); err != nil || n != 1 {
		t.Fatalf("purge = %d, %v", n, err)
	}
	// The token is signed for a credential that no longer exists.
	env.Clock.Add(-8 * 24 * time.Hour)
	webtest.MustAPIError(t, webtest.APIGet(env, token, "/api/v1/plans"), http.StatusUnauthorized, "invalid_token")
}
