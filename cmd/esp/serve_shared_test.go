package main

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"esp/store/storetest"
)

// Three `esp serve --database-url` started at the same instant on one
// empty PostgreSQL database: one of them does the first run and prints the
// passwords, the others print none; then they share what serve puts in the
// database. A session made on one works on the others, a form of one is
// accepted by another, a logout on one is refused on all, wrong logins
// spread over them use one allowance, and no data folder gets a key file.
func TestServeReplicasOnPostgresShareFirstRunSessionsAndLimits(t *testing.T) {
	u := storetest.PostgresURL(t)
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	var ps []*serveProc
	for _, dir := range dirs {
		ps = append(ps, launchServe(t, dir, "--database-url", u))
	}
	var banner *serveProc
	for i, p := range ps {
		p.waitListening(t)
		if strings.Contains(p.Banner, "password") {
			if banner != nil {
				t.Fatalf("replicas %v and %d both printed passwords:\n%s\n%s", banner.URL, i+1, banner.Banner, p.Banner)
			}
			banner = p
		}
	}
	if banner == nil {
		t.Fatalf("no replica printed the first-run passwords:\n%s%s%s", ps[0].Banner, ps[1].Banner, ps[2].Banner)
	}
	password := bannerPassword(t, banner, demoAdmin)

	// Signed in on replica 1, the browser is signed in on 2 and 3.
	browser := newClient(t, nil)
	login(t, browser, ps[0].URL, demoAdmin, password)
	home := func(client *http.Client, p *serveProc) (*http.Response, string) {
		t.Helper()
		resp, err := client.Get(p.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(body)
	}
	var page string
	for i, p := range ps {
		resp, body := home(browser, p)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("replica %d: GET / with replica 1's session: %d, want 200", i+1, resp.StatusCode)
		}
		page = body
	}
	// Log out on replica 2 with the CSRF token of replica 3's page.
	signedIn := browser.Jar.Cookies(mustURL(t, ps[0].URL))
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF field on the home page")
	}
	resp, err := browser.PostForm(ps[1].URL+"/logout", url.Values{"_csrf": {m[1]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("POST /logout on replica 2: %d to %q, want 303 to /login", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The cookie from before the logout is refused by every replica.
	replay := newClient(t, nil)
	replay.Jar.SetCookies(mustURL(t, ps[0].URL), signedIn)
	for i, p := range ps {
		if resp, _ := home(replay, p); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("replica %d: GET / with the logged-out cookie: %d, want 303 to /login", i+1, resp.StatusCode)
		}
	}

	// Wrong logins from this address, round-robin over the replicas.
	attacker := newClient(t, nil)
	wrongLoginsUntilRefused(t, func(i int) (int, error) {
		return postLogin(t, attacker, ps[i%3].URL, demoAdmin, "wrong"), nil
	})
	for i, p := range ps {
		if code := postLogin(t, attacker, p.URL, demoAdmin, password); code != http.StatusTooManyRequests {
			t.Fatalf("login on replica %d after the allowance was used up: %d, want 429", i+1, code)
		}
	}

	for i, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil || len(entries) != 0 {
			t.Fatalf("replica %d's data folder holds %v (%v), want nothing: the database holds it all", i+1, entries, err)
		}
	}
}

// postLogin posts the login form (with a fresh CSRF token) and returns the
// status.
func postLogin(t *testing.T, client *http.Client, base, username, password string) int {
	t.Helper()
	page, err := client.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	m := csrfField.FindSubmatch(body)
	if m == nil {
		t.Fatalf("GET /login: %d, no CSRF field", page.StatusCode)
	}
	resp, err := client.PostForm(base+"/login", url.Values{"_csrf": {string(m[1])}, "username": {username}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
