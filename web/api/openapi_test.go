package api_test

import (
	"bytes"
	"context"
	"encoding/json"
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
	"esp/web/internal/webtest"
)

// loadOpenAPI fetches the served document and validates it as OpenAPI 3.
func loadOpenAPI(tb testing.TB, env *webtest.Env) *openapi3.T {
	tb.Helper()
	rec := webtest.APIGet(env, "", "/api/v1/openapi.json")
	webtest.MustStatus(tb, rec, http.StatusOK)
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

// openAPIBase is the document's one server URL resolved the way a client
// resolves it: against the address the document was fetched from.
func openAPIBase(tb testing.TB, doc *openapi3.T, docURL string) string {
	tb.Helper()
	if len(doc.Servers) != 1 {
		tb.Fatalf("the document names %d servers, want 1", len(doc.Servers))
	}
	from, err := url.Parse(docURL)
	if err != nil {
		tb.Fatal(err)
	}
	server, err := url.Parse(doc.Servers[0].URL)
	if err != nil {
		tb.Fatalf("server URL %q: %v", doc.Servers[0].URL, err)
	}
	return from.ResolveReference(server).String()
}

func TestAPIOpenAPIDocumentsEveryRoute(t *testing.T) {
	env := webtest.NewEnv(t)
	doc := loadOpenAPI(t, env)
	// The server URL is relative, so that the document is right whatever
	// address the API is reached at; the paths are relative to it.
	if got := openAPIBase(t, doc, "https://esp.example/api/v1/openapi.json"); got != "https://esp.example/api/v1" {
		t.Fatalf("the server URL resolves to %q, want https://esp.example/api/v1", got)
	}
	var got []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			got = append(got, method+" "+path)
		}
	}
	sort.Strings(got)
	want := []string{
		"GET /openapi.json",
		"GET /plans",
		"GET /plans/{planID}",
		"GET /plans/{planID}/data",
		"GET /plans/{planID}/export",
		"HEAD /openapi.json",
		"HEAD /plans",
		"HEAD /plans/{planID}",
		"HEAD /plans/{planID}/data",
		"HEAD /plans/{planID}/export",
		"POST /oauth/token",
		"POST /secret-scanning/github",
		"POST /token/access-key",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("documented operations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Each documented operation exists at the server URL plus its path (a
	// method it does not document is 405).
	for _, op := range want {
		method, path, _ := strings.Cut(op, " ")
		path = "/api/v1" + strings.ReplaceAll(path, "{planID}", "1")
		rec := env.Do(httptest.NewRequest(method, path, nil))
		// A plan that does not exist, and secret scanning turned off, are 404.
		notFoundOK := strings.Contains(path, "/plans/") || strings.Contains(path, "/secret-scanning/")
		if rec.Code == http.StatusNotFound && !notFoundOK || rec.Code == http.StatusMethodNotAllowed {
			t.Fatalf("%s %s: status %d", method, path, rec.Code)
		}
		other := http.MethodPut
		webtest.MustAPIError(t, env.Do(httptest.NewRequest(other, path, nil)), http.StatusMethodNotAllowed, "method_not_allowed")
	}
}

// TestAPIOpenAPIDescribesForGenerators checks what code generators and
// linters rely on, over the raw document: every number is a double and
// every integer says its width (a generator otherwise picks float32 and
// loses digits: 16777217 becomes 16777216), every operation has a declared
// tag, a summary and a description, and the licence is named.
func TestAPIOpenAPIDescribesForGenerators(t *testing.T) {
	env := webtest.NewEnv(t)
	rec := webtest.APIGet(env, "", "/api/v1/openapi.json")
	webtest.MustStatus(t, rec, http.StatusOK)
	var raw map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	var numbers, integers int
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch v := v.(type) {
		case map[string]any:
			switch v["type"] {
			case "number":
				numbers++
				if v["format"] != "double" {
					t.Errorf("%s: type number with format %v, want double", at, v["format"])
				}
			case "integer":
				integers++
				if f := v["format"]; f != "int64" && f != "int32" {
					t.Errorf("%s: type integer with format %v, want int64 or int32", at, f)
				}
			}
			for k, e := range v {
				walk(at+"/"+k, e)
			}
		case []any:
			for i, e := range v {
				walk(at+"/"+webtest.Itoa(int64(i)), e)
			}
		}
	}
	walk("#", raw)
	if numbers < 7 || integers < 6 {
		t.Fatalf("found %d numbers and %d integers: the walk missed the schemas", numbers, integers)
	}

	doc := loadOpenAPI(t, env)
	if doc.Info.License == nil || doc.Info.License.Name == "" {
		t.Error("info.license is missing")
	}
	declared := map[string]bool{}
	for _, tag := range doc.Tags {
		if tag.Description == "" {
			t.Errorf("tag %s has no description", tag.Name)
		}
		declared[tag.Name] = true
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Summary == "" || op.Description == "" {
				t.Errorf("%s %s: summary %q, description %q", method, path, op.Summary, op.Description)
			}
			if len(op.Tags) == 0 {
				t.Errorf("%s %s has no tag", method, path)
			}
			for _, tag := range op.Tags {
				if !declared[tag] {
					t.Errorf("%s %s: tag %s is not declared", method, path, tag)
				}
			}
		}
	}
}

