package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"esp/lifecycle"
	"esp/web/internal/webtest"
)

func TestAPIMalformedInputsGetTheirStatus(t *testing.T) {
	env := webtest.NewEnv(t)
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	token := webtest.Exchange(t, env, keys)
	plan := webtest.ImportCSV(t, env, env.Acme.ID, "p", webtest.PlanCSV(5))
	other := webtest.ImportCSV(t, env, env.Acme.ID, "q", webtest.PlanCSV(5))
	id := webtest.Itoa(plan.ID)
	otherCursor := webtest.CursorAfterFirstRow(t, env, token, other.ID)

	jsonPost := func(body, contentType string) func() *http.Request {
		return func() *http.Request {
			req := httptest.NewRequest(http.MethodPost, "/api/v1/token/access-key", strings.NewReader(body))
			if contentType != "" {
				req.Header.Set("Content-Type", contentType)
			}
			return req
		}
	}
	a, s := keys.AccessKey, keys.SecretKey
	get := func(path string) func() *http.Request {
		return func() *http.Request { return webtest.NewGet(path, token) }
	}
	for _, tc := range []struct {
		name   string
		req    func() *http.Request
		status int
		code   string
	}{
		// Token exchange bodies.
		{"invalid JSON", jsonPost(`{"accessKeyId":`, "application/json"), 400, "bad_request"},
		{"not an object", jsonPost(`["`+a+`"]`, "application/json"), 400, "bad_request"},
		{"unknown field", jsonPost(`{"accessKeyId":"`+a+`","accessKeySecret":"`+s+`","scope":"x"}`, "application/json"), 400, "bad_request"},
		{"field name in another case", jsonPost(`{"accesskeyid":"`+a+`","accessKeySecret":"`+s+`"}`, "application/json"), 400, "bad_request"},
		{"duplicated field", jsonPost(`{"accessKeyId":"`+a+`","accessKeyId":"`+a+`","accessKeySecret":"`+s+`"}`, "application/json"), 400, "bad_request"},
		{"missing field", jsonPost(`{"accessKeyId":"`+a+`"}`, "application/json"), 400, "bad_request"},
		{"number for a string", jsonPost(`{"accessKeyId":1,"accessKeySecret":"`+s+`"}`, "application/json"), 400, "bad_request"},
		{"trailing data", jsonPost(`{"accessKeyId":"`+a+`","accessKeySecret":"`+s+`"} {}`, "application/json"), 400, "bad_request"},
		{"empty body", jsonPost(``, "application/json"), 400, "bad_request"},
		{"no content type", jsonPost(`{"accessKeyId":"`+a+`","accessKeySecret":"`+s+`"}`, ""), 415, "unsupported_media_type"},
		{"form content type", jsonPost(`accessKeyId=`+a, "application/x-www-form-urlencoded"), 415, "unsupported_media_type"},
		{"oversized body", jsonPost(`{"accessKeyId":"`+strings.Repeat("A", 70<<10)+`"}`, "application/json"), 413, "payload_too_large"},
		{"oversized body without a length", func() *http.Request {
			req := jsonPost(`{"accessKeyId":"`+strings.Repeat("A", 70<<10)+`"}`, "application/json")()
			req.ContentLength = -1 // as if chunked: only reading finds out
			return req
		}, 413, "payload_too_large"},
		{"mistyped secret", jsonPost(`{"accessKeyId":"`+a+`","accessKeySecret":"`+s[:len(s)-1]+`x"}`, "application/json"), 401, "invalid_credentials"},
		{"another secret", jsonPost(`{"accessKeyId":"`+a+`","accessKeySecret":"`+lifecycle.NewSecretKey()+`"}`, "application/json"), 401, "invalid_credentials"},
		{"unknown access key", jsonPost(`{"accessKeyId":"`+lifecycle.NewAccessKey()+`","accessKeySecret":"`+s+`"}`, "application/json"), 401, "invalid_credentials"},
		{"access key not ours", jsonPost(`{"accessKeyId":"AKIA1234","accessKeySecret":"`+s+`"}`, "application/json"), 401, "invalid_credentials"},

		// Plan ids, limits, cursors, formats.
		{"plan id not a number", get("/api/v1/plans/abc"), 404, "not_found"},
		{"plan id zero", get("/api/v1/plans/0"), 404, "not_found"},
		{"plan id negative", get("/api/v1/plans/-1/data"), 404, "not_found"},
		{"plan id with leading zero", get("/api/v1/plans/0" + id), 404, "not_found"},
		{"plan id too large", get("/api/v1/plans/99999999999999999999/export"), 404, "not_found"},
		{"plan that does not exist", get("/api/v1/plans/999999"), 404, "not_found"},
		{"limit zero", get("/api/v1/plans/" + id + "/data?limit=0"), 400, "bad_limit"},
		{"limit too large", get("/api/v1/plans/" + id + "/data?limit=1001"), 400, "bad_limit"},
		{"limit not a number", get("/api/v1/plans/" + id + "/data?limit=ten"), 400, "bad_limit"},
		{"limit with sign", get("/api/v1/plans/" + id + "/data?limit=+5"), 400, "bad_limit"},
		{"limit empty", get("/api/v1/plans/" + id + "/data?limit="), 400, "bad_limit"},
		{"limit twice", get("/api/v1/plans/" + id + "/data?limit=5&limit=6"), 400, "bad_request"},
		{"cursor garbage", get("/api/v1/plans/" + id + "/data?cursor=%%%"), 400, "bad_request"},
		{"cursor not base64", get("/api/v1/plans/" + id + "/data?cursor=!!"), 400, "bad_cursor"},
		{"cursor blank", get("/api/v1/plans/" + id + "/data?cursor=%20"), 400, "bad_cursor"},
		{"cursor of the wrong version", get("/api/v1/plans/" + id + "/data?cursor=AgEB"), 400, "bad_cursor"},
		{"cursor of another plan", get("/api/v1/plans/" + id + "/data?cursor=" + otherCursor), 400, "bad_cursor"},
		{"cursor very long", get("/api/v1/plans/" + id + "/data?cursor=" + strings.Repeat("A", 5000)), 400, "bad_cursor"},
		{"export format unknown", get("/api/v1/plans/" + id + "/export?format=xlsx"), 400, "bad_format"},

		// Routes and methods.
		{"unknown API route", get("/api/v1/nothing"), 404, "not_found"},
		{"DELETE a plan", func() *http.Request {
			req := httptest.NewRequest(http.MethodDelete, "/api/v1/plans/"+id, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			return req
		}, 405, "method_not_allowed"},
		{"GET the token route", get("/api/v1/token/access-key"), 405, "method_not_allowed"},
		{"POST the plan list", func() *http.Request {
			return httptest.NewRequest(http.MethodPost, "/api/v1/plans", strings.NewReader("{}"))
		}, 405, "method_not_allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req()
			req.RemoteAddr = "203.0.113.50:1" // failures here must not rate-limit the others
			if strings.Contains(tc.name, "secret") || strings.Contains(tc.name, "access key") {
				req.RemoteAddr = "203.0.113.51:1"
			}
			rec := env.Do(req)
			if rec.Code >= 500 {
				t.Fatalf("status %d for bad input: %s", rec.Code, rec.Body)
			}
			webtest.MustAPIError(t, rec, tc.status, tc.code)
		})
	}
	if strings.Contains(env.Logs.String(), s) || strings.Contains(env.Logs.String(), token) {
		t.Fatal("a secret or token reached the log")
	}
}
