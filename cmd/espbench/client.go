package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// session is a logged-in admin as the load generator replays it: the
// Cookie header of the session.
type session struct {
	cookie string
}

// browser is a cookie-keeping client for the few set-up steps.
type browser struct {
	base string
	c    *http.Client
}

func newBrowser(base string) *browser {
	jar, _ := cookiejar.New(nil)
	c := newClient(1)
	c.Jar = jar
	return &browser{base: base, c: c}
}

func (b *browser) page(ctx context.Context, method, path string, form url.Values, want int) (*goquery.Document, *http.Response, error) {
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, body)
	if err != nil {
		return nil, nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		return nil, resp, fmt.Errorf("%s %s: status %d, want %d", method, path, resp.StatusCode, want)
	}
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	return doc, resp, err
}

func csrfOf(doc *goquery.Document) (string, error) {
	v, ok := doc.Find(`input[name=_csrf]`).First().Attr("value")
	if !ok || v == "" {
		return "", errors.New("no _csrf field on the page")
	}
	return v, nil
}

// login signs in through the real form: GET /login for the token and its
// cookie, then POST /login.
func (b *browser) login(ctx context.Context, username, password string) (session, error) {
	doc, _, err := b.page(ctx, http.MethodGet, "/login", nil, http.StatusOK)
	if err != nil {
		return session{}, err
	}
	token, err := csrfOf(doc)
	if err != nil {
		return session{}, fmt.Errorf("GET /login: %w", err)
	}
	form := url.Values{"username": {username}, "password": {password}, "_csrf": {token}}
	if _, _, err := b.page(ctx, http.MethodPost, "/login", form, http.StatusSeeOther); err != nil {
		return session{}, err
	}
	u, _ := url.Parse(b.base + "/")
	var parts []string
	for _, c := range b.c.Jar.Cookies(u) {
		parts = append(parts, c.Name+"="+c.Value)
	}
	if len(parts) == 0 {
		return session{}, errors.New("POST /login set no cookie")
	}
	return session{cookie: strings.Join(parts, "; ")}, nil
}

// keys is a generated credential's pair.
type keys struct{ access, secret string }

func keyText(s *goquery.Selection) string {
	if v, ok := s.Attr("value"); ok && goquery.NodeName(s) == "input" {
		return strings.TrimSpace(v)
	}
	return strings.TrimSpace(s.Text())
}

// generateKeys clicks Generate in the API Credentials window and waits
// until the scheduler has activated the new credential.
func (b *browser) generateKeys(ctx context.Context) (keys, error) {
	doc, _, err := b.page(ctx, http.MethodGet, "/api-credentials", nil, http.StatusOK)
	if err != nil {
		return keys{}, err
	}
	token, err := csrfOf(doc)
	if err != nil {
		return keys{}, fmt.Errorf("GET /api-credentials: %w", err)
	}
	// The Generate form's one-time request id, as a browser sends it.
	request := doc.Find(`form[action="/api-credentials/generate"] input[name=generate_request]`).AttrOr("value", "")
	form := url.Values{"_csrf": {token}, "generate_request": {request}}
	doc, _, err = b.page(ctx, http.MethodPost, "/api-credentials/generate", form, http.StatusOK)
	if err != nil {
		return keys{}, err
	}
	k := keys{access: keyText(doc.Find(`[data-testid=access-key]`).First()),
		secret: keyText(doc.Find(`[data-testid=secret-key]`).First())}
	if !strings.HasPrefix(k.access, "ESPAK") || !strings.HasPrefix(k.secret, "espsk_") {
		return keys{}, fmt.Errorf("generate: no full keys on the page (access %q)", k.access)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		doc, _, err := b.page(ctx, http.MethodGet, "/api-credentials", nil, http.StatusOK)
		if err != nil {
			return keys{}, err
		}
		st, _ := doc.Find(`[data-testid=credential-status]`).Attr("data-status")
		switch st {
		case "activated":
			return k, nil
		case "pending_activation":
		default:
			return keys{}, fmt.Errorf("the new credential is %q, not activated", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return keys{}, errors.New("the new credential was not activated within 20s")
}

// tokenRequest is the body of POST /api/v1/token/access-key.
func tokenRequest(k keys) []byte {
	b, _ := json.Marshal(map[string]string{"accessKeyId": k.access, "accessKeySecret": k.secret})
	return b
}

// exchange trades keys for a bearer token.
func exchange(ctx context.Context, c *http.Client, base string, k keys) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/token/access-key", bytes.NewReader(tokenRequest(k)))
	req.Header.Set("Content-Type", "application/json")
	body, err := expect(c, req, http.StatusOK, true)
	if err != nil {
		return "", err
	}
	var t struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	if err := json.Unmarshal(body, &t); err != nil || t.AccessToken == "" {
		return "", fmt.Errorf("token answer %.200s: %v", body, err)
	}
	return t.AccessToken, nil
}

// planID finds a plan by name through GET /api/v1/plans.
func planID(ctx context.Context, c *http.Client, base, token, name string) (int64, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/plans", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	body, err := expect(c, req, http.StatusOK, true)
	if err != nil {
		return 0, err
	}
	var ps struct {
		Plans []struct {
			ID   json.Number `json:"id"`
			Name string      `json:"name"`
		} `json:"plans"`
	}
	if err := json.Unmarshal(body, &ps); err != nil {
		return 0, fmt.Errorf("GET /api/v1/plans: %w", err)
	}
	for _, p := range ps.Plans {
		if p.Name == name {
			return strconv.ParseInt(p.ID.String(), 10, 64)
		}
	}
	return 0, fmt.Errorf("GET /api/v1/plans: no plan named %q in %.200s", name, body)
}

// nextCursor pulls "next_cursor" out of a data page without decoding the
// rows: the load generator shares the CPUs with the server.
func nextCursor(body []byte) string {
	const key = `"next_cursor":"`
	i := bytes.LastIndex(body, []byte(key))
	if i < 0 {
		return ""
	}
	rest := body[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}
