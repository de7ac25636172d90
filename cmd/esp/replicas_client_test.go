package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// The replica tests' HTTP clients: a browser whose cookies go to whichever
// replica it asks (as behind a load balancer), and the public API's calls.

// replicaHTTP is shared by every client of the replica tests: it never
// follows redirects, so a test sees each 303.
var replicaHTTP = &http.Client{
	Timeout:       30 * time.Second,
	Transport:     &http.Transport{MaxIdleConnsPerHost: 32},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// answer is one response, read to its end.
type answer struct {
	method, url string
	status      int
	header      http.Header
	body        []byte
}

func (a answer) String() string {
	body := string(a.body)
	if len(body) > 300 {
		body = body[:300] + "…"
	}
	return fmt.Sprintf("%s %s: %d %q", a.method, a.url, a.status, body)
}

// location is the path of a redirect's Location.
func (a answer) location() string {
	u, err := url.Parse(a.header.Get("Location"))
	if err != nil {
		return a.header.Get("Location")
	}
	return u.Path
}

func (a answer) doc() (*goquery.Document, error) {
	return goquery.NewDocumentFromReader(bytes.NewReader(a.body))
}

// send sends one request and reads the whole answer.
func send(req *http.Request) (answer, error) {
	resp, err := replicaHTTP.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	a := answer{method: req.Method, url: req.URL.String(), status: resp.StatusCode, header: resp.Header, body: body}
	if err != nil {
		return a, fmt.Errorf("%s %s: reading the answer: %w", req.Method, req.URL, err)
	}
	return a, nil
}

// browser keeps the cookies the replicas set and sends them to every
// replica: the cookie of one replica must work on the others.
type browser struct {
	mu      sync.Mutex
	cookies map[string]*http.Cookie
}

func newBrowser() *browser { return &browser{cookies: map[string]*http.Cookie{}} }

// clone is a second browser holding a copy of the cookies (a stolen or
// kept copy of a cookie).
func (b *browser) clone() *browser {
	b.mu.Lock()
	defer b.mu.Unlock()
	return &browser{cookies: maps.Clone(b.cookies)}
}

func (b *browser) do(method, base, path string, form url.Values) (answer, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		return answer{}, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	b.mu.Lock()
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	b.mu.Unlock()
	a, err := send(req)
	if err != nil {
		return a, err
	}
	b.mu.Lock()
	for _, c := range (&http.Response{Header: a.header}).Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	b.mu.Unlock()
	return a, nil
}

func (b *browser) get(base, path string) (answer, error) {
	return b.do(http.MethodGet, base, path, nil)
}

func (b *browser) post(base, path string, form url.Values) (answer, error) {
	return b.do(http.MethodPost, base, path, form)
}

// mustGet and mustPost fail the test on a transport error or another
// status than want.
func (b *browser) mustGet(t *testing.T, base, path string, want int) answer {
	t.Helper()
	a, err := b.get(base, path)
	wantAnswer(t, a, err, want)
	return a
}

func (b *browser) mustPost(t *testing.T, base, path string, form url.Values, want int) answer {
	t.Helper()
	a, err := b.post(base, path, form)
	wantAnswer(t, a, err, want)
	return a
}

func wantAnswer(t *testing.T, a answer, err error, want int) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if a.status != want {
		t.Fatalf("%s, want %d", a, want)
	}
}

// wantRedirect fails unless a is a 303 to path.
func wantRedirect(t *testing.T, a answer, path string) {
	t.Helper()
	if a.status != http.StatusSeeOther || a.location() != path {
		t.Fatalf("%s (Location %q), want 303 to %s", a, a.header.Get("Location"), path)
	}
}

// loginAt signs in through the login form: its page from pageBase, the
// form sent to postBase.
func (b *browser) loginAt(pageBase, postBase, username, password string) (answer, error) {
	page, err := b.get(pageBase, "/login")
	if err != nil {
		return page, err
	}
	token, err := formField(page, `form[action="/login"]`, "_csrf")
	if err != nil {
		return page, err
	}
	return b.post(postBase, "/login", url.Values{"_csrf": {token}, "username": {username}, "password": {password}})
}

func (b *browser) mustLogin(t *testing.T, base, username, password string) {
	t.Helper()
	a, err := b.loginAt(base, base, username, password)
	if err != nil {
		t.Fatal(err)
	}
	wantRedirect(t, a, "/")
}

// formField is the value of the input named name in the form matched by
// form.
func formField(a answer, form, name string) (string, error) {
	doc, err := a.doc()
	if err != nil {
		return "", err
	}
	v, ok := doc.Find(form + ` input[name="` + name + `"]`).Attr("value")
	if !ok {
		return "", fmt.Errorf("%s: no %s field in %s", a, name, form)
	}
	return v, nil
}

