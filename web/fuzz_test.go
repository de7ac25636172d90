package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"esp/web/internal/webtest"
)

// fuzzAddr gives every fuzzed request its own client address and moves the
// clock a minute on, so that the failure limits (tested elsewhere) never
// decide an answer and their memory is swept as it would be in production.
type fuzzAddr struct {
	env *webtest.Env
	n   int
}

func (a *fuzzAddr) next() string {
	a.n++
	a.env.Clock.Add(time.Minute)
	return fmt.Sprintf("10.%d.%d.%d:4000", a.n>>16&0xff, a.n>>8&0xff, a.n&0xff)
}

// longTokens keeps tokens alive while the fuzzing clock runs for years.
func longTokens(c *webtest.Config) { c.TokenTTL = 100 * 365 * 24 * time.Hour }

// FuzzAuthorizationHeader sends GET /api/v1/plans with a fuzzed
// Authorization header through the real handler: never a 5xx; 200 only for
// exactly "Bearer <the live token>" (the scheme in any case); every refusal
// is a 401 in the JSON envelope with a Bearer challenge that echoes nothing
// of the request.
func FuzzAuthorizationHeader(f *testing.F) {
	env := webtest.NewEnv(f, longTokens)
	token := webtest.Exchange(f, env, webtest.ActivatedKeys(f, env, env.Acme.ID))
	for _, s := range []string{
		"Bearer " + token, "bearer " + token, "BEARER " + token, "Bearer  " + token, "Bearer " + token + " ",
		"Bearer\t" + token, "Bearer " + token + "\r\nX-Injected: 1", "Bearer " + token[:len(token)-1],
		"Bearer " + token + "=", "Bearer " + strings.ToUpper(token), "Basic " + token, "Bearer", "Bearer ", "",
		" ", "Bearer esptk_" + strings.Repeat("A", 43), "Bearer esptk_" + strings.Repeat("/", 43),
		"Bearer " + token + "," + token, "Bearer \x00" + token[1:], "Béarer " + token, "Bearer \xff\xfe",
		"Token " + token, "Bearer=" + token, "Bearer " + strings.Repeat("x", 4096),
	} {
		f.Add(s)
	}
	addr := &fuzzAddr{env: env}
	f.Fuzz(func(t *testing.T, header string) {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/plans", nil)
		req.Header["Authorization"] = []string{header}
		req.RemoteAddr = addr.next()
		rec := env.Do(req)
		valid := len(header) == len("Bearer ")+len(token) && strings.EqualFold(header[:6], "Bearer") &&
			header[6] == ' ' && header[7:] == token
		switch {
		case rec.Code >= 500:
			t.Fatalf("Authorization %q: %d %s", header, rec.Code, rec.Body)
		case valid:
			if rec.Code != http.StatusOK {
				t.Fatalf("Authorization %q: %d, want 200: %s", header, rec.Code, rec.Body)
			}
		default:
			mustFuzzAPIError(t, rec, http.StatusUnauthorized, "unauthorized", "invalid_request", "invalid_token")
			ch := rec.Header().Get("WWW-Authenticate")
			if !strings.HasPrefix(ch, `Bearer realm="esp"`) || strings.ContainsAny(ch, "\r\n") ||
				len(header) > 8 && strings.Contains(ch, header) {
				t.Fatalf("Authorization %q: challenge %q", header, ch)
			}
		}
	})
}

