package e2e_test

import (
	"database/sql"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	_ "modernc.org/sqlite"
)

// generates counts the Generates the server has carried out, from its
// audit trail.
func (s *server) generates(t *testing.T) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(s.Data, "esp.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM audit WHERE action = 'generate'`).Scan(&n); err != nil {
		t.Fatalf("counting Generates in the server's database: %v", err)
	}
	return n
}

// reload reloads the page, as the browser's reload button, and returns the
// HTTP status of the page it ends on.
func (tb *tab) reload() int64 {
	tb.t.Helper()
	tb.markPage("before reload")
	ctx, cancel := tb.stepCtx()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Reload())
	if err != nil {
		tb.t.Fatalf("reload: %v", err)
	}
	return resp.Status
}

// goHistory moves by delta entries in the tab's history, as Back (-1) and
// Forward (+1) do. It does not wait for a load: a page restored from the
// back-forward cache fires none.
func (tb *tab) goHistory(delta int64) {
	tb.t.Helper()
	tb.markPage("before history navigation")
	ctx, cancel := tb.stepCtx()
	defer cancel()
	h, err := chromedp.Call(ctx, page.GetNavigationHistory, cdp.Empty{})
	if err != nil {
		tb.t.Fatal(err)
	}
	i := h.CurrentIndex + delta
	if i < 0 || i >= int64(len(h.Entries)) {
		tb.t.Fatalf("no history entry %+d from %d of %d", delta, h.CurrentIndex, len(h.Entries))
	}
	if _, err := chromedp.Call(ctx, page.NavigateToHistoryEntry, page.NavigateToHistoryEntryParams{EntryID: h.Entries[i].ID}); err != nil {
		tb.t.Fatalf("history navigation %+d: %v", delta, err)
	}
}

// wantWindowMasked waits for the window as it now is after a navigation:
// loaded afresh (not a page kept from before), at its own address, the keys
// masked, no notice and no one-time keys; and checks the server carried out
// want Generates in all.
func wantWindowMasked(t *testing.T, tb *tab, srv *server, what, accessKey string, want int) screen {
	t.Helper()
	s := tb.waitFor(what, func(s screen) bool { return s.Mark == "" && s.WindowOpen && s.AccessKey != "" })
	if s.Path != "/api-credentials" {
		t.Errorf("%s: at %s, want /api-credentials", what, s.Path)
	}
	if s.AccessKey != mask(accessKey) || s.Notice != "" || s.OneTimeWarning || s.Download || s.CopyAccessKey {
		t.Errorf("%s: %v; want the keys masked, no notice and no one-time keys", what, s)
	}
	if n := srv.generates(t); n != want {
		t.Fatalf("%s: the server carried out %d Generates, want %d", what, n, want)
	}
	return s
}

// TestReloadAndBackAfterGenerateNeverGenerateAgain: after Generate, reload,
// Back, Forward, and Back after closing the window all show the window as
// it now is, keys masked and no error, and the server carries out one
// Generate only. The gated activator holds the status at Pending Activation.
func TestReloadAndBackAfterGenerateNeverGenerateAgain(t *testing.T) {
	hook := startGatedHook(t)
	srv := startServer(t, "--activator", "webhook", "--webhook-url", hook.URL)
	tb := startBrowser(t)
	tb.login(srv.LocalURL(), "admin", srv.Passwords["admin"])
	tb.openWindowFromMenu()
	if code := tb.clickAndLoad("generate"); code != 200 {
		t.Fatalf("Generate answered %d, want 200", code)
	}
	s := tb.waitFor("the new keys", func(s screen) bool { return s.WindowOpen && s.OneTimeWarning && s.AccessKey != "" })
	access := s.AccessKey
	if !accessKeyFormat.MatchString(access) || s.Path != "/api-credentials" {
		t.Fatalf("after Generate: %v; want the full keys, at the window's own address", s)
	}
	if n := srv.generates(t); n != 1 {
		t.Fatalf("%d Generates, want 1", n)
	}

	if code := tb.reload(); code != 200 {
		t.Fatalf("reload answered %d, want 200", code)
	}
	s = wantWindowMasked(t, tb, srv, "after reload", access, 1)
	if s.Status != "Pending Activation" || s.Generate || !s.Deactivate {
		t.Errorf("after reload: %v; want Pending Activation with only Deactivate", s)
	}
	tb.screenshot("window-reload-after-generate")

	tb.goHistory(-1)
	wantWindowMasked(t, tb, srv, "after Back", access, 1)
	tb.goHistory(+1)
	wantWindowMasked(t, tb, srv, "after Forward", access, 1)

	tb.markPage("the window before Close")
	if code := tb.clickAndLoad("close-window"); code != 200 {
		t.Fatalf("Close answered %d", code)
	}
	tb.waitFor("the home page", func(s screen) bool { return s.Path == "/" && !s.WindowOpen })
	tb.goHistory(-1)
	wantWindowMasked(t, tb, srv, "after Back from the home page", access, 1)
}

