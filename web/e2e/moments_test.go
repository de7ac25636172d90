package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	_ "time/tzdata" // the browser's zone, to compare with what it shows

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The colour schemes a tab can emulate.
const (
	light = "light"
	dark  = "dark"
)

// keysNeverWork is the one-time warning once the keys on screen failed to
// activate.
const keysNeverWork = "These keys were not activated and will never work. Generate new ones."

// useScheme makes the tab's pages see prefers-color-scheme: scheme.
func (tb *tab) useScheme(scheme string) {
	tb.t.Helper()
	tb.scheme = scheme
	_, err := chromedp.Call(tb.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
	if err != nil {
		tb.t.Fatalf("emulating prefers-color-scheme: %s: %v", scheme, err)
	}
}

// useZone gives the tab's pages a time zone and a language.
func (tb *tab) useZone(zone, locale string) {
	tb.t.Helper()
	if _, err := chromedp.Call(tb.ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: zone}); err != nil {
		tb.t.Fatalf("emulating the zone %s: %v", zone, err)
	}
	if _, err := chromedp.Call(tb.ctx, emulation.SetLocaleOverride, emulation.SetLocaleOverrideParams{Locale: locale}); err != nil {
		tb.t.Fatalf("emulating the locale %s: %v", locale, err)
	}
}

// countPosts counts, from now on, the POST requests the tab sends to path.
func (tb *tab) countPosts(path string) *atomic.Int32 {
	var n atomic.Int32
	ctx, cancel := context.WithCancel(tb.ctx)
	tb.t.Cleanup(cancel)
	events := chromedp.Events(ctx, network.RequestWillBeSent)
	go func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			if ev.Request.Method == "POST" && strings.HasSuffix(ev.Request.URL, path) {
				n.Add(1)
			}
		}
	}()
	return &n
}

// slowRequests makes the window's requests to base take two seconds more
// (on) or as long as they take (off), so that a person could click again
// while one runs.
func (tb *tab) slowRequests(base string, on bool) {
	tb.t.Helper()
	rules := []*network.Conditions{}
	if on {
		rules = append(rules, &network.Conditions{URLPattern: base + "/api-credentials/*", Latency: 2000, DownloadThroughput: -1, UploadThroughput: -1})
	}
	if _, err := chromedp.Call(tb.ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: rules}); err != nil {
		tb.t.Fatalf("slowing the window's requests: %v", err)
	}
}

// recordSubmitsJS notes, for each form submission of the page, how its
// button looked once the page's own script had seen it, and whether the
// submission was stopped; the notes outlive the page in sessionStorage.
const recordSubmitsJS = `document.addEventListener('submit', e => {
  const b = e.submitter || e.target.querySelector('button');
  const notes = JSON.parse(sessionStorage.getItem('e2e-submits') || '[]');
  notes.push(b.textContent + '|' + b.getAttribute('aria-disabled') + '|' + (e.defaultPrevented ? 'stopped' : 'sent'));
  sessionStorage.setItem('e2e-submits', JSON.stringify(notes));
})`

// doubleClick double-clicks the element as a person does: two presses and
// releases at its centre, a fifth of a second apart, the second with a
// click count of 2. (Chromium itself drops a second submission sent in the
// same instant; one a moment later is a new request.)
func (tb *tab) doubleClick(id string) {
	tb.t.Helper()
	type point struct{ X, Y float64 }
	p := eval[point](tb, `(() => { const r = document.querySelector('[data-testid="`+id+`"]').getBoundingClientRect();
  return {X: r.left + r.width / 2, Y: r.top + r.height / 2}; })()`)
	ctx, cancel := tb.stepCtx()
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.MouseClickXY(p.X, p.Y), chromedp.Sleep(200*time.Millisecond), chromedp.MouseClickXY(p.X, p.Y, chromedp.ClickCount(2))); err != nil {
		tb.t.Fatalf("double-clicking [data-testid=%s]: %v", id, err)
	}
}