// FuzzPageCursor pages a 7-row plan with a fuzzed cursor and limit through
// the real handler: only 200 or a 400 in the JSON envelope; a 200 is a run
// of the plan's rows in order, no longer than the limit, whose next_cursor
// is null exactly at the end and otherwise leads straight on. (A cursor is
// not signed: one a client makes up is either refused or read as "after
// row N" of the token's own plan, which gives nothing away.)
func FuzzPageCursor(f *testing.F) {
	env := webtest.NewEnv(f)
	token := webtest.Exchange(f, env, webtest.ActivatedKeys(f, env, env.Acme.ID))
	plan := webtest.ImportCSV(f, env, env.Acme.ID, "p", webtest.PlanCSV(7))
	other := webtest.ImportCSV(f, env, env.Acme.ID, "q", webtest.PlanCSV(3))
	base := "/api/v1/plans/" + webtest.Itoa(plan.ID) + "/data"
	all, _ := fuzzPage(f, env, token, base+"?limit=1000")
	if len(all) != 7 {
		f.Fatalf("plan has %d rows", len(all))
	}
	_, second := fuzzPage(f, env, token, base+"?limit=2")
	_, otherCursor := fuzzPage(f, env, token, "/api/v1/plans/"+webtest.Itoa(other.ID)+"/data?limit=1")
	for _, s := range []struct{ cursor, limit string }{
		{second, "2"}, {second, "100"}, {otherCursor, "2"}, {"", "2"}, {"AQEB", "1"}, {"AQEBAA", "3"},
		{"AQGAAQ", "3"}, {second + "=", "2"}, {second[:len(second)-1], "2"}, {"AQ", "1"},
		{"AP__________________________wE", "5"}, {"AYCAgICAgICAgIABAQ", "5"}, {second, "-1"}, {second, "0"},
		{second, "1000"}, {second, "1001"}, {second, "02"}, {second, "+2"}, {second, " 2"}, {second, "1e2"},
		{"%zz", "2"}, {"\xff", "2"}, {strings.Repeat("A", 33), "2"},
	} {
		f.Add(s.cursor, s.limit)
	}
	f.Fuzz(func(t *testing.T, cursor, limit string) {
		q := url.Values{"cursor": {cursor}, "limit": {limit}}.Encode()
		rec := webtest.APIGet(env, token, base+"?"+q)
		if rec.Code != http.StatusOK {
			mustFuzzAPIError(t, rec, http.StatusBadRequest, "bad_cursor", "bad_limit", "bad_request")
			return
		}
		rows, next := decodePage(t, rec)
		n := 0
		fmt.Sscan(limit, &n)
		start := indexOfRun(all, rows)
		if len(rows) == 0 {
			// A well-formed cursor the API never gave out, past the plan's
			// last row: an empty last page, which gives nothing away.
			start = len(all)
		}
		switch {
		case start < 0:
			t.Fatalf("cursor %q limit %q: %d rows that are not a run of the plan's rows", cursor, limit, len(rows))
		case len(rows) > n:
			t.Fatalf("cursor %q limit %q: %d rows", cursor, limit, len(rows))
		case (start+len(rows) == len(all)) != (next == ""):
			t.Fatalf("cursor %q limit %q: rows %d..%d of %d, next_cursor %q", cursor, limit, start, start+len(rows), len(all), next)
		case next != "":
			more, _ := fuzzPage(t, env, token, base+"?"+url.Values{"cursor": {next}, "limit": {limit}}.Encode())
			if got := indexOfRun(all, more); got != start+len(rows) {
				t.Fatalf("cursor %q limit %q: next_cursor leads to row %d, want %d", cursor, limit, got, start+len(rows))
			}
		}
	})
}

// fuzzPage fetches one page and returns its rows and next_cursor.
func fuzzPage(tb testing.TB, env *webtest.Env, token, path string) ([]string, string) {
	tb.Helper()
	rec := webtest.APIGet(env, token, path)
	webtest.MustStatus(tb, rec, http.StatusOK)
	return decodePage(tb, rec)
}

