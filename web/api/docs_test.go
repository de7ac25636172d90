package api_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"esp/web/internal/webtest"
)

// The reference page is made from the served document: every operation of
// the document has its section, with its summary, its parameters, its
// request body's fields and every one of its response codes, and the page
// has no operation the document lacks.
func TestAPIDocsPageShowsEveryOperationAndResponseOfTheDocument(t *testing.T) {
	env := webtest.NewEnv(t)
	doc := loadOpenAPI(t, env)
	rec := webtest.APIGet(env, "", "/api/docs")
	webtest.MustStatus(t, rec, http.StatusOK)
	page := webtest.MustDoc(t, rec)
	ops := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops++
			sel := `[data-testid=api-operation][data-method="` + method + `"][data-path="` + path + `"]`
			sec := page.Find(sel)
			if sec.Length() != 1 {
				t.Errorf("%s %s: %d sections on the page, want 1", method, path, sec.Length())
				continue
			}
			text := squash(sec.Text())
			if !strings.Contains(text, squash(op.Summary)) {
				t.Errorf("%s %s: the summary %q is not on the page", method, path, op.Summary)
			}
			for _, p := range op.Parameters {
				if !strings.Contains(text, p.Value.Name) {
					t.Errorf("%s %s: parameter %s is not on the page", method, path, p.Value.Name)
				}
			}
			if op.RequestBody != nil {
				for _, mt := range op.RequestBody.Value.Content {
					for name := range mt.Schema.Value.Properties {
						if !strings.Contains(text, name) {
							t.Errorf("%s %s: request body field %s is not on the page", method, path, name)
						}
					}
				}
			}
			for _, code := range op.Responses.Keys() {
				r := sec.Find(`[data-testid=api-response][data-status="` + code + `"]`)
				if r.Length() != 1 {
					t.Errorf("%s %s: response %s appears %d times, want 1", method, path, code, r.Length())
					continue
				}
				if want := squash(*op.Responses.Value(code).Value.Description); !strings.Contains(squash(r.Text()), want) {
					t.Errorf("%s %s %s: the description %q is not on the page", method, path, code, want)
				}
			}
			if n, want := sec.Find("[data-testid=api-response]").Length(), op.Responses.Len(); n != want {
				t.Errorf("%s %s: %d responses on the page, the document has %d", method, path, n, want)
			}
		}
	}
	if n := page.Find("[data-testid=api-operation]").Length(); n != ops || ops < 10 {
		t.Errorf("the page has %d operations, the document %d", n, ops)
	}
}

// The page explains how to authenticate: every security scheme of the
// document, how to get a token, and which scheme each operation takes.
func TestAPIDocsPageExplainsAuthentication(t *testing.T) {
	env := webtest.NewEnv(t)
	doc := loadOpenAPI(t, env)
	page := webtest.MustDoc(t, webtest.APIGet(env, "", "/api/docs"))
	for name := range doc.Components.SecuritySchemes {
		if page.Find("#auth-"+name).Length() != 1 {
			t.Errorf("security scheme %s is not described", name)
		}
	}
	token := squash(page.Find("#getting-a-token").Parent().Text())
	for _, want := range []string{"/api/v1/token/access-key", "/api/v1/oauth/token", "Authorization: Bearer", "Activated"} {
		if !strings.Contains(token, want) {
			t.Errorf("Getting a token does not say %q: %s", want, token)
		}
	}
	plans := page.Find(`[data-testid=api-operation][data-method=GET][data-path="/plans"]`)
	if plans.Find(`a[href="#auth-bearerAuth"]`).Length() != 1 {
		t.Error("GET /plans does not say it takes a bearer token")
	}
	oauth := page.Find(`[data-testid=api-operation][data-method=POST][data-path="/oauth/token"]`)
	if oauth.Find(`a[href="#auth-clientBasic"]`).Length() != 1 || !strings.Contains(squash(oauth.Text()), ", or none") {
		t.Errorf("the OAuth route does not say it takes HTTP Basic or nothing (form fields): %s", squash(oauth.Text()))
	}
	exchange := page.Find(`[data-testid=api-operation][data-method=POST][data-path="/token/access-key"]`)
	if !strings.Contains(squash(exchange.Text()), "Authentication: none.") {
		t.Errorf("the key exchange does not say it needs no authentication: %s", squash(exchange.Text()))
	}
}

// Anyone may read the page, without signing in; caches may keep it and
// revalidate it by its ETag; HEAD answers the same headers; it loads only
// our own files.
func TestAPIDocsPageIsPublicCacheableAndSelfContained(t *testing.T) {
	env := webtest.NewEnv(t)
	rec := webtest.APIGet(env, "", "/api/docs")
	webtest.MustStatus(t, rec, http.StatusOK)
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q", ct)
	}
	etag, cc := rec.Header().Get("ETag"), rec.Header().Get("Cache-Control")
	if etag == "" || !strings.Contains(cc, "public") {
		t.Fatalf("ETag %q, Cache-Control %q: want a public, revalidatable page", etag, cc)
	}
	again := webtest.APIGet(env, "", "/api/docs", "If-None-Match", etag)
	webtest.MustStatus(t, again, http.StatusNotModified)
	if again.Body.Len() != 0 {
		t.Errorf("304 with a body of %d bytes", again.Body.Len())
	}
	webtest.MustStatus(t, webtest.APIGet(env, "", "/api/docs", "If-None-Match", `"other"`), http.StatusOK)
	head := env.Do(httptest.NewRequest(http.MethodHead, "/api/docs", nil))
	webtest.MustStatus(t, head, http.StatusOK)
	if head.Header().Get("ETag") != etag || head.Body.Len() != 0 || head.Header().Get("Content-Length") != strconv.Itoa(rec.Body.Len()) {
		t.Errorf("HEAD: ETag %q, body %d bytes; want %q and none", head.Header().Get("ETag"), head.Body.Len(), etag)
	}
	page := webtest.MustDoc(t, rec)
	page.Find("script, link[rel=stylesheet]").Each(func(_ int, s *goquery.Selection) {
		src := s.AttrOr("src", s.AttrOr("href", ""))
		if !strings.HasPrefix(src, "/static/") {
			t.Errorf("the page loads %q, not one of our own files", src)
		}
	})
	if page.Find("script:not([src]), style, [style]").Length() != 0 {
		t.Error("the page has inline script or style")
	}
	if page.Find(`link[href="/static/apidocs.css"]`).Length() != 1 {
		t.Error("the page does not load its stylesheet")
	}
	webtest.MustStatus(t, env.Do(httptest.NewRequest(http.MethodGet, "/static/apidocs.css", nil)), http.StatusOK)
}

// squash collapses runs of white space and drops the backticks that mark
// code in the document's descriptions, as a reader sees the text.
func squash(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "`", "")), " ")
}
