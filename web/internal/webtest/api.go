package webtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"esp/lifecycle"
	"esp/lifecycle/plancsv"
)

// ActivatedKeys generates API credentials for the tenant and runs the
// scheduler so that they are Activated.
func ActivatedKeys(tb testing.TB, env *Env, tenantID int64) lifecycle.NewKeys {
	tb.Helper()
	keys, err := env.Service.Generate(context.Background(), tenantID, "alice")
	if err != nil {
		tb.Fatal(err)
	}
	if r := env.Tick(tb); r.Activated != 1 {
		tb.Fatalf("tick activated %d credentials, want 1", r.Activated)
	}
	return keys
}

// KeyRequest is POST /api/v1/token/access-key with a JSON body.
func KeyRequest(access, secret string) *http.Request {
	body, _ := json.Marshal(map[string]string{"accessKeyId": access, "accessKeySecret": secret})
	req := httptest.NewRequest(http.MethodPost, "/api/v1/token/access-key", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	return req
}

// Exchange trades activated keys for a token through the JSON route.
func Exchange(tb testing.TB, env *Env, keys lifecycle.NewKeys) string {
	tb.Helper()
	rec := env.Do(KeyRequest(keys.AccessKey, keys.SecretKey))
	if rec.Code != http.StatusOK {
		tb.Fatalf("exchange: status %d, want 200: %s", rec.Code, rec.Body)
	}
	var t struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &t); err != nil {
		tb.Fatal(err)
	}
	if t.AccessToken == "" || t.TokenType != "Bearer" {
		tb.Fatalf("exchange answered %s", rec.Body)
	}
	return t.AccessToken
}

// APIGet sends GET path with the token (none when empty).
func APIGet(env *Env, token, path string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	return env.Do(req)
}

// MustStatus fails unless the answer has the status.
func MustStatus(tb testing.TB, rec *httptest.ResponseRecorder, want int) {
	tb.Helper()
	if rec.Code != want {
		tb.Fatalf("status %d, want %d: %s", rec.Code, want, rec.Body)
	}
}

// MustAPIError checks the status and the JSON error envelope's code.
func MustAPIError(tb testing.TB, rec *httptest.ResponseRecorder, status int, code string) {
	tb.Helper()
	MustStatus(tb, rec, status)
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Fatalf("Content-Type %q, want JSON", ct)
	}
	var body struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error == nil {
		tb.Fatalf("body %s is not the error envelope (%v)", rec.Body, err)
	}
	if body.Error.Code != code || body.Error.Message == "" {
		tb.Fatalf("error %+v, want code %q and a message", *body.Error, code)
	}
}

// ImportCSV loads a plan for the tenant from CSV text.
func ImportCSV(tb testing.TB, env *Env, tenantID int64, name, csv string) lifecycle.Plan {
	tb.Helper()
	r, err := plancsv.NewReader(strings.NewReader(csv))
	if err != nil {
		tb.Fatal(err)
	}
	p, err := env.Store.ImportPlan(context.Background(), tenantID, name, env.Clock.Now(), r.Read)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// PlanCSV is a plan file of n rows in the canonical form the export writes,
// with values that need care: quoted labels, non-ASCII text, trailing
// zeros and exponents in numbers.
func PlanCSV(n int) string {
	var b strings.Builder
	b.WriteString(plancsv.Header)
	skills := []string{"Billing", `Tech "Gold" Support`, "Sales, Inbound", "Retention"}
	units := []string{"Manila", "Kraków", " Austin"}
	intervals := []string{"day", "week", "month"}
	for i := range n {
		skill := skills[i%len(skills)]
		if strings.ContainsAny(skill, `",`) {
			skill = `"` + strings.ReplaceAll(skill, `"`, `""`) + `"`
		}
		unit := units[i%len(units)]
		if unit[0] == ' ' {
			unit = `"` + unit + `"`
		}
		fmt.Fprintf(&b, "2027-%02d-%02d,%s,%s,%s,%d,%d.%d0,12.50,1e1,%d.5,0,100\n",
			1+i%12, 1+i%28, intervals[i%3], skill, unit, 100+i, 240+i%300, i%10, 70+i%20)
	}
	return b.String()
}

// NewGet is GET path with the token (none when empty).
func NewGet(path, token string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

// TokenOf reads access_token from a token answer.
func TokenOf(tb testing.TB, rec *httptest.ResponseRecorder) string {
	tb.Helper()
	var t struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &t); err != nil || t.AccessToken == "" {
		tb.Fatalf("no access_token in %s (%v)", rec.Body, err)
	}
	return t.AccessToken
}

// OAuthRequest is a client-credentials grant, authenticated by HTTP Basic
// or by form fields.
func OAuthRequest(id, secret string, basic bool) *http.Request {
	form := url.Values{"grant_type": {"client_credentials"}}
	if !basic {
		form.Set("client_id", id)
		form.Set("client_secret", secret)
	}
	req := httptest.NewRequest(http.MethodPost, "/api/v1/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	return req
}

// OAuthErrorCode reads an RFC 6749 §5.2 error answer.
func OAuthErrorCode(tb testing.TB, rec *httptest.ResponseRecorder) string {
	tb.Helper()
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Description == "" {
		tb.Fatalf("not an OAuth error: %s (%v)", rec.Body, err)
	}
	return e.Error
}

// CursorAfterFirstRow pages one row into a plan and returns the cursor.
func CursorAfterFirstRow(tb testing.TB, env *Env, token string, planID int64) string {
	tb.Helper()
	rec := APIGet(env, token, "/api/v1/plans/"+Itoa(planID)+"/data?limit=1")
	MustStatus(tb, rec, http.StatusOK)
	_, after, ok := strings.Cut(rec.Body.String(), `"next_cursor":"`)
	cursor, _, ok2 := strings.Cut(after, `"`)
	if !ok || !ok2 || cursor == "" {
		tb.Fatalf("no next_cursor in %s", rec.Body)
	}
	return cursor
}

// Itoa is n in decimal.
func Itoa(n int64) string { return strconv.FormatInt(n, 10) }
