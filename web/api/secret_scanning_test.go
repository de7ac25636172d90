package api_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/web/api"
	"esp/web/internal/webtest"
)

// A signed report of a live credential's secret key deactivates it at
// once: the answer labels the key true_positive by its hash, the secret
// gets no token at the next exchange, the credential's token is refused at
// the next request, and the history tells "Reported leaked" (with the
// report's URL) then "Deactivation requested", both by secret scanning.
func TestReportedSecretKeyDeactivatesItsCredentialAtOnce(t *testing.T) {
	env, s := scanningEnv(t)
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	token := webtest.Exchange(t, env, keys)

	fb := mustFeedback(t, s.report(t, env, reportBody(keys.SecretKey)))
	want := feedback{TokenHash: hashHex(keys.SecretKey), TokenType: "esp_secret_key", Label: "true_positive"}
	if len(fb) != 1 || fb[0] != want {
		t.Fatalf("feedback %+v, want [%+v]", fb, want)
	}
	webtest.MustAPIError(t, env.Do(webtest.KeyRequest(keys.AccessKey, keys.SecretKey)), http.StatusUnauthorized, "invalid_credentials")
	webtest.MustAPIError(t, webtest.APIGet(env, token, "/api/v1/plans"), http.StatusUnauthorized, "invalid_token")
	if st := webtest.CurrentStatus(t, env); st != lifecycle.PendingDeactivation {
		t.Fatalf("status %s, want pending_deactivation", st)
	}
	h := historyOf(t, env)
	if len(h) < 2 || h[0].Event != "Deactivation requested" || h[1].Event != "Reported leaked" {
		t.Fatalf("history %+v, want Deactivation requested then Reported leaked on top", h)
	}
	for _, e := range h[:2] {
		if e.Actor != "secret scanning" || e.AccessLast4 != lifecycle.Last4(keys.AccessKey) {
			t.Errorf("history entry %+v, want actor secret scanning and the credential's last 4", e)
		}
	}
	if h[1].URL != leakURL || h[0].URL != "" {
		t.Errorf("URLs %q, %q; want the report's on Reported leaked only", h[1].URL, h[0].URL)
	}
	if logs := env.Logs.String(); strings.Contains(logs, keys.SecretKey) || strings.Contains(logs, token) {
		t.Error("the log holds a reported key or a token")
	}
}

// A reported bearer token identifies its credential, which is deactivated:
// the token itself is refused at the next request.
func TestReportedTokenDeactivatesItsCredential(t *testing.T) {
	env, s := scanningEnv(t)
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	token := webtest.Exchange(t, env, keys)
	webtest.MustStatus(t, webtest.APIGet(env, token, "/api/v1/plans"), http.StatusOK)

	fb := mustFeedback(t, s.report(t, env, reportBody(token)))
	if len(fb) != 1 || fb[0].Label != "true_positive" || fb[0].TokenHash != hashHex(token) {
		t.Fatalf("feedback %+v, want the token true_positive", fb)
	}
	webtest.MustAPIError(t, webtest.APIGet(env, token, "/api/v1/plans"), http.StatusUnauthorized, "invalid_token")
	if n := countEvents(historyOf(t, env), "Deactivation requested"); n != 1 {
		t.Fatalf("%d Deactivation requested, want 1", n)
	}
}

// A reported token that has expired is still ESP's (its signature says
// so): true_positive, and its live credential is deactivated, since whoever
// leaked the token may have leaked the keys that made it.
func TestReportedExpiredTokenIsTruePositiveAndDeactivates(t *testing.T) {
	env, s := scanningEnv(t)
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	token := webtest.Exchange(t, env, keys)
	env.Clock.Add(2 * time.Hour)
	webtest.MustAPIError(t, webtest.APIGet(env, token, "/api/v1/plans"), http.StatusUnauthorized, "invalid_token")

	fb := mustFeedback(t, s.report(t, env, reportBody(token)))
	if len(fb) != 1 || fb[0].Label != "true_positive" || fb[0].TokenHash != hashHex(token) {
		t.Fatalf("feedback %+v, want the expired token true_positive", fb)
	}
	if st := webtest.CurrentStatus(t, env); st != lifecycle.PendingDeactivation {
		t.Fatalf("status %s, want pending_deactivation", st)
	}
}