// TestGenerateResentWithoutScriptShowsTheWindowMasked: with JavaScript off
// the page after Generate keeps the form's address, and reload sends the
// form again; the server knows it, carries out nothing and shows the window
// as it now is. Back then shows whatever the browser kept of the window
// before Generate; its Generate form is the one already carried out.
func TestGenerateResentWithoutScriptShowsTheWindowMasked(t *testing.T) {
	srv := startServer(t, "--activator", "local")
	tb := startBrowser(t)
	tb.login(srv.LocalURL(), "admin", srv.Passwords["admin"])
	if _, err := chromedp.Call(tb.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("turning JavaScript off: %v", err)
	}
	if code := tb.navigate(srv.LocalURL() + "/api-credentials"); code != 200 {
		t.Fatalf("GET /api-credentials: %d", code)
	}
	if code := tb.clickAndLoad("generate"); code != 200 {
		t.Fatalf("Generate answered %d, want 200", code)
	}
	s := tb.waitFor("the new keys", func(s screen) bool { return s.AccessKey != "" && s.OneTimeWarning })
	access := s.AccessKey
	if s.Path != "/api-credentials/generate" {
		t.Fatalf("without JavaScript the page after Generate is at %s; the test needs the form's address", s.Path)
	}
	if code := tb.reload(); code != 200 {
		t.Fatalf("reload answered %d, want 200", code)
	}
	wantWindowMasked(t, tb, srv, "after reload without JavaScript", access, 1)

	tb.goHistory(-1)
	if s = tb.waitFor("the window before Generate", func(s screen) bool { return s.WindowOpen }); s.Generate {
		// Chromium shows the page it kept from before: chromedp does not
		// see its nodes, so the button is pressed from the page.
		ctx, cancel := tb.stepCtx()
		defer cancel()
		resp, err := chromedp.RunResponse(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="generate"]').click()`))
		if err != nil || resp.Status != 200 {
			t.Fatalf("Generate on the page before: %v, %v; want 200", resp, err)
		}
	}
	wantWindowMasked(t, tb, srv, "after Generate on the page before, without JavaScript", access, 1)
}

// restoredKeysJS, run in every new document of the tab before its own
// scripts, records (in the tab's sessionStorage, which outlives a reload)
// the one-time key fields' text of a page shown from the back-forward
// cache, as the page holds it before its own pageshow handler reloads it.
const restoredKeysJS = `window.addEventListener('pageshow', function (e) {
  if (!e.persisted) return;
  var keys = Array.prototype.map.call(
    document.querySelectorAll('[data-testid="access-key"], [data-testid="secret-key"]'),
    function (el) { return el.textContent; });
  var seen = JSON.parse(sessionStorage.getItem('e2e-restored') || '[]');
  seen.push({path: location.pathname, keys: keys});
  sessionStorage.setItem('e2e-restored', JSON.stringify(seen));
});`

// restoredPage is one page the tab showed from the back-forward cache.
type restoredPage struct {
	Path string   `json:"path"`
	Keys []string `json:"keys"`
}

// TestKeysAreWipedWhenTheirPageEntersTheBackForwardCache: the page after
// Generate, left for another and then shown again by Back from the
// back-forward cache, holds no key text any more, even before it reloads.
func TestKeysAreWipedWhenTheirPageEntersTheBackForwardCache(t *testing.T) {
	srv := startServer(t, "--activator", "local")
	tb := startBrowser(t)
	if _, err := chromedp.Call(tb.ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: restoredKeysJS}); err != nil {
		t.Fatalf("adding the recorder of restored pages: %v", err)
	}
	tb.login(srv.LocalURL(), "admin", srv.Passwords["admin"])
	tb.openWindowFromMenu()
	if code := tb.clickAndLoad("generate"); code != 200 {
		t.Fatalf("Generate answered %d, want 200", code)
	}
	s := tb.waitFor("the new keys", func(s screen) bool { return s.WindowOpen && s.OneTimeWarning && s.AccessKey != "" })
	access := s.AccessKey
	// The mark stays with the page in the cache: the window seen after Back
	// is then the one loaded afresh.
	tb.markPage("the window after Generate")
	if code := tb.closeAnyway(); code != 200 {
		t.Fatalf("Close answered %d", code)
	}
	tb.waitFor("the home page", func(s screen) bool { return s.Path == "/" && !s.WindowOpen })
	tb.goHistory(-1)
	wantWindowMasked(t, tb, srv, "after Back", access, 1)
	var restored []restoredPage
	if raw := eval[string](tb, `sessionStorage.getItem('e2e-restored') || '[]'`); json.Unmarshal([]byte(raw), &restored) != nil {
		t.Fatalf("restored pages: %q", raw)
	}
	if len(restored) != 1 || restored[0].Path != "/api-credentials" {
		t.Fatalf("pages shown from the back-forward cache: %+v; want the window after Generate, once (none: the browser did not use its cache)", restored)
	}
	if keys := restored[0].Keys; len(keys) != 2 || keys[0] != "" || keys[1] != "" {
		t.Fatalf("key fields of the window shown again from the back-forward cache: %q; want both empty", keys)
	}
}
