package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/lifecycle/webhook"
	"esp/web/internal/webtest"
)

// captureProcessOutput sends os.Stdout, os.Stderr and the standard logger
// (which slog's default logger writes through) to one buffer until the
// returned function is called, so that output from anything that does not
// use the server's logger (Echo's own logger, a stray print) is caught too.
func captureProcessOutput(tb testing.TB) (stop func() string) {
	tb.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		tb.Fatal(err)
	}
	oldOut, oldErr, oldLog := os.Stdout, os.Stderr, log.Writer()
	os.Stdout, os.Stderr = w, w
	log.SetOutput(w)
	var buf strings.Builder
	var wg sync.WaitGroup
	wg.Go(func() { io.Copy(&buf, r) })
	return func() string {
		os.Stdout, os.Stderr = oldOut, oldErr
		log.SetOutput(oldLog)
		w.Close()
		wg.Wait()
		r.Close()
		return buf.String()
	}
}

// secretSet collects every secret value the journey handles.
type secretSet struct {
	whole []string // must not appear at all
}

func (s *secretSet) add(values ...string) {
	for _, v := range values {
		if v != "" {
			s.whole = append(s.whole, v)
		}
	}
}

// cookies records every cookie value a response sets, and the session id
// sealed inside the session cookie.
func (s *secretSet) cookies(tb testing.TB, env *webtest.Env, rec *httptest.ResponseRecorder) {
	tb.Helper()
	for _, ck := range rec.Result().Cookies() {
		if ck.Value == "" {
			continue
		}
		s.add(ck.Value)
		if ck.Name == "esp_session" && ck.MaxAge >= 0 {
			s.add(webtest.SessionID(tb, env, ck))
		}
	}
}

// findIn reports the first secret found in text, whole, URL-encoded, or as
// any 12-character piece of it (a truncated or prefix-stripped key is as
// much a leak as the whole one).
func (s *secretSet) findIn(text string) (secret, piece string, found bool) {
	for _, v := range s.whole {
		for _, form := range []string{v, url.QueryEscape(v)} {
			if strings.Contains(text, form) {
				return v, form, true
			}
		}
		const window = 12
		for i := 0; i+window <= len(v); i++ {
			if p := v[i : i+window]; strings.Contains(text, p) {
				return v, p, true
			}
		}
	}
	return "", "", false
}

// A full journey through the web admin, the public API and the scheduler,
// with a gateway that fails once, in each log format: no key, secret,
// token, password, cookie, session id, CSRF token or query string appears
// in any log line, the access log's included, or on stdout/stderr. The
// access log names route patterns, never a request's path.
func TestLogsNeverCarryKeysTokensPasswordsOrCookies(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) { logHygieneJourney(t, format == "json") })
	}
}