// A token of a purged credential is still ESP's: true_positive, and the
// report is kept in the tenant's history, which outlives the purge.
func TestReportedTokenOfPurgedCredentialIsTruePositive(t *testing.T) {
	env, s := scanningEnv(t)
	ctx := context.Background()
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	token := webtest.Exchange(t, env, keys)
	if _, err := env.Service.Deactivate(ctx, env.Acme.ID, lifecycle.UserActor("alice")); err != nil {
		t.Fatal(err)
	}
	env.Tick(t)
	env.Clock.Add(8 * 24 * time.Hour)
	if n, err := env.Scheduler.Purge(ctx, env.Clock.Now()); err != nil || n != 1 {
		t.Fatalf("purge = %d, %v", n, err)
	}
	fb := mustFeedback(t, s.report(t, env, reportBody(token)))
	if len(fb) != 1 || fb[0].Label != "true_positive" {
		t.Fatalf("feedback %+v, want the purged credential's token true_positive", fb)
	}
	if n := countEvents(historyOf(t, env), "Reported leaked"); n != 1 {
		t.Fatalf("%d Reported leaked, want 1", n)
	}
}

// The same report sent again gets the same answer and adds no event.
func TestReplayedReportAddsNoEvent(t *testing.T) {
	env, s := scanningEnv(t)
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	body := reportBody(keys.SecretKey)
	req := func() *http.Request { return reportRequest(body, s.id, s.sign(t, body)) }
	first := env.Do(req())
	webtest.MustStatus(t, first, http.StatusOK)
	before := historyOf(t, env)
	again := env.Do(req())
	if again.Code != http.StatusOK || again.Body.String() != first.Body.String() {
		t.Fatalf("replay answered %d %s, want 200 %s", again.Code, again.Body, first.Body)
	}
	if after := historyOf(t, env); len(after) != len(before) {
		t.Fatalf("replay added %d events", len(after)-len(before))
	}
}

// A report of a credential no longer live is recorded, true_positive, and
// changes nothing else.
func TestReportOfDeactivatedCredentialIsRecordedOnly(t *testing.T) {
	env, s := scanningEnv(t)
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	if _, err := env.Service.Deactivate(context.Background(), env.Acme.ID, lifecycle.UserActor("alice")); err != nil {
		t.Fatal(err)
	}
	env.Tick(t) // confirmed: Deactivated
	fb := mustFeedback(t, s.report(t, env, reportBody(keys.SecretKey)))
	if len(fb) != 1 || fb[0].Label != "true_positive" {
		t.Fatalf("feedback %+v, want true_positive", fb)
	}
	if st := webtest.CurrentStatus(t, env); st != lifecycle.Deactivated {
		t.Fatalf("status %s, want deactivated", st)
	}
	h := historyOf(t, env)
	if h[0].Event != "Reported leaked" || h[1].Event != "Deactivated" || countEvents(h, "Deactivation requested") != 1 {
		t.Fatalf("history %+v, want Reported leaked on top of the admin's deactivation, nothing more", h)
	}
}

// Tokens that never were ESP's are false_positive, whatever their look.
func TestUnknownTokensAreFalsePositive(t *testing.T) {
	env, s := scanningEnv(t)
	webtest.ActivatedKeys(t, env, env.Acme.ID)
	tokens := []string{lifecycle.NewSecretKey(), "esptk_" + strings.Repeat("Q", 43), "ghp_notours", ""}
	fb := mustFeedback(t, s.report(t, env, reportBody(tokens...)))
	if len(fb) != len(tokens) {
		t.Fatalf("feedback %+v, want %d entries", fb, len(tokens))
	}
	for i, f := range fb {
		if f.Label != "false_positive" || f.TokenHash != hashHex(tokens[i]) {
			t.Errorf("entry %d: %+v, want false_positive with the token's hash", i, f)
		}
	}
	if st := webtest.CurrentStatus(t, env); st != lifecycle.Activated {
		t.Fatalf("status %s, want activated", st)
	}
}

