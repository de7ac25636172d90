package web_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/web"
)

func TestAPINoTokenUnlessActivated(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		status lifecycle.Status
		setUp  func(t *testing.T, env *testEnv) lifecycle.NewKeys
	}{
		{lifecycle.PendingActivation, func(t *testing.T, env *testEnv) lifecycle.NewKeys {
			keys, err := env.Service.Generate(ctx, env.Acme.ID, "alice")
			if err != nil {
				t.Fatal(err)
			}
			return keys
		}},
		{lifecycle.ActivationFailed, func(t *testing.T, env *testEnv) lifecycle.NewKeys {
			keys, err := env.Service.Generate(ctx, env.Acme.ID, "alice")
			if err != nil {
				t.Fatal(err)
			}
			env.Clock.Add(25 * time.Hour) // past the activation timeout
			env.tick(t)
			return keys
		}},
		{lifecycle.PendingDeactivation, func(t *testing.T, env *testEnv) lifecycle.NewKeys {
			keys := activatedKeys(t, env, env.Acme.ID)
			if _, err := env.Service.Deactivate(ctx, env.Acme.ID, "alice"); err != nil {
				t.Fatal(err)
			}
			return keys
		}},
		{lifecycle.Deactivated, func(t *testing.T, env *testEnv) lifecycle.NewKeys {
			keys := activatedKeys(t, env, env.Acme.ID)
			if _, err := env.Service.Deactivate(ctx, env.Acme.ID, "alice"); err != nil {
				t.Fatal(err)
			}
			env.tick(t)
			return keys
		}},
	} {
		t.Run(tc.status.Label(), func(t *testing.T) {
			env := newTestEnv(t)
			keys := tc.setUp(t, env)
			cur, err := env.Service.Current(ctx, env.Acme.ID)
			if err != nil {
				t.Fatal(err)
			}
			if cur.Status != tc.status {
				t.Fatalf("status %s, want %s", cur.Status, tc.status)
			}
			rec := env.do(keyRequest(keys.AccessKey, keys.SecretKey))
			mustAPIError(t, rec, http.StatusUnauthorized, "invalid_credentials")
			if rec.Header().Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
			rec = env.do(oauthRequest(keys.AccessKey, keys.SecretKey, true))
			mustStatus(t, rec, http.StatusUnauthorized)
			if got := oauthErrorCode(t, rec); got != "invalid_client" {
				t.Fatalf("OAuth error %q, want invalid_client", got)
			}
		})
	}
}

func TestAPIDeactivateRefusesLiveTokenOnNextRequest(t *testing.T) {
	env := newTestEnv(t)
	token := exchange(t, env, activatedKeys(t, env, env.Acme.ID))
	mustStatus(t, apiGet(env, token, "/api/v1/plans"), http.StatusOK)

	if _, err := env.Service.Deactivate(context.Background(), env.Acme.ID, "alice"); err != nil {
		t.Fatal(err)
	}
	rec := apiGet(env, token, "/api/v1/plans")
	mustAPIError(t, rec, http.StatusUnauthorized, "invalid_token")
	if h := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(h, "Bearer ") || !strings.Contains(h, `error="invalid_token"`) {
		t.Fatalf("WWW-Authenticate %q", h)
	}
}

func TestAPIFeatureOffIsForbidden(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	keys := activatedKeys(t, env, env.Acme.ID)
	token := exchange(t, env, keys)

	if err := env.Accounts.SetPublicAPI(ctx, "acme", false); err != nil {
		t.Fatal(err)
	}
	mustAPIError(t, apiGet(env, token, "/api/v1/plans"), http.StatusForbidden, "feature_disabled")
	mustAPIError(t, env.do(keyRequest(keys.AccessKey, keys.SecretKey)), http.StatusForbidden, "feature_disabled")

	if err := env.Accounts.SetPublicAPI(ctx, "acme", true); err != nil {
		t.Fatal(err)
	}
	mustStatus(t, apiGet(env, token, "/api/v1/plans"), http.StatusOK)
}

func TestAPITokenExpiresAfterTTL(t *testing.T) {
	env := newTestEnv(t, func(c *web.Config) { c.TokenTTL = 10 * time.Minute })
	keys := activatedKeys(t, env, env.Acme.ID)
	rec := env.do(keyRequest(keys.AccessKey, keys.SecretKey))
	mustStatus(t, rec, http.StatusOK)
	if !strings.Contains(rec.Body.String(), `"expires_in":600`) {
		t.Fatalf("token answer %s, want expires_in 600", rec.Body)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("Cache-Control %q, want no-store", cc)
	}
	token := tokenOf(t, rec)

	env.Clock.Add(10*time.Minute - time.Second)
	mustStatus(t, apiGet(env, token, "/api/v1/plans"), http.StatusOK)
	env.Clock.Add(time.Second)
	mustAPIError(t, apiGet(env, token, "/api/v1/plans"), http.StatusUnauthorized, "invalid_token")
}