func decodePage(tb testing.TB, rec *httptest.ResponseRecorder) ([]string, string) {
	tb.Helper()
	var page struct {
		Rows       []json.RawMessage `json:"rows"`
		NextCursor *string           `json:"next_cursor"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
		tb.Fatalf("page %s: %v", rec.Body, err)
	}
	rows := make([]string, len(page.Rows))
	for i, r := range page.Rows {
		rows[i] = string(r)
	}
	next := ""
	if page.NextCursor != nil {
		next = *page.NextCursor
	}
	return rows, next
}

// indexOfRun is where rows start as a run inside all, or -1.
func indexOfRun(all, rows []string) int {
	for k := 0; k+len(rows) <= len(all); k++ {
		match := true
		for i := range rows {
			if all[k+i] != rows[i] {
				match = false
				break
			}
		}
		if match {
			return k
		}
	}
	return -1
}

// mustFuzzAPIError checks the status and that the body is the JSON error
// envelope with one of the codes.
func mustFuzzAPIError(tb testing.TB, rec *httptest.ResponseRecorder, status int, codes ...string) {
	tb.Helper()
	var body struct {
		Error *struct{ Code, Message string } `json:"error"`
	}
	if rec.Code != status || json.Unmarshal(rec.Body.Bytes(), &body) != nil || body.Error == nil || body.Error.Message == "" {
		tb.Fatalf("answered %d %s, want %d in the error envelope", rec.Code, rec.Body, status)
	}
	for _, c := range codes {
		if body.Error.Code == c {
			return
		}
	}
	tb.Fatalf("error code %q, want one of %q", body.Error.Code, codes)
}

// FuzzLoginForm posts fuzzed username, password and _csrf fields to POST
// /login through the real handler: never a 5xx; a wrong CSRF token is 403;
// a session starts (303, a session cookie, a new row) only for a user's
// own password with the form's token, and nothing is written otherwise.
func FuzzLoginForm(f *testing.F) {
	env := webtest.NewEnv(f)
	visitor := webtest.NewClient(env)
	token := visitor.CSRF(f, "/login")
	loginCookie := visitor.Cookies["esp_login"]
	if loginCookie == nil {
		f.Fatal("no login cookie")
	}
	passwords := map[string]string{"alice": "password-alice", "bob": "password-bob", "gina": "password-gina"}
	for _, s := range []struct {
		user, pass, csrf string
		real             bool
	}{
		{"alice", "password-alice", "", true}, {"alice", "password-alice", token, false}, {"alice", "password-alice", "", false},
		{"alice", "password-alice", token + "x", false}, {"Alice", "password-alice", "", true}, {"alice ", "password-alice", "", true},
		{"alice", "password-alice ", "", true}, {"alice", "Password-alice", "", true}, {"bob", "password-alice", "", true},
		{"alice\x00", "password-alice", "", true}, {"' OR 1=1 --", "' OR '1'='1", "", true}, {"<script>", "x", "", true},
		{"", "", "", true}, {"alice", "", "", true}, {strings.Repeat("a", 101), "x", "", true},
		{"alice", strings.Repeat("p", 1025), "", true}, {"\xff\xfe", "\xc0\x80", "", true}, {"gina", "password-gina", "", true},
		{"0", "", "", true}, {"mallory", "", "", true},
	} {
		f.Add(s.user, s.pass, s.csrf, s.real)
	}
	addr := &fuzzAddr{env: env}
	countSessions := func(t *testing.T) int {
		n := 0
		if err := env.Store.DB.QueryRowContext(context.Background(), `SELECT count(*) FROM sessions`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	f.Fuzz(func(t *testing.T, username, password, csrf string, realCSRF bool) {
		if realCSRF {
			csrf = token
		}
		form := url.Values{"username": {username}, "password": {password}, "_csrf": {csrf}}.Encode()
		req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(loginCookie)
		req.RemoteAddr = addr.next()
		before := countSessions(t)
		rec := env.Do(req)
		want, known := passwords[username]
		right := csrf == token && known && password == want
		var session *http.Cookie
		for _, ck := range rec.Result().Cookies() {
			if ck.Name == "esp_session" && ck.MaxAge >= 0 && ck.Value != "" {
				session = ck
			}
		}
		switch {
		case rec.Code >= 500:
			t.Fatalf("login %q/%q/%q: %d", username, password, csrf, rec.Code)
		case len(form) > 64<<10:
			if rec.Code != http.StatusRequestEntityTooLarge {
				t.Fatalf("a %d-byte form answered %d", len(form), rec.Code)
			}
		case right:
			if rec.Code != http.StatusSeeOther || session == nil {
				t.Fatalf("login %q with the right password: %d", username, rec.Code)
			}
			return // housekeeping may have deleted expired sessions: nothing to count
		case csrf != token:
			if rec.Code != http.StatusForbidden {
				t.Fatalf("login with CSRF %q: %d, want 403", csrf, rec.Code)
			}
		default:
			if rec.Code != http.StatusUnauthorized {
				t.Fatalf("wrong login %q/%q: %d, want 401", username, password, rec.Code)
			}
		}
		if session != nil {
			t.Fatalf("login %q/%q/%q (%d) set a session cookie", username, password, csrf, rec.Code)
		}
		if after := countSessions(t); after != before {
			t.Fatalf("login %q/%q/%q (%d): sessions %d → %d", username, password, csrf, rec.Code, before, after)
		}
		if bytes.Contains(rec.Body.Bytes(), []byte("<script>")) {
			t.Fatalf("the login page reflects a script tag")
		}
	})
}