// Reports that are not signed by a known key, or not a signed array of at
// most 1,000 entries in at most 1 MiB, are refused and change nothing.
func TestRefusedReportsChangeNothing(t *testing.T) {
	env, s := scanningEnv(t)
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	body := reportBody(keys.SecretKey)
	other := newScanner(t, s.id)
	many := reportBody(make([]string, 1001)...)
	huge := append([]byte(`[{"token": "`+keys.SecretKey+`", "url": "`), bytes.Repeat([]byte("x"), api.MaxReportBody)...)
	huge = append(huge, `"}]`...)
	for _, c := range []struct {
		name   string
		req    *http.Request
		status int
		code   string
	}{
		{"unsigned", reportRequest(body, "", ""), http.StatusUnauthorized, "unauthorized"},
		{"no signature", reportRequest(body, s.id, ""), http.StatusUnauthorized, "unauthorized"},
		{"signed by another key", reportRequest(body, s.id, other.sign(t, body)), http.StatusUnauthorized, "unauthorized"},
		{"signature not base64", reportRequest(body, s.id, "%%%"), http.StatusUnauthorized, "unauthorized"},
		{"unknown key", reportRequest(body, "other-key", s.sign(t, body)), http.StatusUnauthorized, "unauthorized"},
		{"truncated body", reportRequest(body[:len(body)-3], s.id, s.sign(t, body)), http.StatusUnauthorized, "unauthorized"},
		{"not an array", reportRequest([]byte(`{"token": "x"}`), s.id, s.sign(t, []byte(`{"token": "x"}`))), http.StatusBadRequest, "bad_request"},
		{"entry without token", reportRequest([]byte(`[{"url": "x"}]`), s.id, s.sign(t, []byte(`[{"url": "x"}]`))), http.StatusBadRequest, "bad_request"},
		{"1,001 entries", reportRequest(many, s.id, s.sign(t, many)), http.StatusBadRequest, "bad_request"},
		{"over 1 MiB", reportRequest(huge, s.id, s.sign(t, huge)), http.StatusRequestEntityTooLarge, "payload_too_large"},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.req.RemoteAddr = "198.51.100.7:1234" // its own allowance
			webtest.MustAPIError(t, env.Do(c.req), c.status, c.code)
		})
	}
	if st := webtest.CurrentStatus(t, env); st != lifecycle.Activated {
		t.Fatalf("status %s, want activated", st)
	}
	if n := countEvents(historyOf(t, env), "Reported leaked"); n != 0 {
		t.Fatalf("%d Reported leaked, want 0", n)
	}
}

// A report may be up to 1 MiB: larger than the other routes' bodies.
func TestLargeReportIsReadWhole(t *testing.T) {
	env, s := scanningEnv(t)
	tokens := make([]string, 1000)
	for i := range tokens {
		tokens[i] = "ghp_" + strings.Repeat("x", 800)
	}
	body := reportBody(tokens...)
	if len(body) < 800<<10 || len(body) > api.MaxReportBody {
		t.Fatalf("body of %d bytes", len(body))
	}
	if fb := mustFeedback(t, s.report(t, env, body)); len(fb) != 1000 {
		t.Fatalf("%d labels, want 1000", len(fb))
	}
}

// Without --secret-scanning-keys the route answers 404 and reads nothing.
func TestSecretScanningOffAnswersNotFound(t *testing.T) {
	env := webtest.NewEnv(t)
	s := newScanner(t, "k")
	body := reportBody("x")
	webtest.MustAPIError(t, env.Do(reportRequest(body, s.id, s.sign(t, body))), http.StatusNotFound, "not_found")
}

// Reports from one address are limited on their own: 30 at once, then 429.
func TestReportsAreRateLimitedPerAddress(t *testing.T) {
	env, s := scanningEnv(t)
	body := reportBody("ghp_notours")
	for range 30 {
		webtest.MustStatus(t, s.report(t, env, body), http.StatusOK)
	}
	rec := s.report(t, env, body)
	webtest.MustAPIError(t, rec, http.StatusTooManyRequests, "rate_limited")
	if rec.Header().Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
}