func TestAPIFailedAuthenticationsAreRateLimited(t *testing.T) {
	env := newTestEnv(t)
	good := exchange(t, env, activatedKeys(t, env, env.Acme.ID))
	bad := "esptk_" + strings.Repeat("A", 43)
	for range 20 {
		mustAPIError(t, apiGet(env, bad, "/api/v1/plans"), http.StatusUnauthorized, "invalid_token")
	}
	// The address has used its budget: its failures now wait...
	rec := apiGet(env, bad, "/api/v1/plans")
	mustAPIError(t, rec, http.StatusTooManyRequests, "rate_limited")
	if s, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("Retry-After %q", rec.Header().Get("Retry-After"))
	}
	rec = env.do(keyRequest("ESPAK"+strings.Repeat("A", 24), lifecycle.NewSecretKey()))
	mustAPIError(t, rec, http.StatusTooManyRequests, "rate_limited")
	// ...while its right token keeps working: tokens are 256-bit random, so
	// succeeding reveals nothing, and a client's good calls are not held
	// hostage by its bad ones.
	mustStatus(t, apiGet(env, good, "/api/v1/plans"), http.StatusOK)

	// Another address is not affected.
	req := newGet("/api/v1/plans", bad)
	req.RemoteAddr = "198.51.100.7:5555"
	mustAPIError(t, env.do(req), http.StatusUnauthorized, "invalid_token")

	// One failure's worth refills every 3 s.
	env.Clock.Add(3 * time.Second)
	mustAPIError(t, apiGet(env, bad, "/api/v1/plans"), http.StatusUnauthorized, "invalid_token")
	mustAPIError(t, apiGet(env, bad, "/api/v1/plans"), http.StatusTooManyRequests, "rate_limited")
	env.Clock.Add(time.Minute)
	mustAPIError(t, apiGet(env, bad, "/api/v1/plans"), http.StatusUnauthorized, "invalid_token")
}

// A client whose first page request sends an empty cursor gets the first
// page.
func TestAPIEmptyCursorIsTheFirstPage(t *testing.T) {
	env := newTestEnv(t)
	p := importCSV(t, env, env.Acme.ID, "Small", planCSV(3))
	token := exchange(t, env, activatedKeys(t, env, env.Acme.ID))
	path := "/api/v1/plans/" + strconv.FormatInt(p.ID, 10) + "/data"
	first, empty := apiGet(env, token, path), apiGet(env, token, path+"?cursor=")
	mustStatus(t, empty, http.StatusOK)
	if first.Body.String() != empty.Body.String() {
		t.Fatalf("cursor= gave %s, want the first page %s", empty.Body, first.Body)
	}
}

func TestAPIMalformedAuthorizationIs401(t *testing.T) {
	env := newTestEnv(t)
	token := exchange(t, env, activatedKeys(t, env, env.Acme.ID))
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
			req := newGet("/api/v1/plans", "")
			for _, h := range tc.header {
				req.Header.Add("Authorization", h)
			}
			req.RemoteAddr = "203.0.113.9:1" // its own failure budget
			rec := env.do(req)
			mustAPIError(t, rec, http.StatusUnauthorized, tc.code)
			if h := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(h, `Bearer realm="esp"`) {
				t.Fatalf("WWW-Authenticate %q", h)
			}
		})
	}
	// The scheme is case-insensitive (RFC 7235).
	req := newGet("/api/v1/plans", "")
	req.Header.Set("Authorization", "bearer "+token)
	mustStatus(t, env.do(req), http.StatusOK)
}

func TestAPIPurgedCredentialTokensAreGone(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	keys := activatedKeys(t, env, env.Acme.ID)
	exchange(t, env, keys)
	if _, err := env.Service.Deactivate(ctx, env.Acme.ID, "alice"); err != nil {
		t.Fatal(err)
	}
	env.tick(t)
	env.Clock.Add(8 * 24 * time.Hour)
	if n, err := env.Scheduler.Purge(ctx, env.Clock.Now()); err != nil || n != 1 {
		t.Fatalf("purge = %d, %v", n, err)
	}
	var n int
	if err := env.Store.DB.QueryRow(`SELECT count(*) FROM api_tokens`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d tokens left after the purge (%v)", n, err)
	}
}
