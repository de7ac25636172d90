package web_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"esp/web"
	"esp/web/internal/webtest"
)

// Every route that answers GET answers HEAD with the same status and the
// same headers (RFC 9110 §9.3.2), for each visitor it may have: anonymous,
// signed in, or holding an API token. Only what differs by nature from one
// answer to the next is left out: the date, the request id, cookie values,
// and a Content-Length that HEAD may omit.
func TestHEADAnswersLikeGETOnEveryGETRoute(t *testing.T) {
	env := webtest.NewEnv(t)
	token := webtest.Exchange(t, env, webtest.ActivatedKeys(t, env, env.Acme.ID))
	plan := webtest.Itoa(webtest.ImportCSV(t, env, env.Acme.ID, "plan", webtest.PlanCSV(5)).ID)
	alice := webtest.SignedIn(t, env, "alice")
	srv := httptest.NewServer(env.Server)
	defer srv.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	send := func(method, path, as string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		// The same request headers for both methods: Go's client would
		// otherwise ask for gzip on GET only, a representation of its own.
		req.Header.Set("Accept-Encoding", "gzip")
		switch as {
		case "alice":
			for _, ck := range alice.Cookies {
				req.AddCookie(ck)
			}
		case "token":
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}

	routes := web.GETRoutes(env.Server)
	if len(routes) < 15 {
		t.Fatalf("only %d GET routes: %v", len(routes), routes)
	}
	for _, route := range routes {
		path := strings.ReplaceAll(route, ":planID", plan)
		path = strings.Replace(path, "*", "app.css", 1)
		visitors := []string{"anonymous", "alice"}
		if strings.HasPrefix(route, "/api/") {
			visitors = []string{"anonymous", "token"}
		}
		for _, as := range visitors {
			get, head := send(http.MethodGet, path, as), send(http.MethodHead, path, as)
			if head.StatusCode != get.StatusCode {
				t.Errorf("%s as %s: HEAD %d, GET %d", path, as, head.StatusCode, get.StatusCode)
				continue
			}
			if g, h := comparableHeaders(get.Header, head.Header), comparableHeaders(head.Header, get.Header); g != h {
				t.Errorf("%s as %s (%d): headers differ\nGET:\n%s\nHEAD:\n%s", path, as, get.StatusCode, g, h)
			}
		}
	}

	// The export's HEAD reads no row: its headers are all it sends.
	before := env.MetricValue(t, "esp_export_rows_total", "format", "csv")
	if resp := send(http.MethodHead, "/api/v1/plans/"+plan+"/export", "token"); resp.StatusCode != http.StatusOK {
		t.Fatalf("HEAD export: %d", resp.StatusCode)
	}
	if after := env.MetricValue(t, "esp_export_rows_total", "format", "csv"); after != before {
		t.Fatalf("HEAD of the export sent %v rows", after-before)
	}
}

// comparableHeaders is h as one text, without what differs between any two
// answers: the date, the request id, cookie values, and a Content-Length
// that other does not have.
func comparableHeaders(h, other http.Header) string {
	var lines []string
	for name, vals := range h {
		switch name {
		case "Date", "X-Request-Id":
			continue
		case "Content-Length":
			if other.Get(name) == "" {
				continue
			}
		case "Set-Cookie":
			var cookies []string
			for _, v := range vals {
				if ck, err := http.ParseSetCookie(v); err == nil {
					ck.Value, ck.Raw = "", ""
					v = ck.String()
				}
				cookies = append(cookies, v)
			}
			vals = cookies
		}
		vals = slices.Clone(vals)
		slices.Sort(vals)
		lines = append(lines, name+": "+strings.Join(vals, " | "))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}
