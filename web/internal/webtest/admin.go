package webtest

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
	"esp/web/admin"
)

// Client is one browser of the web admin: it keeps the cookies the
// server sets and sends them back, and never follows redirects.
type Client struct {
	env     *Env
	Addr    string                  // the client address its requests come from
	Cookies map[string]*http.Cookie // by name
}

// NewClient is a browser without cookies.
func NewClient(env *Env) *Client {
	return &Client{env: env, Addr: "192.0.2.1:1234", Cookies: map[string]*http.Cookie{}}
}

// SignedIn is a client logged in as username (password "password-<username>").
func SignedIn(tb testing.TB, env *Env, username string) *Client {
	tb.Helper()
	c := NewClient(env)
	rec := c.Login(tb, username, "password-"+username)
	WantRedirect(tb, rec, "/")
	return c
}

// Send sends req with the client's address and cookies, and keeps the
// cookies the answer sets.
func (c *Client) Send(req *http.Request) *httptest.ResponseRecorder {
	req.RemoteAddr = c.Addr
	for _, ck := range c.Cookies {
		req.AddCookie(ck)
	}
	rec := c.env.Do(req)
	for _, ck := range rec.Result().Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.Cookies, ck.Name)
		} else {
			c.Cookies[ck.Name] = ck
		}
	}
	return rec
}

// Get sends GET path.
func (c *Client) Get(path string) *httptest.ResponseRecorder {
	return c.Send(httptest.NewRequest(http.MethodGet, path, nil))
}

// Post sends form as an HTML form would.
func (c *Client) Post(path string, form url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.Send(req)
}

// CSRF is the _csrf value of the first form on the page at path.
func (c *Client) CSRF(tb testing.TB, path string) string {
	tb.Helper()
	rec := c.Get(path)
	WantStatus(tb, rec, http.StatusOK)
	token, ok := MustDoc(tb, rec).Find(`input[name=_csrf]`).First().Attr("value")
	if !ok || token == "" {
		tb.Fatalf("GET %s: no _csrf field", path)
	}
	return token
}

// FormFields are the hidden fields (the CSRF token, Generate's request id)
// of the form posting to action on the page at from, as a browser would
// Send them; a page without that form gives its first _csrf field.
func (c *Client) FormFields(tb testing.TB, from, action string) url.Values {
	tb.Helper()
	rec := c.Get(from)
	WantStatus(tb, rec, http.StatusOK)
	doc := MustDoc(tb, rec)
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

// PostForm posts form to path with the hidden fields of path's form on the
// page at from (see FormFields) added.
func (c *Client) PostForm(tb testing.TB, from, path string, form url.Values) *httptest.ResponseRecorder {
	tb.Helper()
	if form == nil {
		form = url.Values{}
	}
	for name, vals := range c.FormFields(tb, from, path) {
		form[name] = vals
	}
	return c.Post(path, form)
}

// Login fills in and submits the login form.
func (c *Client) Login(tb testing.TB, username, password string) *httptest.ResponseRecorder {
	tb.Helper()
	return c.PostForm(tb, "/login", "/login", url.Values{"username": {username}, "password": {password}})
}

// CookieSnapshot is a copy of the client's cookies.
func (c *Client) CookieSnapshot() map[string]*http.Cookie {
	out := make(map[string]*http.Cookie, len(c.Cookies))
	for k, v := range c.Cookies {
		cp := *v
		out[k] = &cp
	}
	return out
}

// MustDoc parses the answer's HTML.
func MustDoc(tb testing.TB, rec *httptest.ResponseRecorder) *goquery.Document {
	tb.Helper()
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		tb.Fatal(err)
	}
	return doc
}

// WantStatus fails unless the answer has the status, showing its body.
func WantStatus(tb testing.TB, rec *httptest.ResponseRecorder, want int) {
	tb.Helper()
	if rec.Code != want {
		tb.Fatalf("status = %d, want %d; body:\n%.2000s", rec.Code, want, rec.Body.String())
	}
}

// WantRedirect fails unless the answer is a 303 to location.
func WantRedirect(tb testing.TB, rec *httptest.ResponseRecorder, location string) {
	tb.Helper()
	WantStatus(tb, rec, http.StatusSeeOther)
	if got := rec.Header().Get("Location"); got != location {
		tb.Fatalf("Location = %q, want %q", got, location)
	}
}

// Text is the trimmed text of the element with the data-testid.
func Text(doc *goquery.Document, testid string) string {
	return strings.TrimSpace(doc.Find(`[data-testid="` + testid + `"]`).Text())
}

// ButtonState is "enabled", "disabled" or "absent" for the button with the data-testid.
func ButtonState(doc *goquery.Document, testid string) string {
	b := doc.Find(`[data-testid="` + testid + `"]`)
	switch {
	case b.Length() == 0:
		return "absent"
	case b.Is("[disabled]"):
		return "disabled"
	}
	return "enabled"
}

// DriveTo moves acme's current credential to status the way production
// does: Service calls, scheduler ticks and the passing of time.
func DriveTo(tb testing.TB, env *Env, status lifecycle.Status) {
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
	timeOut := func() { env.Clock.Add(25 * time.Hour); env.Tick(tb) }
	switch status {
	case lifecycle.None:
	case lifecycle.PendingActivation:
		generate()
	case lifecycle.Activated:
		generate()
		env.Tick(tb)
	case lifecycle.ActivationFailed:
		generate()
		timeOut()
	case lifecycle.PendingDeactivation:
		generate()
		env.Tick(tb)
		deactivate()
	case lifecycle.Deactivated:
		generate()
		env.Tick(tb)
		deactivate()
		env.Tick(tb)
	case lifecycle.DeactivationFailed:
		generate()
		env.Tick(tb)
		deactivate()
		timeOut()
	default:
		tb.Fatalf("driveTo %q", status)
	}
	if got := CurrentStatus(tb, env); got != status {
		tb.Fatalf("driveTo: status = %s, want %s", got, status)
	}
}

// CurrentStatus is acme's current credential status.
func CurrentStatus(tb testing.TB, env *Env) lifecycle.Status {
	tb.Helper()
	cur, err := env.Service.Current(context.Background(), env.Acme.ID)
	if err != nil {
		tb.Fatal(err)
	}
	return cur.Status
}

// ReadSessionKeys reads the session key file the way the server documents it.
func ReadSessionKeys(tb testing.TB, dir string) (hash, block []byte) {
	tb.Helper()
	f, err := os.Open(filepath.Join(dir, admin.SessionKeyFile))
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

// SessionID decrypts the session cookie with the server's keys and returns
// the session id inside it.
func SessionID(tb testing.TB, env *Env, ck *http.Cookie) string {
	tb.Helper()
	hash, block := ReadSessionKeys(tb, env.Cfg.Admin.DataDir)
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

// SealSessionID builds a session cookie holding sid with the given keys.
func SealSessionID(tb testing.TB, sid string, hash, block []byte) *http.Cookie {
	tb.Helper()
	v, err := securecookie.EncodeMulti("esp_session", map[any]any{"sid": sid}, securecookie.CodecsFromPairs(hash, block)...)
	if err != nil {
		tb.Fatal(err)
	}
	return &http.Cookie{Name: "esp_session", Value: v}
}

// NewFormRequest is POST path with form, as an HTML form sends it.
func NewFormRequest(path string, form url.Values) *http.Request {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}