// waitJS polls a JavaScript expression until it is true, or fails the test.
func (tb *tab) waitJS(what, expr string) {
	tb.t.Helper()
	ctx, cancel := tb.stepCtx()
	defer cancel()
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if ctx.Err() != nil {
			tb.t.Fatalf("%s: %s is still not true after %v (%v)", what, expr, stepTimeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// isOpen says whether the native <dialog> with the test id is open.
func isOpen(id string) string {
	return `(document.querySelector('[data-testid="` + id + `"]') || {}).open === true`
}

// text is the trimmed text of the element with the test id, "" without one.
func text(tb *tab, id string) string {
	tb.t.Helper()
	return eval[string](tb, `((document.querySelector('[data-testid="`+id+`"]') || {}).textContent || '').trim()`)
}

// confirmDeactivate presses Deactivate, then Deactivate in the confirmation
// it opens, and returns the status of the page that follows.
func (tb *tab) confirmDeactivate() int64 {
	tb.t.Helper()
	tb.click("deactivate")
	tb.waitJS("the Deactivate confirmation", isOpen("confirm-deactivate"))
	return tb.clickAndLoad("confirm-deactivate-submit")
}

// closeAnyway closes the window right after Generate, before the secret key
// was saved: Close asks first, and "Close anyway" goes.
func (tb *tab) closeAnyway() int64 {
	tb.t.Helper()
	tb.click("close-window")
	tb.waitJS("the question before closing", isOpen("close-guard"))
	return tb.clickAndLoad("close-guard-leave")
}

// TestWindowMoments walks the window's careful moments on a laptop and on a
// phone, in the light and the dark scheme, with the browser in Tokyo's zone
// and British English: the empty state with the tenant and the API's base
// URL, Generate (busy, one request) answering the secret first with only
// Close pinned, local times, "Copied" that returns, the question before
// closing with the secret unsaved, and the Deactivate confirmation
// (Cancel, Escape, and a double click sending it once). Every page is
// checked (no sideways scrolling, axe-core).
func TestWindowMoments(t *testing.T) {
	for _, dev := range devices {
		for _, scheme := range []string{light, dark} {
			t.Run(dev.name+"-"+scheme, func(t *testing.T) { windowMoments(t, dev, scheme) })
		}
	}
}

func windowMoments(t *testing.T, dev device, scheme string) {
	hook := startGatedHook(t)
	srv := startServer(t, "--activator", "webhook", "--webhook-url", hook.URL)
	tb := startBrowserOn(t, dev)
	tb.useScheme(scheme)
	tb.useZone("Asia/Tokyo", "en_GB")
	base := srv.LocalURL()
	tb.grantClipboard(base)
	if code := tb.navigate(base + "/login"); code != 200 {
		t.Fatalf("GET /login: %d", code)
	}
	tb.checkPage("the login page")
	tb.login(base, "admin", srv.Passwords["admin"])
	tb.checkPage("the home page")
	tb.screenshot("home")

	tb.openWindowFromMenu()
	checkEmptyWindow(t, tb, base)
	checkNoShadowWhenNothingScrolls(t, tb)
	tb.checkPage("the window, No Credentials")
	tb.screenshot("window-1-no-credentials")

	generateOnce(t, tb, base)
	checkSecretFirst(t, tb)
	checkLocalCreated(t, tb)
	tb.checkPage("the Generate answer")
	tb.screenshot("window-2-new-keys")
	checkCopiedReturns(t, tb, "copy-access-key")
	checkCloseGuard(t, tb)
	checkCopiedReturns(t, tb, "copy-secret-key")

	hook.letThrough("activate")
	keys := tb.waitFor("Activated, live", func(s screen) bool { return s.Status == "Activated" })
	exchange(t, base, keys.AccessKey, keys.SecretKey)
	if eval[bool](tb, `!document.querySelector('[data-testid="status-checking"]').hidden`) {
		t.Error("the window still says it is checking once the status is Activated")
	}
	// The secret key was copied: Close asks nothing.
	if code := tb.clickAndLoad("close-window"); code != 200 {
		t.Fatalf("Close after copying the secret key answered %d", code)
	}
	tb.openWindowFromMenu()
	checkLastUsedRelative(t, tb)
	tb.screenshot("window-3-activated")
	checkConfirmDeactivate(t, tb, base)
	hook.letThrough("deactivate")
	tb.waitFor("Deactivated, live", func(s screen) bool { return s.Status == "Deactivated" })
	// Generate is available again without a reload: so is the lifetime of
	// the new keys.
	if !eval[bool](tb, `(() => { const s = document.querySelector('[data-testid="generate-expiry"]');
  return !s.disabled && !s.closest('label').hidden && s.getBoundingClientRect().width > 0; })()`) {
		t.Error("Generate is available again, but the expiry of new keys cannot be chosen")
	}
	tb.checkPage("the window, Deactivated")
	tb.screenshot("window-4-deactivated")

	if code := tb.navigate(base + "/api-credentials/history"); code != 200 {
		t.Fatalf("GET the history: %d", code)
	}
	tb.checkPage("the history")
	tb.screenshot("history")
	if code := tb.navigate(base + "/no-such-page"); code != 404 {
		t.Fatalf("GET a page that does not exist: %d, want 404", code)
	}
	tb.checkPage("the 404 page")
}

// checkEmptyWindow: No Credentials says what keys are for in one line, with
// no empty key boxes, and the window names the tenant, the API's base URL
// (with Copy) and its reference.
func checkEmptyWindow(t *testing.T, tb *tab, base string) {
	t.Helper()
	s := tb.waitFor("No Credentials", func(s screen) bool { return s.Status == "No Credentials" })
	if s.KeysShown || s.AccessKey != "" || s.SecretKey != "" {
		t.Errorf("No Credentials shows key boxes: %v", s)
	}
	if got := text(tb, "credentials-empty"); !strings.Contains(got, "Generate") {
		t.Errorf("the empty state says %q", got)
	}
	if got := text(tb, "tenant-name"); got != "demo" {
		t.Errorf("tenant-name = %q, want demo", got)
	}
	if got := text(tb, "api-base-url"); got != base+"/api/v1" {
		t.Errorf("api-base-url = %q, want %q", got, base+"/api/v1")
	}
	if got := eval[string](tb, `document.querySelector('[data-testid="credentials-window"] [data-testid="api-docs-link"]').getAttribute('href')`); got != "/api/docs" {
		t.Errorf("the API reference link goes to %q", got)
	}
}

// doubleClickOnce double-clicks a form's button while the window's
// requests are slow: the button says busy (its form's data-busy) and is
// unavailable from the first click, the second click sends nothing, and
// the browser sends one request to path.
func (tb *tab) doubleClickOnce(base, id, path, busy string) {
	tb.t.Helper()
	posts := tb.countPosts(path)
	eval[chromedp.Void](tb, recordSubmitsJS+"; sessionStorage.removeItem('e2e-submits')")
	tb.slowRequests(base, true)
	defer tb.slowRequests(base, false)
	tb.markPage("before " + id)
	tb.doubleClick(id)
	tb.waitFor("the page after "+id, func(s screen) bool { return s.Mark == "" && s.WindowOpen })
	tb.waitJS("the page's script", "document.readyState === 'complete'")
	notes := eval[[]string](tb, `JSON.parse(sessionStorage.getItem('e2e-submits') || '[]')`)
	if len(notes) == 0 || notes[0] != busy+"|true|sent" {
		tb.t.Errorf("%s's submissions: %q; want the first sent with the button saying %s, unavailable", id, notes, busy)
	}
	for _, n := range notes[min(1, len(notes)):] {
		if !strings.HasSuffix(n, "|stopped") {
			tb.t.Errorf("%s's submissions: %q; want every one after the first stopped", id, notes)
		}
	}
	if n := posts.Load(); n != 1 {
		tb.t.Errorf("a double click on %s sent %d requests, want 1", id, n)
	}
}

// generateOnce presses Generate with a double click: one request, and the
// button says it is working meanwhile.
func generateOnce(t *testing.T, tb *tab, base string) {
	t.Helper()
	tb.doubleClickOnce(base, "generate", "/api-credentials/generate", "Generating…")
	s := tb.waitFor("the new keys", func(s screen) bool { return s.AccessKey != "" })
	if s.Notice != "" {
		t.Errorf("after a double click on Generate the window says %q", s.Notice)
	}
}

// placement is where the one-time keys and their neighbours are.
type placement struct {
	Order       []string `json:"order"`       // the hooks, top to bottom
	Pinned      []string `json:"pinned"`      // the hooks in the pinned bar
	SecretOnTop bool     `json:"secretOnTop"` // the secret key and its Copy are what a tap on them hits
	Checking    bool     `json:"checking"`
}

const placementJS = `(() => {
  const q = id => document.querySelector('[data-testid="' + id + '"]');
  const ids = ['one-time-warning', 'access-key', 'secret-key', 'copy-secret-key', 'download-keys', 'credential-status', 'credential-description'];
  const order = ids.filter(q).sort((a, b) => q(a).getBoundingClientRect().top - q(b).getBoundingClientRect().top);
  const pinned = [...document.querySelectorAll('.dialog-footer [data-testid]')].map(el => el.getAttribute('data-testid'));
  const onTop = el => { const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return r.bottom <= innerHeight && !!hit && (hit === el || el.contains(hit)); };
  return {order, pinned, secretOnTop: onTop(q('secret-key')) && onTop(q('copy-secret-key')),
    checking: !q('status-checking').hidden};
})()`

// checkSecretFirst: after Generate, the warning, both keys with their Copy
// buttons and Download, then the status; the pinned bar holds Close only
// and nothing covers the secret key, on the phone too.
func checkSecretFirst(t *testing.T, tb *tab) {
	t.Helper()
	p := eval[placement](tb, placementJS)
	if got, want := strings.Join(p.Order, " "), "one-time-warning access-key secret-key copy-secret-key download-keys credential-status credential-description"; got != want {
		t.Errorf("after Generate, top to bottom: %s; want %s", got, want)
	}
	if strings.Join(p.Pinned, " ") != "close-window" {
		t.Errorf("the pinned bar holds %q while the full keys are shown, want Close only", p.Pinned)
	}
	if !p.SecretOnTop {
		t.Errorf("on %s the secret key or its Copy button is covered or off screen", tb.dev.name)
	}
	if !p.Checking {
		t.Error("Pending Activation: the window does not say it is checking")
	}
}

// checkLocalCreated: Created is shown in the browser's zone and language,
// with the server's UTC time in its title.
func checkLocalCreated(t *testing.T, tb *tab) {
	t.Helper()
	type shown struct{ ISO, Text, Title, Lang string }
	c := eval[shown](tb, `(() => { const el = document.querySelector('[data-testid="credential-created"] time');
  return {ISO: el.getAttribute('datetime'), Text: el.textContent, Title: el.title, Lang: el.lang}; })()`)
	at, err := time.Parse(time.RFC3339, c.ISO)
	if err != nil {
		t.Fatalf("Created's datetime %q: %v", c.ISO, err)
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	local := at.In(tokyo)
	if !strings.Contains(c.Text, local.Format("15:04:05")) || !strings.Contains(c.Text, local.Format("2006")) || !strings.Contains(c.Text, "GMT+9") {
		t.Errorf("Created shows %q; want Tokyo's time %s with its zone", c.Text, local.Format("2006-01-02 15:04:05 MST"))
	}
	if want := at.UTC().Format("2006-01-02 15:04:05") + " UTC"; c.Title != want {
		t.Errorf("Created's title = %q, want %q", c.Title, want)
	}
	if c.Lang != "en-GB" {
		t.Errorf("Created's lang = %q, want the browser's en-GB", c.Lang)
	}
}

// exchange gets a token with the keys, as a client program does: the
// credential is then used.
func exchange(t *testing.T, base, access, secret string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"accessKeyId": access, "accessKeySecret": secret})
	resp, err := http.Post(base+"/api/v1/token/access-key", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token exchange: %s", resp.Status)
	}
}

// checkLastUsedRelative: a use moments ago reads "now" or "N seconds ago",
// with the local and the UTC time in its title.
func checkLastUsedRelative(t *testing.T, tb *tab) {
	t.Helper()
	type shown struct{ Text, Title string }
	l := eval[shown](tb, `(() => { const el = document.querySelector('[data-testid="credential-last-used"] time');
  return el ? {Text: el.textContent, Title: el.title} : {Text: '', Title: ''}; })()`)
	if l.Text != "now" && !strings.HasSuffix(l.Text, "seconds ago") && !strings.HasSuffix(l.Text, "second ago") {
		t.Errorf("Last used a moment ago reads %q, want it relative (\"now\", \"N seconds ago\")", l.Text)
	}
	if !strings.Contains(l.Title, "GMT+9") || !strings.HasSuffix(l.Title, " UTC)") {
		t.Errorf("Last used's title = %q, want the local time and the UTC time", l.Title)
	}
}

// checkCopiedReturns: Copy says "Copied", and about 2 s later the button is
// as before.
func checkCopiedReturns(t *testing.T, tb *tab, button string) {
	t.Helper()
	msg := func(s screen) string {
		if button == "copy-access-key" {
			return s.AccessKeyMsg
		}
		return s.SecretKeyMsg
	}
	tb.click(button)
	tb.waitFor(button+` says "Copied"`, func(s screen) bool { return msg(s) == copied })
	tb.waitFor(button+` back as before`, func(s screen) bool { return msg(s) == "" })
	if eval[bool](tb, `document.querySelector('[data-testid="`+button+`"]').hasAttribute('data-copied')`) {
		t.Errorf("%s still looks copied after its message went", button)
	}
}

// checkCloseGuard: before the secret key is copied, Close and Escape ask
// first, and going back keeps the keys on screen.
func checkCloseGuard(t *testing.T, tb *tab) {
	t.Helper()
	tb.click("close-window")
	tb.waitJS("the question on Close", isOpen("close-guard"))
	if got := eval[string](tb, `document.activeElement.getAttribute('data-testid')`); got != "close-guard-stay" {
		t.Errorf("the question has the focus on %q, want close-guard-stay", got)
	}
	tb.checkPage("the question before closing")
	tb.screenshot("window-close-guard")
	tb.click("close-guard-stay")
	tb.waitJS("the question closed", "!"+isOpen("close-guard"))
	tb.escape()
	tb.waitJS("the question on Escape", isOpen("close-guard"))
	tb.escape() // Escape closes the question, not the window
	tb.waitJS("the question closed by Escape", "!"+isOpen("close-guard"))
	if s := tb.waitFor("the keys", func(s screen) bool { return true }); s.Mark != "" || !s.KeysShown || s.Path != "/api-credentials" {
		t.Fatalf("after going back to the keys: %v; want the same page with the keys", s)
	}
}

// checkNoShadowWhenNothingScrolls: a window body that fits draws no scroll
// shadow at its top: with its content hidden, the strip under the title is
// the surface's colour only.
func checkNoShadowWhenNothingScrolls(t *testing.T, tb *tab) {
	t.Helper()
	if tb.dev.mobile {
		return // the phone's window scrolls: its shadow is meant
	}
	scrolls := eval[bool](tb, `(() => {
  const body = document.querySelector('.dialog-body');
  for (const el of body.children) el.style.visibility = 'hidden';
  return body.scrollHeight > body.clientHeight + 1;
})()`)
	if scrolls {
		t.Fatal("the window's body scrolls on the laptop; the check needs one that fits")
	}
	shot := tb.clipShot(`.dialog-body`, 14)
	eval[chromedp.Void](tb, `for (const el of document.querySelector('.dialog-body').children) el.style.visibility = ''`)
	if n := len(shot); n > 1 {
		t.Errorf("the top of a window body that does not scroll shows %d colours %v; want the surface only", n, shot)
	}
}

// clipShot photographs the top height CSS pixels of the element and returns
// the distinct colours in it.
func (tb *tab) clipShot(selector string, height float64) map[string]int {
	tb.t.Helper()
	type box struct{ X, Y, W float64 }
	b := eval[box](tb, `(() => { const r = document.querySelector(`+jsString(selector)+`).getBoundingClientRect();
  return {X: r.left, Y: r.top, W: r.width}; })()`)
	ctx, cancel := tb.stepCtx()
	defer cancel()
	png, err := chromedp.Call(ctx, page.CaptureScreenshot, page.CaptureScreenshotParams{
		Format: page.CaptureScreenshotFormatPng,
		Clip:   &page.Viewport{X: b.X + 2, Y: b.Y, Width: b.W - 4, Height: height, Scale: 1},
	})
	if err != nil {
		tb.t.Fatalf("photographing %s: %v", selector, err)
	}
	return pngColours(tb.t, png.Data)
}

// checkConfirmDeactivate: Deactivate asks first, naming the key; Cancel and
// Escape keep everything; a double click on the confirmation's Deactivate
// sends one request.
func checkConfirmDeactivate(t *testing.T, tb *tab, base string) {
	t.Helper()
	before := tb.waitFor("Activated", func(s screen) bool { return s.Status == "Activated" })
	tb.click("deactivate")
	tb.waitJS("the Deactivate confirmation", isOpen("confirm-deactivate"))
	if got := eval[string](tb, `document.activeElement.getAttribute('data-testid')`); got != "confirm-deactivate-cancel" {
		t.Errorf("the confirmation opens with the focus on %q, want Cancel", got)
	}
	key := []rune(before.AccessKey)
	if got, want := text(tb, "confirm-deactivate-key"), "••••"+string(key[len(key)-4:]); got != want {
		t.Errorf("the confirmation names the key %q, want %q", got, want)
	}
	if got := text(tb, "confirm-deactivate"); !strings.Contains(got, "stop working at once") || !strings.Contains(got, "Last used") {
		t.Errorf("the confirmation says %q", got)
	}
	tb.checkPage("the Deactivate confirmation")
	tb.screenshot("window-confirm-deactivate")
	tb.click("confirm-deactivate-cancel")
	tb.waitJS("Cancel", "!"+isOpen("confirm-deactivate"))
	tb.click("deactivate")
	tb.waitJS("the confirmation again", isOpen("confirm-deactivate"))
	tb.escape()
	tb.waitJS("Escape", "!"+isOpen("confirm-deactivate"))
	if s := tb.waitFor("the window after Cancel and Escape", func(s screen) bool { return true }); s.Status != "Activated" || s.Path != "/api-credentials" {
		t.Fatalf("after Cancel and Escape: %v; want the window, Activated", s)
	}
	tb.click("deactivate")
	tb.waitJS("the confirmation a third time", isOpen("confirm-deactivate"))
	tb.doubleClickOnce(base, "confirm-deactivate-submit", "/api-credentials/deactivate", "Deactivating…")
	s := tb.waitFor("Pending Deactivation", func(s screen) bool { return s.Status == "Pending Deactivation" })
	if s.Notice != "" {
		t.Errorf("after a double click on Deactivate the window says %q", s.Notice)
	}
}

// TestDeactivateWithoutScriptAsksOnAPage: with JavaScript off, Deactivate
// answers the confirmation as a page; its Cancel keeps everything, its
// Deactivate deactivates.
func TestDeactivateWithoutScriptAsksOnAPage(t *testing.T) {
	srv := startServer(t, "--activator", "local")
	tb := startBrowser(t)
	base := srv.LocalURL()
	tb.login(base, "admin", srv.Passwords["admin"])
	tb.openWindowFromMenu()
	tb.clickAndLoad("generate")
	tb.waitFor("Activated", func(s screen) bool { return s.Status == "Activated" })
	if _, err := chromedp.Call(tb.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("turning JavaScript off: %v", err)
	}
	if code := tb.navigate(base + "/api-credentials"); code != 200 {
		t.Fatalf("GET /api-credentials: %d", code)
	}
	if code := tb.clickAndLoad("deactivate"); code != 200 {
		t.Fatalf("Deactivate without script answered %d, want the confirmation, 200", code)
	}
	tb.waitJS("the confirmation page", isOpen("confirm-deactivate"))
	tb.waitVisible("confirm-deactivate-submit")
	// axe-core cannot run with scripts off; the same confirmation is
	// checked with it in TestWindowMoments.
	if l := tb.layout(); l.ScrollWidth > l.InnerWidth {
		t.Errorf("the confirmation page is %.0f px wide in a %.0f px viewport", l.ScrollWidth, l.InnerWidth)
	}
	tb.screenshot("window-confirm-deactivate-no-script")
	tb.click("confirm-deactivate-cancel")
	tb.waitJS("Cancel without script", "!"+isOpen("confirm-deactivate"))
	if s := tb.waitFor("the window", func(s screen) bool { return true }); s.Status != "Activated" {
		t.Fatalf("after Cancel: %v; want Activated", s)
	}
	tb.clickAndLoad("deactivate")
	tb.waitJS("the confirmation page again", isOpen("confirm-deactivate"))
	if code := tb.clickAndLoad("confirm-deactivate-submit"); code != 200 {
		t.Fatalf("confirming answered %d, want the window after its redirect", code)
	}
	tb.waitFor("Pending Deactivation or Deactivated", func(s screen) bool {
		return s.Status == "Pending Deactivation" || s.Status == "Deactivated"
	})
}

// TestLiveStatusSaysWhenItStopsChecking: the window says it is checking
// while the status is pending, and once it stops polling (after ten
// minutes, here shortened) it says to reopen the window.
func TestLiveStatusSaysWhenItStopsChecking(t *testing.T) {
	hook := startGatedHook(t)
	srv := startServer(t, "--activator", "webhook", "--webhook-url", hook.URL)
	tb := startBrowser(t)
	if _, err := chromedp.Call(tb.ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: "window.ESP_POLL_FOR_MS = 2000;"}); err != nil {
		t.Fatal(err)
	}
	tb.login(srv.LocalURL(), "admin", srv.Passwords["admin"])
	tb.openWindowFromMenu()
	tb.clickAndLoad("generate")
	tb.waitJS("Checking…", `!document.querySelector('[data-testid="status-checking"]').hidden`)
	tb.waitJS("the note that checking stopped", `!document.querySelector('[data-testid="status-stale"]').hidden`)
	if got := text(tb, "status-stale"); !strings.Contains(got, "reopen the window") {
		t.Errorf("once polling stopped the window says %q", got)
	}
	if eval[bool](tb, `!document.querySelector('[data-testid="status-checking"]').hidden`) {
		t.Error("the window still says Checking… after polling stopped")
	}
	tb.checkPage("the window, polling stopped")
}

// pngColours are the distinct colours of a PNG's pixels, with their counts.
func pngColours(t *testing.T, b []byte) map[string]int {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decoding a screenshot: %v", err)
	}
	colours := map[string]int{}
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			colours[fmt.Sprintf("#%02x%02x%02x", cr>>8, cg>>8, cb>>8)]++
		}
	}
	return colours
}
