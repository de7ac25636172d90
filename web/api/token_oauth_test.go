package api_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"esp/lifecycle"
	"esp/web/internal/webtest"
)

func TestAPIStockOAuth2ClientGetsTokenAndCallsAPI(t *testing.T) {
	env := webtest.NewEnv(t)
	webtest.ImportCSV(t, env, env.Acme.ID, "FY2027 Baseline", webtest.PlanCSV(4))
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	srv := httptest.NewServer(env.Server)
	defer srv.Close()

	for _, style := range []struct {
		name  string
		style oauth2.AuthStyle
	}{{"HTTP Basic", oauth2.AuthStyleInHeader}, {"form fields", oauth2.AuthStyleInParams}, {"auto-detect", oauth2.AuthStyleAutoDetect}} {
		t.Run(style.name, func(t *testing.T) {
			cfg := clientcredentials.Config{ClientID: keys.AccessKey, ClientSecret: keys.SecretKey,
				TokenURL: srv.URL + "/api/v1/oauth/token", AuthStyle: style.style}
			ctx := context.Background()
			tok, err := cfg.Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(tok.AccessToken, "esptk_") || tok.TokenType != "Bearer" || tok.Expiry.IsZero() {
				t.Fatalf("token %+v", tok)
			}
			resp, err := cfg.Client(ctx).Get(srv.URL + "/api/v1/plans")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /api/v1/plans with the client: status %d", resp.StatusCode)
			}
		})
	}

	t.Run("wrong secret", func(t *testing.T) {
		cfg := clientcredentials.Config{ClientID: keys.AccessKey, ClientSecret: lifecycle.NewSecretKey(),
			TokenURL: srv.URL + "/api/v1/oauth/token", AuthStyle: oauth2.AuthStyleInHeader}
		_, err := cfg.Token(context.Background())
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) {
			t.Fatalf("error %v, want a RetrieveError", err)
		}
		if re.Response.StatusCode != http.StatusUnauthorized || re.ErrorCode != "invalid_client" || re.ErrorDescription == "" {
			t.Fatalf("status %d, error %q (%q)", re.Response.StatusCode, re.ErrorCode, re.ErrorDescription)
		}
	})
}