// Fifty identical reports at once record one "Reported leaked" and one
// deactivation.
func TestConcurrentIdenticalReportsRecordOneEvent(t *testing.T) {
	env, s := scanningEnv(t)
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	body := reportBody(keys.SecretKey)
	sig := s.sign(t, body)
	var wg sync.WaitGroup
	codes := make([]int, 50)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := reportRequest(body, s.id, sig)
			req.RemoteAddr = fmt.Sprintf("198.51.100.%d:1234", i+1)
			codes[i] = env.Do(req).Code
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Fatalf("report %d answered %d", i, c)
		}
	}
	h := historyOf(t, env)
	if n, d := countEvents(h, "Reported leaked"), countEvents(h, "Deactivation requested"); n != 1 || d != 1 {
		t.Fatalf("%d Reported leaked and %d Deactivation requested, want 1 and 1", n, d)
	}
}

// An unknown key identifier fetches the keys document again, at most once a
// minute: within the minute of the last fetch, an unknown key is refused
// without one; after it, one fetch finds a key added meanwhile.
func TestUnknownKeyFetchesKeysAtMostOncePerMinute(t *testing.T) {
	s, added := newScanner(t, "key-1"), newScanner(t, "key-2")
	docs := &fetchCounter{doc: keysDocument(t, s)}
	srv := httptest.NewTLSServer(docs)
	defer srv.Close()
	clock := s.clock
	keys, err := api.NewScanningKeys(context.Background(), api.ScanningKeysConfig{
		Source: srv.URL + "/meta/public_keys/secret_scanning", Transport: srv.Client().Transport, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	env := webtest.NewEnv(t, withKeys(keys))
	body := reportBody("ghp_notours")
	webtest.MustStatus(t, s.report(t, env, body), http.StatusOK)
	if n := docs.count(); n != 1 {
		t.Fatalf("%d fetches at start, want 1", n)
	}
	docs.serve(keysDocument(t, s, added))
	webtest.MustAPIError(t, added.report(t, env, body), http.StatusUnauthorized, "unauthorized")
	if n := docs.count(); n != 1 {
		t.Fatalf("%d fetches within the minute, want 1", n)
	}
	clock.Add(time.Minute)
	webtest.MustStatus(t, added.report(t, env, body), http.StatusOK)
	unknown := newScanner(t, "key-3")
	webtest.MustAPIError(t, unknown.report(t, env, body), http.StatusUnauthorized, "unauthorized")
	webtest.MustAPIError(t, unknown.report(t, env, body), http.StatusUnauthorized, "unauthorized")
	if n := docs.count(); n != 2 {
		t.Fatalf("%d fetches, want 2: one after the minute, none for the unknown key within it", n)
	}
}

// A report whose client is gone while the keys are fetched again does not
// spend the minute's fetch: the new keys are loaded all the same.
func TestKeysFetchOutlivesTheReportThatAskedForIt(t *testing.T) {
	s, added := newScanner(t, "key-1"), newScanner(t, "key-2")
	docs := &fetchCounter{doc: keysDocument(t, s)}
	srv := httptest.NewTLSServer(docs)
	defer srv.Close()
	keys, err := api.NewScanningKeys(context.Background(), api.ScanningKeysConfig{
		Source: srv.URL + "/keys", Transport: srv.Client().Transport, Now: s.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	docs.serve(keysDocument(t, s, added))
	s.clock.Add(time.Minute)
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if _, ok, err := keys.Key(gone, "key-2"); err != nil || !ok {
		t.Fatalf("key-2 asked for by a report whose client is gone: found %v, %v; want it fetched", ok, err)
	}
}

// The keys URL must be https; a redirect to http is not followed.
func TestScanningKeysRefuseHTTP(t *testing.T) {
	if _, err := api.NewScanningKeys(context.Background(), api.ScanningKeysConfig{Source: "http://example.com/keys"}); err == nil {
		t.Fatal("an http URL was accepted")
	}
	redirect := httptest.NewTLSServer(http.RedirectHandler("http://127.0.0.1:1/keys", http.StatusFound))
	defer redirect.Close()
	_, err := api.NewScanningKeys(context.Background(), api.ScanningKeysConfig{Source: redirect.URL, Transport: redirect.Client().Transport})
	if err == nil || !strings.Contains(err.Error(), "redirect away from https") {
		t.Fatalf("redirect to http: %v, want refused", err)
	}
}
