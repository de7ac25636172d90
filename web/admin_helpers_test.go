package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gorilla/securecookie"

	"esp/lifecycle"
	"esp/web"
)

// adminClient is one browser of the web admin: it keeps the cookies the
// server sets and sends them back, and never follows redirects.
type adminClient struct {
	env     *testEnv
	addr    string
	cookies map[string]*http.Cookie
}

func newAdminClient(env *testEnv) *adminClient {
	return &adminClient{env: env, addr: "192.0.2.1:1234", cookies: map[string]*http.Cookie{}}
}

// signedIn is a client logged in as username (password "password-<username>").
func signedIn(tb testing.TB, env *testEnv, username string) *adminClient {
	tb.Helper()
	c := newAdminClient(env)
	rec := c.login(tb, username, "password-"+username)
	wantRedirect(tb, rec, "/")
	return c
}

func (c *adminClient) send(req *http.Request) *httptest.ResponseRecorder {
	req.RemoteAddr = c.addr
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	rec := c.env.do(req)
	for _, ck := range rec.Result().Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck
		}
	}
	return rec
}

func (c *adminClient) get(path string) *httptest.ResponseRecorder {
	return c.send(httptest.NewRequest(http.MethodGet, path, nil))
}

// post sends form as an HTML form would.
func (c *adminClient) post(path string, form url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.send(req)
}

// csrf is the _csrf value of the first form on the page at path.
func (c *adminClient) csrf(tb testing.TB, path string) string {
	tb.Helper()
	rec := c.get(path)
	wantStatus(tb, rec, http.StatusOK)
	token, ok := mustDoc(tb, rec).Find(`input[name=_csrf]`).First().Attr("value")
	if !ok || token == "" {
		tb.Fatalf("GET %s: no _csrf field", path)
	}
	return token
}

// formFields are the hidden fields (the CSRF token, Generate's request id)
// of the form posting to action on the page at from, as a browser would
// send them; a page without that form gives its first _csrf field.
func (c *adminClient) formFields(tb testing.TB, from, action string) url.Values {
	tb.Helper()
	rec := c.get(from)
	wantStatus(tb, rec, http.StatusOK)
	doc := mustDoc(tb, rec)
	fields := url.Values{}
	doc.Find(`form[action="` + action + `"] input[type=hidden]`).Each(func(_ int, in *goquery.Selection) {
		fields.Add(in.AttrOr("name", ""), in.AttrOr("value", ""))
	})
	if len(fields) == 0 {
		token, ok := doc.Find(`input[name=_csrf]`).First().Attr("value")
		if !ok || token == "" {
			tb.Fatalf("GET %s: no _csrf field", from)
		}
		fields.Set("_csrf", token)
	}
	return fields
}

// postForm posts form to path with the hidden fields of path's form on the
// page at from (see formFields) added.
func (c *adminClient) postForm(tb testing.TB, from, path string, form url.Values) *httptest.ResponseRecorder {
	tb.Helper()
	if form == nil {
		form = url.Values{}
	}
	for name, vals := range c.formFields(tb, from, path) {
		form[name] = vals
	}
	return c.post(path, form)
}

// login fills in and submits the login form.
func (c *adminClient) login(tb testing.TB, username, password string) *httptest.ResponseRecorder {
	tb.Helper()
	return c.postForm(tb, "/login", "/login", url.Values{"username": {username}, "password": {password}})
}

func (c *adminClient) cookieSnapshot() map[string]*http.Cookie {
	out := make(map[string]*http.Cookie, len(c.cookies))
	for k, v := range c.cookies {
		cp := *v
		out[k] = &cp
	}
	return out
}

func mustDoc(tb testing.TB, rec *httptest.ResponseRecorder) *goquery.Document {
	tb.Helper()
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		tb.Fatal(err)
	}
	return doc
}

func wantStatus(tb testing.TB, rec *httptest.ResponseRecorder, want int) {
	tb.Helper()
	if rec.Code != want {
		tb.Fatalf("status = %d, want %d; body:\n%.2000s", rec.Code, want, rec.Body.String())
	}
}