// windowForms is what the API Credentials window's forms carry.
type windowForms struct {
	csrf, request              string
	canGenerate, canDeactivate bool
}

func (w windowForms) generate() url.Values {
	return url.Values{"_csrf": {w.csrf}, "generate_request": {w.request}}
}

func (w windowForms) deactivate() url.Values {
	return url.Values{"_csrf": {w.csrf}, "confirm": {"yes"}}
}

func (b *browser) window(base string) (windowForms, error) {
	a, err := b.get(base, "/api-credentials")
	if err != nil {
		return windowForms{}, err
	}
	if a.status != http.StatusOK {
		return windowForms{}, fmt.Errorf("%s, want 200", a)
	}
	doc, err := a.doc()
	if err != nil {
		return windowForms{}, err
	}
	gen := doc.Find(`form[action="/api-credentials/generate"]`)
	deact := doc.Find(`form[action="/api-credentials/deactivate"]`)
	w := windowForms{
		csrf:          gen.Find(`input[name="_csrf"]`).AttrOr("value", ""),
		request:       gen.Find(`input[name="generate_request"]`).AttrOr("value", ""),
		canGenerate:   gen.Find(`[data-testid="generate"]`).Length() == 1 && gen.Find(`[data-testid="generate"][disabled]`).Length() == 0,
		canDeactivate: deact.Find(`[data-testid="deactivate"]`).Length() == 1 && deact.Find(`[data-testid="deactivate"][disabled]`).Length() == 0,
	}
	if w.csrf == "" || w.request == "" {
		return w, fmt.Errorf("%s: the window's forms lack _csrf or generate_request", a)
	}
	return w, nil
}

func (b *browser) mustWindow(t *testing.T, base string) windowForms {
	t.Helper()
	w, err := b.window(base)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// keysOf reads the one-time keys from Generate's answer.
func keysOf(a answer) (access, secret string, err error) {
	doc, err := a.doc()
	if err != nil {
		return "", "", err
	}
	access = strings.TrimSpace(doc.Find(`[data-testid="access-key"]`).Text())
	secret = strings.TrimSpace(doc.Find(`[data-testid="secret-key"]`).Text())
	if access == "" || secret == "" || strings.Contains(secret, "•") {
		return "", "", fmt.Errorf("%s: no full keys in Generate's answer", a)
	}
	return access, secret, nil
}

// credentialStatus is the window's live status (its JSON).
func (b *browser) credentialStatus(base string) (string, error) {
	a, err := b.get(base, "/api-credentials/status")
	if err != nil {
		return "", err
	}
	if a.status != http.StatusOK {
		return "", fmt.Errorf("%s, want 200", a)
	}
	var s struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(a.body, &s); err != nil {
		return "", fmt.Errorf("%s: %v", a, err)
	}
	return s.Status, nil
}

// waitStatus polls the window's status, asking each replica in turn, until
// it is want.
func (b *browser) waitStatus(t *testing.T, bases []string, want string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for i := 0; ; i++ {
		got, err := b.credentialStatus(bases[i%len(bases)])
		if err != nil {
			t.Fatal(err)
		}
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the credential is %s after %s, want %s", got, within, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The public API.

func exchangeKeys(base, access, secret string) (answer, string, error) {
	body, _ := json.Marshal(map[string]string{"accessKeyId": access, "accessKeySecret": secret})
	req, err := http.NewRequest(http.MethodPost, base+"/api/v1/token/access-key", bytes.NewReader(body))
	if err != nil {
		return answer{}, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	a, err := send(req)
	if err != nil || a.status != http.StatusOK {
		return a, "", err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(a.body, &tok); err != nil || tok.AccessToken == "" {
		return a, "", fmt.Errorf("%s: no access_token (%v)", a, err)
	}
	return a, tok.AccessToken, nil
}

func mustExchange(t *testing.T, base, access, secret string) string {
	t.Helper()
	a, token, err := exchangeKeys(base, access, secret)
	wantAnswer(t, a, err, http.StatusOK)
	return token
}

func apiGet(base, path, token string) (answer, error) {
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return send(req)
}

func mustAPIGet(t *testing.T, base, path, token string, want int) answer {
	t.Helper()
	a, err := apiGet(base, path, token)
	wantAnswer(t, a, err, want)
	return a
}

// apiPlans is GET /api/v1/plans's answer.
type apiPlans struct {
	Plans []struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
		Rows int64  `json:"rows"`
	} `json:"plans"`
}
