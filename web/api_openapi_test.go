package web_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"

	"esp/lifecycle"
)

// loadOpenAPI fetches the served document and validates it as OpenAPI 3.
func loadOpenAPI(tb testing.TB, env *testEnv) *openapi3.T {
	tb.Helper()
	rec := apiGet(env, "", "/api/v1/openapi.json")
	mustStatus(tb, rec, http.StatusOK)
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Fatalf("Content-Type %q", ct)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(rec.Body.Bytes())
	if err != nil {
		tb.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		tb.Fatalf("the OpenAPI document is invalid: %v", err)
	}
	return doc
}

func TestAPIOpenAPIDocumentsEveryRoute(t *testing.T) {
	env := newTestEnv(t)
	doc := loadOpenAPI(t, env)
	var got []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			got = append(got, method+" "+path)
		}
	}
	sort.Strings(got)
	want := []string{
		"GET /api/v1/openapi.json",
		"GET /api/v1/plans",
		"GET /api/v1/plans/{planID}",
		"GET /api/v1/plans/{planID}/data",
		"GET /api/v1/plans/{planID}/export",
		"POST /api/v1/oauth/token",
		"POST /api/v1/token/access-key",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("documented operations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Each documented operation exists (a method it does not document is 405).
	for _, op := range want {
		method, path, _ := strings.Cut(op, " ")
		path = strings.ReplaceAll(path, "{planID}", "1")
		rec := env.do(httptest.NewRequest(method, path, nil))
		if rec.Code == http.StatusNotFound && !strings.Contains(path, "/plans/") || rec.Code == http.StatusMethodNotAllowed {
			t.Fatalf("%s %s: status %d", method, path, rec.Code)
		}
		other := http.MethodPut
		mustAPIError(t, env.do(httptest.NewRequest(other, path, nil)), http.StatusMethodNotAllowed, "method_not_allowed")
	}
}

func TestAPIAnswersMatchOpenAPI(t *testing.T) {
	env := newTestEnv(t)
	doc := loadOpenAPI(t, env)
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	openapi3filter.RegisterBodyDecoder("application/x-ndjson", func(r io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
		b, err := io.ReadAll(r)
		return string(b), err
	})

	plan := importCSV(t, env, env.Acme.ID, "FY2027 Baseline", planCSV(7))
	keys := activatedKeys(t, env, env.Acme.ID)
	token := exchange(t, env, keys)
	id := itoa(plan.ID)
	cursor := cursorAfterFirstRow(t, env, token, plan.ID)

	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {keys.AccessKey}, "client_secret": {keys.SecretKey}}
	for _, tc := range []struct {
		name   string
		req    func() *http.Request
		status int
	}{
		{"token", func() *http.Request { return keyRequest(keys.AccessKey, keys.SecretKey) }, 200},
		{"OAuth token", func() *http.Request { return oauthRequest(keys.AccessKey, keys.SecretKey, false) }, 200},
		{"OAuth error", func() *http.Request {
			req := httptest.NewRequest(http.MethodPost, "/api/v1/oauth/token", strings.NewReader(form.Encode()+"&grant_type=x"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return req
		}, 400},
		{"OAuth invalid client", func() *http.Request { return oauthRequest(keys.AccessKey, lifecycle.NewSecretKey(), true) }, 401},
		{"token bad JSON", func() *http.Request {
			req := httptest.NewRequest(http.MethodPost, "/api/v1/token/access-key", strings.NewReader("{"))
			req.Header.Set("Content-Type", "application/json")
			return req
		}, 400},
		{"token bad keys", func() *http.Request { return keyRequest(keys.AccessKey, lifecycle.NewSecretKey()) }, 401},
		{"token wrong type", func() *http.Request {
			req := keyRequest(keys.AccessKey, keys.SecretKey)
			req.Header.Set("Content-Type", "text/plain")
			return req
		}, 415},
		{"list", func() *http.Request { return newGet("/api/v1/plans", token) }, 200},
		{"list without token", func() *http.Request { return newGet("/api/v1/plans", "") }, 401},
		{"one plan", func() *http.Request { return newGet("/api/v1/plans/"+id, token) }, 200},
		{"no such plan", func() *http.Request { return newGet("/api/v1/plans/424242", token) }, 404},
		{"data first page", func() *http.Request { return newGet("/api/v1/plans/"+id+"/data?limit=3", token) }, 200},
		{"data last page", func() *http.Request { return newGet("/api/v1/plans/"+id+"/data?cursor="+cursor, token) }, 200},
		{"data bad limit", func() *http.Request { return newGet("/api/v1/plans/"+id+"/data?limit=0", token) }, 400},
		{"export CSV", func() *http.Request { return newGet("/api/v1/plans/"+id+"/export", token) }, 200},
		{"export NDJSON", func() *http.Request { return newGet("/api/v1/plans/"+id+"/export?format=ndjson", token) }, 200},
		{"openapi", func() *http.Request { return newGet("/api/v1/openapi.json", "") }, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req()
			var body []byte
			if req.Body != nil {
				body, _ = io.ReadAll(req.Body)
				req.Body = io.NopCloser(bytes.NewReader(body))
			}
			rec := env.do(req)
			mustStatus(t, rec, tc.status)

			// Route against a copy of the request with an absolute URL.
			rreq := req.Clone(context.Background())
			rreq.URL.Scheme, rreq.URL.Host = "http", "example.com"
			rreq.Host = "example.com"
			rreq.Body = io.NopCloser(bytes.NewReader(body))
			route, params, err := router.FindRoute(rreq)
			if err != nil {
				t.Fatalf("no documented route for %s %s: %v", req.Method, req.URL, err)
			}
			in := &openapi3filter.ResponseValidationInput{
				RequestValidationInput: &openapi3filter.RequestValidationInput{Request: rreq, PathParams: params, Route: route},
				Status:                 rec.Code,
				Header:                 rec.Header(),
				Body:                   io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
				Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
			}
			if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
				t.Fatalf("answer %d %s does not match the document: %v", rec.Code, rec.Body, err)
			}
		})
	}
}