func wantRedirect(tb testing.TB, rec *httptest.ResponseRecorder, location string) {
	tb.Helper()
	wantStatus(tb, rec, http.StatusSeeOther)
	if got := rec.Header().Get("Location"); got != location {
		tb.Fatalf("Location = %q, want %q", got, location)
	}
}

// text is the trimmed text of the element with the data-testid.
func text(doc *goquery.Document, testid string) string {
	return strings.TrimSpace(doc.Find(`[data-testid="` + testid + `"]`).Text())
}

// buttonState is "enabled", "disabled" or "absent" for the button with the data-testid.
func buttonState(doc *goquery.Document, testid string) string {
	b := doc.Find(`[data-testid="` + testid + `"]`)
	switch {
	case b.Length() == 0:
		return "absent"
	case b.Is("[disabled]"):
		return "disabled"
	}
	return "enabled"
}

// driveTo moves acme's current credential to status the way production
// does: Service calls, scheduler ticks and the passing of time.
func driveTo(tb testing.TB, env *testEnv, status lifecycle.Status) {
	tb.Helper()
	ctx := context.Background()
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	generate := func() {
		_, err := env.Service.Generate(ctx, env.Acme.ID, "test")
		must(err)
	}
	deactivate := func() {
		_, err := env.Service.Deactivate(ctx, env.Acme.ID, "test")
		must(err)
	}
	timeOut := func() { env.Clock.Add(25 * time.Hour); env.tick(tb) }
	switch status {
	case lifecycle.None:
	case lifecycle.PendingActivation:
		generate()
	case lifecycle.Activated:
		generate()
		env.tick(tb)
	case lifecycle.ActivationFailed:
		generate()
		timeOut()
	case lifecycle.PendingDeactivation:
		generate()
		env.tick(tb)
		deactivate()
	case lifecycle.Deactivated:
		generate()
		env.tick(tb)
		deactivate()
		env.tick(tb)
	case lifecycle.DeactivationFailed:
		generate()
		env.tick(tb)
		deactivate()
		timeOut()
	default:
		tb.Fatalf("driveTo %q", status)
	}
	if got := currentStatus(tb, env); got != status {
		tb.Fatalf("driveTo: status = %s, want %s", got, status)
	}
}

func currentStatus(tb testing.TB, env *testEnv) lifecycle.Status {
	tb.Helper()
	cur, err := env.Service.Current(context.Background(), env.Acme.ID)
	if err != nil {
		tb.Fatal(err)
	}
	return cur.Status
}

// readSessionKeys reads the session key file the way the server documents it.
func readSessionKeys(tb testing.TB, dir string) (hash, block []byte) {
	tb.Helper()
	f, err := os.Open(filepath.Join(dir, web.SessionKeyFile))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	if len(lines) != 3 {
		tb.Fatalf("session key file has %d lines, want 3", len(lines))
	}
	return mustHex(tb, lines[0]), mustHex(tb, lines[1])
}

func mustHex(tb testing.TB, s []byte) []byte {
	tb.Helper()
	b, err := hex.DecodeString(string(s))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// sessionID decrypts the session cookie with the server's keys and returns
// the session id inside it.
func sessionID(tb testing.TB, env *testEnv, ck *http.Cookie) string {
	tb.Helper()
	hash, block := readSessionKeys(tb, env.Cfg.DataDir)
	values := map[any]any{}
	if err := securecookie.DecodeMulti(ck.Name, ck.Value, &values, securecookie.CodecsFromPairs(hash, block)...); err != nil {
		tb.Fatalf("decode session cookie: %v", err)
	}
	sid, _ := values["sid"].(string)
	if sid == "" {
		tb.Fatal("session cookie has no session id")
	}
	return sid
}

// sealSessionID builds a session cookie holding sid with the given keys.
func sealSessionID(tb testing.TB, sid string, hash, block []byte) *http.Cookie {
	tb.Helper()
	v, err := securecookie.EncodeMulti("esp_session", map[any]any{"sid": sid}, securecookie.CodecsFromPairs(hash, block)...)
	if err != nil {
		tb.Fatal(err)
	}
	return &http.Cookie{Name: "esp_session", Value: v}
}

func newFormRequest(path string, form url.Values) *http.Request {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}