func logHygieneJourney(t *testing.T, jsonLogs bool) {
	stopCapture := captureProcessOutput(t)
	captured := ""
	defer func() {
		if captured == "" {
			stopCapture()
		}
	}()

	env := webtest.NewEnv(t, func(c *webtest.Config) { c.JSONLogs = jsonLogs })
	ctx := context.Background()
	var secrets secretSet
	// Passwords, right and wrong.
	secrets.add("password-alice", "password-bob", "password-gina", "hunter2-wrong-password", "mallory-secret-pw")

	// A gateway that drops the first call without an answer, so that the
	// scheduler logs a failure while the access key is in flight, with
	// net/http's error, which names the URL. The hook's URL has a user, a
	// password and a query: none of them may be logged.
	var gwMu sync.Mutex
	var events []lifecycle.Event
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev lifecycle.Event
		json.NewDecoder(r.Body).Decode(&ev)
		gwMu.Lock()
		defer gwMu.Unlock()
		events = append(events, ev)
		if len(events) == 1 {
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
		}
	}))
	defer gw.Close()
	secrets.add("hookuser", "hookpass-s3cr3t", "QuerySecretTok")
	act, err := webhook.New(strings.Replace(gw.URL, "http://", "http://hookuser:hookpass-s3cr3t@", 1) + "/hook?token=QuerySecretTok")
	if err != nil {
		t.Fatal(err)
	}
	schedLog := slog.New(slog.NewTextHandler(env.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if jsonLogs {
		schedLog = slog.New(slog.NewJSONHandler(env.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	sched := lifecycle.NewScheduler(env.Store, act, lifecycle.Config{}, schedLog, env.Clock.Now)
	tick := func() {
		t.Helper()
		if _, err := sched.Tick(ctx, env.Clock.Now()); err != nil {
			t.Fatal(err)
		}
	}

	c := webtest.NewClient(env)
	send := func(rec *httptest.ResponseRecorder) *httptest.ResponseRecorder {
		secrets.cookies(t, env, rec)
		return rec
	}
	// Failed logins: a wrong password, an unknown user.
	secrets.add(c.CSRF(t, "/login"))
	send(c.Login(t, "alice", "hunter2-wrong-password"))
	send(c.Login(t, "mallory", "mallory-secret-pw"))
	// Log in, open the window, generate.
	webtest.WantRedirect(t, send(c.Login(t, "alice", "password-alice")), "/")
	form := c.FormFields(t, "/api-credentials", "/api-credentials/generate")
	csrf := form.Get("_csrf")
	secrets.add(csrf)
	rec := send(c.Post("/api-credentials/generate", form))
	webtest.WantStatus(t, rec, http.StatusOK)
	doc := webtest.MustDoc(t, rec)
	access, secret := webtest.Text(doc, "access-key"), webtest.Text(doc, "secret-key")
	if lifecycle.CheckAccessKey(access) != nil || lifecycle.CheckSecretKey(secret) != nil {
		t.Fatalf("no full keys after Generate: %q %q", access, secret)
	}
	secrets.add(access, secret)

	// Activation fails once, then succeeds.
	tick()
	env.Clock.Add(2 * time.Second)
	tick()
	if got := webtest.CurrentStatus(t, env); got != lifecycle.Activated {
		t.Fatalf("status %s, want Activated", got)
	}

	// Exchanges on both routes, and failed ones with real-looking keys.
	token1 := webtest.Exchange(t, env, lifecycle.NewKeys{AccessKey: access, SecretKey: secret})
	rec = env.Do(webtest.OAuthRequest(access, secret, true))
	webtest.MustStatus(t, rec, http.StatusOK)
	token2 := webtest.TokenOf(t, rec)
	rec = env.Do(webtest.OAuthRequest(access, secret, false))
	webtest.MustStatus(t, rec, http.StatusOK)
	token3 := webtest.TokenOf(t, rec)
	secrets.add(token1, token2, token3)
	for _, tok := range []string{token1, token2, token3} {
		secrets.add(strings.TrimPrefix(tok, "esptk_"))
	}
	otherAccess, otherSecret := lifecycle.NewAccessKey(), lifecycle.NewSecretKey()
	mistyped := secret[:len(secret)-1] + map[bool]string{true: "b", false: "a"}[strings.HasSuffix(secret, "a")]
	secrets.add(otherAccess, otherSecret, mistyped)
	for _, keys := range [][2]string{{otherAccess, otherSecret}, {access, otherSecret}, {access, mistyped}, {otherAccess, secret}} {
		webtest.MustStatus(t, env.Do(webtest.KeyRequest(keys[0], keys[1])), http.StatusUnauthorized)
		webtest.MustStatus(t, env.Do(webtest.OAuthRequest(keys[0], keys[1], true)), http.StatusUnauthorized)
	}
	// A token that differs from the real one in its last two characters
	// (never equal to it, whatever those were).
	forged := token1[:len(token1)-2] + map[bool]string{true: "BB", false: "AA"}[strings.HasSuffix(token1, "AA")]
	secrets.add(forged)
	webtest.MustStatus(t, webtest.APIGet(env, forged, "/api/v1/plans"), http.StatusUnauthorized)

	// Read: list, a page, the next page, both exports.
	plan := webtest.ImportCSV(t, env, env.Acme.ID, "plan", webtest.PlanCSV(5))
	webtest.MustStatus(t, webtest.APIGet(env, token1, "/api/v1/plans"), http.StatusOK)
	cursor := webtest.CursorAfterFirstRow(t, env, token2, plan.ID)
	secrets.add(cursor) // a query string's value
	planPath := "/api/v1/plans/" + webtest.Itoa(plan.ID)
	webtest.MustStatus(t, webtest.APIGet(env, token2, planPath+"/data?limit=2&cursor="+cursor), http.StatusOK)
	webtest.MustStatus(t, webtest.APIGet(env, token3, planPath+"/export"), http.StatusOK)
	webtest.MustStatus(t, webtest.APIGet(env, token3, planPath+"/export?format=ndjson"), http.StatusOK)
	// Secrets where they do not belong, in paths and query strings: the
	// access log names no URL, so they stay out of it too.
	webtest.MustStatus(t, webtest.APIGet(env, "", "/api/v1/plans?access_token="+token1), http.StatusUnauthorized)
	webtest.MustStatus(t, webtest.APIGet(env, token1, planPath+"/export?secret="+secret), http.StatusOK)
	webtest.MustStatus(t, webtest.APIGet(env, "", "/api/v1/keys/"+access+"/"+secret), http.StatusNotFound)
	webtest.WantStatus(t, c.Get("/no-such-page/"+secret+"?password=password-alice"), http.StatusNotFound)

	// Deactivate; the gateway confirms; the tokens stop working.
	webtest.WantRedirect(t, send(c.Post("/api-credentials/deactivate", url.Values{"_csrf": {csrf}, "confirm": {"yes"}})), "/api-credentials")
	tick()
	if got := webtest.CurrentStatus(t, env); got != lifecycle.Deactivated {
		t.Fatalf("status %s, want Deactivated", got)
	}
	webtest.MustStatus(t, webtest.APIGet(env, token1, "/api/v1/plans"), http.StatusUnauthorized)
	webtest.MustStatus(t, env.Do(webtest.KeyRequest(access, secret)), http.StatusUnauthorized)

	// An internal failure while a token and a session cookie are on the
	// request: it is logged, without them.
	bob := webtest.SignedIn(t, env, "bob")
	for _, ck := range bob.Cookies {
		secrets.add(ck.Value)
	}
	secrets.add(webtest.SessionID(t, env, bob.Cookies["esp_session"]))
	if err := env.Store.Close(); err != nil {
		t.Fatal(err)
	}
	webtest.MustStatus(t, webtest.APIGet(env, token2, "/api/v1/plans"), http.StatusInternalServerError)
	webtest.WantStatus(t, bob.Get("/"), http.StatusInternalServerError)

	captured = stopCapture()
	logs := env.Logs.String()

	// The gateway did get the access key (and only over the webhook).
	gwMu.Lock()
	if len(events) < 3 || events[0].AccessKey != access {
		t.Fatalf("gateway events %+v, want the activation twice and the deactivation", events)
	}
	gwMu.Unlock()

	// The test can fail: the events that must be logged are there, and the
	// access log's lines name the routes' patterns.
	route := func(r string) string { return "route=" + r }
	if jsonLogs {
		route = func(r string) string { return `"route":"` + r + `"` }
	}
	for _, want := range []string{"activator failed; will retry", "credential status changed", "request failed",
		route("/api/v1/plans/:planID/export"), route("/api/v1/plans/:planID/data"), route("/login"), route("unmatched")} {
		if !strings.Contains(logs, want) {
			t.Errorf("no %q in the logs:\n%s", want, logs)
		}
	}
	if jsonLogs {
		for i, line := range strings.Split(strings.TrimSpace(logs), "\n") {
			var v map[string]any
			if err := json.Unmarshal([]byte(line), &v); err != nil {
				t.Fatalf("log line %d is not JSON (%v): %s", i+1, err, line)
			}
		}
	}
	// No request's path or query string: no plan's id in a path, no
	// parameter.
	for _, raw := range []string{planPath, "?", "limit=", "format=ndjson", "access_token", "password=", "/no-such-page"} {
		if strings.Contains(logs, raw) {
			t.Errorf("the logs carry %q, a piece of a request's URL:\n%s", raw, logs)
		}
	}
	for name, out := range map[string]string{"the server's log": logs, "stdout/stderr": captured} {
		if s, piece, found := secrets.findIn(out); found {
			t.Errorf("%s carries a secret (%.6s…, as %q):\n%s", name, s, piece, out)
		}
	}
	t.Logf("checked %d secret values against %d bytes of logs and %d bytes of process output", len(secrets.whole), len(logs), len(captured))
}