func TestAPIOAuthTokenErrorsFollowRFC6749(t *testing.T) {
	env := webtest.NewEnv(t)
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	a, s := keys.AccessKey, keys.SecretKey
	post := func(form, contentType string, basic ...string) func() *http.Request {
		return func() *http.Request {
			req := httptest.NewRequest(http.MethodPost, "/api/v1/oauth/token", strings.NewReader(form))
			if contentType != "" {
				req.Header.Set("Content-Type", contentType)
			}
			if len(basic) == 2 {
				req.SetBasicAuth(basic[0], basic[1])
			}
			return req
		}
	}
	const formType = "application/x-www-form-urlencoded"
	creds := "&client_id=" + url.QueryEscape(a) + "&client_secret=" + url.QueryEscape(s)
	for _, tc := range []struct {
		name   string
		req    func() *http.Request
		status int
		error  string
	}{
		{"form fields", post("grant_type=client_credentials"+creds, formType), 200, ""},
		{"HTTP Basic", post("grant_type=client_credentials", formType, a, s), 200, ""},
		{"unknown parameters are ignored", post("grant_type=client_credentials&audience=x&scope=plans"+creds, formType), 200, ""},
		{"no grant_type", post(creds[1:], formType), 400, "invalid_request"},
		{"another grant", post("grant_type=password"+creds, formType), 400, "unsupported_grant_type"},
		{"grant_type twice", post("grant_type=client_credentials&grant_type=client_credentials"+creds, formType), 400, "invalid_request"},
		{"malformed form", post("grant_type=%zz"+creds, formType), 400, "invalid_request"},
		{"both client authentications", post("grant_type=client_credentials"+creds, formType, a, s), 400, "invalid_request"},
		{"no client authentication", post("grant_type=client_credentials", formType), 401, "invalid_client"},
		{"only client_id", post("grant_type=client_credentials&client_id="+a, formType), 401, "invalid_client"},
		{"wrong secret", post("grant_type=client_credentials", formType, a, lifecycle.NewSecretKey()), 401, "invalid_client"},
		{"JSON body", post(`{"grant_type":"client_credentials"}`, "application/json"), 415, "invalid_request"},
		{"oversized body", post("grant_type=client_credentials&pad="+strings.Repeat("x", 70<<10), formType), 413, "invalid_request"},
		{"Bearer instead of Basic", func() *http.Request {
			req := post("grant_type=client_credentials", formType)()
			req.Header.Set("Authorization", "Bearer x")
			return req
		}, 401, "invalid_client"},
		{"Basic not base64", func() *http.Request {
			req := post("grant_type=client_credentials", formType)()
			req.Header.Set("Authorization", "Basic %%%")
			return req
		}, 401, "invalid_client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := env.Do(tc.req())
			webtest.MustStatus(t, rec, tc.status)
			if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
				t.Fatalf("Cache-Control %q, want no-store", cc)
			}
			if tc.status == 200 {
				webtest.TokenOf(t, rec)
				return
			}
			if got := webtest.OAuthErrorCode(t, rec); got != tc.error {
				t.Fatalf("error %q, want %q", got, tc.error)
			}
			if tc.status == 401 && rec.Header().Get("WWW-Authenticate") != `Basic realm="esp"` {
				t.Fatalf("WWW-Authenticate %q", rec.Header().Get("WWW-Authenticate"))
			}
		})
	}

	t.Run("feature off", func(t *testing.T) {
		if err := env.Accounts.SetPublicAPI(context.Background(), "acme", false); err != nil {
			t.Fatal(err)
		}
		rec := env.Do(webtest.OAuthRequest(a, s, true))
		webtest.MustStatus(t, rec, http.StatusBadRequest)
		if got := webtest.OAuthErrorCode(t, rec); got != "unauthorized_client" {
			t.Fatalf("error %q, want unauthorized_client", got)
		}
	})
}

func TestAPIOAuthRateLimitAnswersInOAuthShape(t *testing.T) {
	env := webtest.NewEnv(t)
	for range 20 {
		webtest.MustStatus(t, env.Do(webtest.OAuthRequest(lifecycle.NewAccessKey(), lifecycle.NewSecretKey(), true)), http.StatusUnauthorized)
	}
	rec := env.Do(webtest.OAuthRequest(lifecycle.NewAccessKey(), lifecycle.NewSecretKey(), true))
	webtest.MustStatus(t, rec, http.StatusTooManyRequests)
	if rec.Header().Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	if got := webtest.OAuthErrorCode(t, rec); got != "temporarily_unavailable" {
		t.Fatalf("error %q", got)
	}
}

// Basic credentials with the same client_id in the body (RFC 6749 §3.2.1)
// are accepted; a different client_id or a secret in the body is not.
func TestAPIOAuthBasicWithClientIDInTheBody(t *testing.T) {
	env := webtest.NewEnv(t)
	k := webtest.ActivatedKeys(t, env, env.Acme.ID)
	send := func(body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/oauth/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(k.AccessKey), url.QueryEscape(k.SecretKey))
		return env.Do(req)
	}
	webtest.MustStatus(t, send("grant_type=client_credentials&client_id="+k.AccessKey), http.StatusOK)
	for _, body := range []string{
		"grant_type=client_credentials&client_id=" + lifecycle.NewAccessKey(),
		"grant_type=client_credentials&client_secret=" + k.SecretKey,
	} {
		rec := send(body)
		webtest.MustStatus(t, rec, http.StatusBadRequest)
		if got := webtest.OAuthErrorCode(t, rec); got != "invalid_request" {
			t.Fatalf("%s: error %q, want invalid_request", body, got)
		}
	}
}