// TestAPIAnswersMatchOpenAPI sends requests that reach every status and
// every error code the API has and checks each answer, headers included,
// against the document; the codes seen must be exactly the documented enum.
func TestAPIAnswersMatchOpenAPI(t *testing.T) {
	env := webtest.NewEnv(t)
	doc := loadOpenAPI(t, env)
	const host = "http://example.com"
	doc.Servers[0].URL = openAPIBase(t, doc, host+"/api/v1/openapi.json")
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	openapi3filter.RegisterBodyDecoder("application/x-ndjson", func(r io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
		b, err := io.ReadAll(r)
		return string(b), err
	})

	plan := webtest.ImportCSV(t, env, env.Acme.ID, "FY2027 Baseline", webtest.PlanCSV(7))
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	token := webtest.Exchange(t, env, keys)
	id := webtest.Itoa(plan.ID)
	cursor := webtest.CursorAfterFirstRow(t, env, token, plan.ID)
	globexKeys := webtest.ActivatedKeys(t, env, env.Globex.ID) // its tenant's public API is off

	// An address that has used up its failed authentications.
	const limitedAddr = "198.51.100.9:1"
	badToken := "esptk_" + strings.Repeat("A", 43)
	for range 20 {
		req := webtest.NewGet("/api/v1/plans", badToken)
		req.RemoteAddr = limitedAddr
		webtest.MustAPIError(t, env.Do(req), http.StatusUnauthorized, "invalid_token")
	}
	// A server whose database has gone away answers 500, to a token it
	// signed (a forged one is refused before any database call).
	broken := webtest.NewEnv(t)
	brokenToken := webtest.Exchange(t, broken, webtest.ActivatedKeys(t, broken, broken.Acme.ID))
	broken.Store.Close()
	// A server whose tenant allows only addresses other than the tests'.
	fenced := webtest.NewEnv(t)
	fencedKeys := webtest.ActivatedKeys(t, fenced, fenced.Acme.ID)
	fencedToken := webtest.Exchange(t, fenced, fencedKeys)
	if _, err := fenced.Service.SetAllowedAddresses(context.Background(), fenced.Acme.ID, "test", "198.51.100.0/24"); err != nil {
		t.Fatal(err)
	}

	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {keys.AccessKey}, "client_secret": {keys.SecretKey}}
	post := func(path, contentType, body string) func() *http.Request {
		return func() *http.Request {
			req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
			if contentType != "" {
				req.Header.Set("Content-Type", contentType)
			}
			return req
		}
	}
	withAuth := func(value string, req func() *http.Request) func() *http.Request {
		return func() *http.Request {
			r := req()
			r.Header.Set("Authorization", value)
			return r
		}
	}
	from := func(addr string, req func() *http.Request) func() *http.Request {
		return func() *http.Request {
			r := req()
			r.RemoteAddr = addr
			return r
		}
	}
	get := func(path string) func() *http.Request {
		return func() *http.Request { return webtest.NewGet(path, token) }
	}
	head := func(path, token string) func() *http.Request {
		return func() *http.Request {
			req := webtest.NewGet(path, token)
			req.Method = http.MethodHead
			return req
		}
	}
	big := strings.Repeat("A", 70<<10)
	seenCodes := map[string]bool{}
	for _, tc := range []struct {
		name   string
		req    func() *http.Request
		status int
		env    *webtest.Env // default env
		route  string       // the documented method to check the answer against, when the request's is not documented
	}{
		{name: "token", req: func() *http.Request { return webtest.KeyRequest(keys.AccessKey, keys.SecretKey) }, status: 200},
		{name: "OAuth token", req: func() *http.Request { return webtest.OAuthRequest(keys.AccessKey, keys.SecretKey, false) }, status: 200},
		{name: "OAuth error", req: post("/api/v1/oauth/token", "application/x-www-form-urlencoded", form.Encode()+"&grant_type=x"), status: 400},
		{name: "OAuth invalid client", req: func() *http.Request { return webtest.OAuthRequest(keys.AccessKey, lifecycle.NewSecretKey(), true) }, status: 401},
		{name: "OAuth feature off", req: func() *http.Request { return webtest.OAuthRequest(globexKeys.AccessKey, globexKeys.SecretKey, true) }, status: 400},
		{name: "OAuth body too large", req: post("/api/v1/oauth/token", "application/x-www-form-urlencoded", "grant_type="+big), status: 413},
		{name: "OAuth wrong type", req: post("/api/v1/oauth/token", "application/json", "{}"), status: 415},
		{name: "OAuth rate limited", req: from(limitedAddr, func() *http.Request { return webtest.OAuthRequest(keys.AccessKey, lifecycle.NewSecretKey(), true) }), status: 429},
		{name: "token bad JSON", req: post("/api/v1/token/access-key", "application/json", "{"), status: 400},
		{name: "token bad keys", req: func() *http.Request { return webtest.KeyRequest(keys.AccessKey, lifecycle.NewSecretKey()) }, status: 401},
		{name: "token feature off", req: func() *http.Request { return webtest.KeyRequest(globexKeys.AccessKey, globexKeys.SecretKey) }, status: 403},
		{name: "token ip not allowed", req: func() *http.Request { return webtest.KeyRequest(fencedKeys.AccessKey, fencedKeys.SecretKey) }, status: 403, env: fenced},
		{name: "OAuth ip not allowed", req: func() *http.Request { return webtest.OAuthRequest(fencedKeys.AccessKey, fencedKeys.SecretKey, true) }, status: 403, env: fenced},
		{name: "list ip not allowed", req: func() *http.Request { return webtest.NewGet("/api/v1/plans", fencedToken) }, status: 403, env: fenced},
		{name: "token body too large", req: post("/api/v1/token/access-key", "application/json", `{"accessKeyId":"`+big+`"}`), status: 413},
		{name: "token wrong type", req: post("/api/v1/token/access-key", "text/plain", "{}"), status: 415},
		{name: "token rate limited", req: from(limitedAddr, func() *http.Request { return webtest.KeyRequest(keys.AccessKey, lifecycle.NewSecretKey()) }), status: 429},
		{name: "list", req: get("/api/v1/plans"), status: 200},
		{name: "list without token", req: func() *http.Request { return webtest.NewGet("/api/v1/plans", "") }, status: 401},
		{name: "list malformed Authorization", req: withAuth("Bearer", get("/api/v1/plans")), status: 401},
		{name: "list unknown token", req: func() *http.Request { return webtest.NewGet("/api/v1/plans", badToken) }, status: 401},
		{name: "list rate limited", req: from(limitedAddr, func() *http.Request { return webtest.NewGet("/api/v1/plans", badToken) }), status: 429},
		{name: "list internal error", req: func() *http.Request { return webtest.NewGet("/api/v1/plans", brokenToken) }, status: 500, env: broken},
		{name: "one plan", req: get("/api/v1/plans/" + id), status: 200},
		{name: "no such plan", req: get("/api/v1/plans/424242"), status: 404},
		{name: "data first page", req: get("/api/v1/plans/" + id + "/data?limit=3"), status: 200},
		{name: "data last page", req: get("/api/v1/plans/" + id + "/data?cursor=" + cursor), status: 200},
		{name: "data bad limit", req: get("/api/v1/plans/" + id + "/data?limit=0"), status: 400},
		{name: "data bad cursor", req: get("/api/v1/plans/" + id + "/data?cursor=AgEB"), status: 400},
		{name: "data query twice", req: get("/api/v1/plans/" + id + "/data?limit=1&limit=2"), status: 400},
		{name: "export CSV", req: get("/api/v1/plans/" + id + "/export"), status: 200},
		{name: "export NDJSON", req: get("/api/v1/plans/" + id + "/export?format=ndjson"), status: 200},
		{name: "export bad format", req: get("/api/v1/plans/" + id + "/export?format=xlsx"), status: 400},
		{name: "export not acceptable", req: func() *http.Request {
			req := webtest.NewGet("/api/v1/plans/"+id+"/export", token)
			req.Header.Set("Accept", "application/json, text/csv;q=0")
			return req
		}, status: 406},
		{name: "HEAD export", req: head("/api/v1/plans/"+id+"/export", token), status: 200},
		{name: "HEAD export not acceptable", req: func() *http.Request {
			req := head("/api/v1/plans/"+id+"/export", token)()
			req.Header.Set("Accept", "text/html")
			return req
		}, status: 406},
		{name: "HEAD list", req: head("/api/v1/plans", token), status: 200},
		{name: "HEAD list without token", req: head("/api/v1/plans", ""), status: 401},
		{name: "HEAD no such plan", req: head("/api/v1/plans/424242", token), status: 404},
		{name: "HEAD data bad limit", req: head("/api/v1/plans/"+id+"/data?limit=0", token), status: 400},
		{name: "HEAD openapi", req: head("/api/v1/openapi.json", ""), status: 200},
		{name: "openapi", req: func() *http.Request { return webtest.NewGet("/api/v1/openapi.json", "") }, status: 200},
		{name: "openapi with a body too large", req: func() *http.Request {
			req := webtest.NewGet("/api/v1/openapi.json", "")
			req.Body, req.ContentLength = io.NopCloser(strings.NewReader(big)), int64(len(big))
			return req
		}, status: 413},
		{name: "list with a body too large", req: func() *http.Request {
			req := webtest.NewGet("/api/v1/plans", token)
			req.Body, req.ContentLength = io.NopCloser(strings.NewReader(big)), int64(len(big))
			return req
		}, status: 413},
		{name: "PUT openapi", req: func() *http.Request { return httptest.NewRequest(http.MethodPut, "/api/v1/openapi.json", nil) }, status: 405, route: http.MethodGet},
		{name: "GET the token route", req: get("/api/v1/token/access-key"), status: 405, route: http.MethodPost},
		{name: "GET the OAuth route", req: get("/api/v1/oauth/token"), status: 405, route: http.MethodPost},
		{name: "DELETE a plan", req: func() *http.Request {
			return httptest.NewRequest(http.MethodDelete, "/api/v1/plans/"+id, nil)
		}, status: 405, route: http.MethodGet},
		{name: "POST the export", req: func() *http.Request {
			return httptest.NewRequest(http.MethodPost, "/api/v1/plans/"+id+"/export", nil)
		}, status: 405, route: http.MethodGet},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req()
			var body []byte
			if req.Body != nil {
				body, _ = io.ReadAll(req.Body)
				req.Body = io.NopCloser(bytes.NewReader(body))
			}
			e := env
			if tc.env != nil {
				e = tc.env
			}
			rec := e.Do(req)
			webtest.MustStatus(t, rec, tc.status)

			// Route against a copy of the request with an absolute URL.
			rreq := req.Clone(context.Background())
			rreq.URL.Scheme, rreq.URL.Host = "http", "example.com"
			rreq.Host = "example.com"
			rreq.Body = io.NopCloser(bytes.NewReader(body))
			if tc.route != "" {
				rreq.Method = tc.route
			}
			route, params, err := router.FindRoute(rreq)
			if err != nil {
				t.Fatalf("no documented route for %s %s: %v", rreq.Method, req.URL, err)
			}
			answered := rec.Body.Bytes()
			if req.Method == http.MethodHead {
				answered = nil // the server sends no body for HEAD, whatever the handler writes
			}
			in := &openapi3filter.ResponseValidationInput{
				RequestValidationInput: &openapi3filter.RequestValidationInput{Request: rreq, PathParams: params, Route: route},
				Status:                 rec.Code,
				Header:                 rec.Header(),
				Body:                   io.NopCloser(bytes.NewReader(answered)),
				Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
			}
			if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
				t.Fatalf("answer %d %v %s does not match the document: %v", rec.Code, rec.Header(), rec.Body, err)
			}
			var envelope struct {
				Error struct {
					Code string `json:"code"`
				} `json:"error"`
			}
			if json.Unmarshal(rec.Body.Bytes(), &envelope) == nil && envelope.Error.Code != "" {
				seenCodes[envelope.Error.Code] = true
			}
		})
	}

	var documented []string
	for _, c := range doc.Components.Schemas["Error"].Value.Properties["error"].Value.Properties["code"].Value.Enum {
		documented = append(documented, c.(string))
	}
	var seen []string
	for c := range seenCodes {
		seen = append(seen, c)
	}
	sort.Strings(documented)
	sort.Strings(seen)
	if strings.Join(seen, " ") != strings.Join(documented, " ") {
		t.Fatalf("error codes answered:\n%s\ndocumented:\n%s", strings.Join(seen, " "), strings.Join(documented, " "))
	}
}
