package api_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"esp/web/internal/webtest"
)

// exportFixture is a tenant's plan and a token that reads it.
func exportFixture(t *testing.T, rows int) (*webtest.Env, string, string) {
	t.Helper()
	env := webtest.NewEnv(t)
	plan := webtest.ImportCSV(t, env, env.Acme.ID, "p", webtest.PlanCSV(rows))
	token := webtest.Exchange(t, env, webtest.ActivatedKeys(t, env, env.Acme.ID))
	return env, token, "/api/v1/plans/" + webtest.Itoa(plan.ID) + "/export"
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	z, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(z)
	if err != nil {
		t.Fatalf("bad gzip: %v", err)
	}
	return out
}

// An export asked for with Accept-Encoding: gzip is the same bytes,
// gzipped, with Content-Encoding: gzip; one whose Accept-Encoding refuses
// gzip, or prefers identity, is sent as it is. Every answer varies on both
// Accept and Accept-Encoding.
func TestExportIsGzippedWhenAcceptEncodingAsks(t *testing.T) {
	env, token, path := exportFixture(t, 3000)
	for _, format := range []string{"csv", "ndjson"} {
		plain := webtest.APIGet(env, token, path+"?format="+format)
		webtest.MustStatus(t, plain, http.StatusOK)
		for _, tc := range []struct {
			acceptEncoding string
			gzipped        bool
		}{
			{"gzip", true},
			{"br;q=1, gzip;q=0.8", true},
			{"*", true},
			{"gzip;q=0", false},
			{"gzip;q=0.5, identity", false},
			{"br", false},
		} {
			rec := webtest.APIGet(env, token, path+"?format="+format, "Accept-Encoding", tc.acceptEncoding)
			webtest.MustStatus(t, rec, http.StatusOK)
			if v := rec.Header().Get("Vary"); v != "Accept, Accept-Encoding" {
				t.Fatalf("Vary %q, want Accept, Accept-Encoding", v)
			}
			body := rec.Body.Bytes()
			if ce := rec.Header().Get("Content-Encoding"); (ce == "gzip") != tc.gzipped || (!tc.gzipped && ce != "") {
				t.Fatalf("%s, Accept-Encoding %q: Content-Encoding %q, want gzipped=%v", format, tc.acceptEncoding, ce, tc.gzipped)
			}
			if tc.gzipped {
				if len(body)*3 > plain.Body.Len() {
					t.Fatalf("%s gzipped is %d bytes of %d: not compressed", format, len(body), plain.Body.Len())
				}
				body = gunzip(t, body)
			}
			if !bytes.Equal(body, plain.Body.Bytes()) {
				t.Fatalf("%s, Accept-Encoding %q: the rows differ from the plain export", format, tc.acceptEncoding)
			}
		}
	}
}

// Each representation (CSV or NDJSON, gzipped or not) of a plan has its own
// strong ETag, the same on every request; another plan with the same rows
// has others.
func TestExportETagIsStrongAndNamesPlanAndRepresentation(t *testing.T) {
	env, token, path := exportFixture(t, 10)
	other := webtest.ImportCSV(t, env, env.Acme.ID, "twin", webtest.PlanCSV(10))
	seen := map[string]string{}
	for _, p := range []string{path, "/api/v1/plans/" + webtest.Itoa(other.ID) + "/export"} {
		for _, q := range []string{"?format=csv", "?format=ndjson"} {
			for _, enc := range []string{"identity", "gzip"} {
				what := p + q + " " + enc
				tag := webtest.APIGet(env, token, p+q, "Accept-Encoding", enc).Header().Get("ETag")
				if !strings.HasPrefix(tag, `"`) || !strings.HasSuffix(tag, `"`) || len(tag) < 10 {
					t.Fatalf("%s: ETag %q, want a strong entity tag", what, tag)
				}
				if again := webtest.APIGet(env, token, p+q, "Accept-Encoding", enc).Header().Get("ETag"); again != tag {
					t.Fatalf("%s: ETag %q, then %q", what, tag, again)
				}
				if prev, dup := seen[tag]; dup {
					t.Fatalf("%s and %s share the ETag %s", prev, what, tag)
				}
				seen[tag] = what
			}
		}
	}
}

// If-None-Match naming the export's tag (alone, in a list, weak, or *) is
// answered 304 with the tag, Vary and no body, for GET and HEAD alike, even
// while the tenant's four export slots are all taken: a 304 takes none. A
// tag of another representation gets the export (here: 429, no slot free).
func TestExportIfNoneMatchAnswers304WithoutTakingASlot(t *testing.T) {
	env := webtest.NewEnv(t, func(c *webtest.Config) { c.API.ExportStallTimeout = time.Minute })
	ten := exportTenants(t, env, 1, 10_000)[0]
	srv := exportServer(t, env)
	for range 4 {
		mustStall(t, srv, ten)
	}
	path := srv.URL + "/api/v1/plans/" + webtest.Itoa(ten.planID) + "/export"
	ask := func(method, ifNoneMatch, acceptEncoding string) (*http.Response, []byte) {
		req, _ := http.NewRequest(method, path, nil)
		req.Header.Set("Authorization", "Bearer "+ten.token)
		req.Header.Set("Accept-Encoding", acceptEncoding)
		if ifNoneMatch != "" {
			req.Header.Set("If-None-Match", ifNoneMatch)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	head, _ := ask(http.MethodHead, "", "gzip")
	tag := head.Header.Get("ETag")
	if head.StatusCode != http.StatusOK || tag == "" {
		t.Fatalf("HEAD: status %d, ETag %q", head.StatusCode, tag)
	}
	for _, inm := range []string{tag, "W/" + tag, `"nope", ` + tag, "*"} {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			resp, body := ask(method, inm, "gzip")
			if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
				t.Fatalf("%s If-None-Match %s: status %d with %d bytes, want 304 and none", method, inm, resp.StatusCode, len(body))
			}
			if resp.Header.Get("ETag") != tag || resp.Header.Get("Vary") != "Accept, Accept-Encoding" || resp.Header.Get("Content-Encoding") != "" {
				t.Fatalf("304 headers %v, want ETag %s and Vary", resp.Header, tag)
			}
		}
	}
	// The same tag does not match the plain (identity) export.
	if resp, _ := ask(http.MethodGet, tag, "identity"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("another representation's tag: status %d, want the export itself (429 here: no slot is free)", resp.StatusCode)
	}
}

// HEAD of a gzipped export answers what GET answers, headers and all, with
// no body.
func TestExportHeadOfGzipHasTheSameHeaders(t *testing.T) {
	env, token, path := exportFixture(t, 50)
	get := webtest.APIGet(env, token, path, "Accept-Encoding", "gzip")
	req := httptest.NewRequest(http.MethodHead, path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept-Encoding", "gzip")
	head := env.Do(req)
	webtest.MustStatus(t, head, http.StatusOK)
	if head.Body.Len() != 0 {
		t.Fatalf("HEAD sent %d bytes", head.Body.Len())
	}
	for _, k := range []string{"Content-Type", "Content-Encoding", "Content-Disposition", "ETag", "Vary", "Cache-Control"} {
		if head.Header().Get(k) != get.Header().Get(k) || get.Header().Get(k) == "" {
			t.Fatalf("%s: HEAD %q, GET %q", k, head.Header().Get(k), get.Header().Get(k))
		}
	}
}
