package e2e_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

const (
	// testTimeout bounds a whole test, browser included: a hung browser
	// fails the test instead of hanging the run.
	testTimeout = 60 * time.Second
	// stepTimeout bounds one wait for something to appear on screen.
	stepTimeout = 15 * time.Second
)

// device is a screen the tests emulate: its CSS viewport, its pixel density
// and whether it is a phone (mobile viewport rules, touch).
type device struct {
	name          string
	width, height int64
	scale         float64
	mobile        bool
}

// The two screens every journey runs on: a laptop and a phone.
var (
	desktop = device{name: "desktop", width: 1280, height: 800, scale: 1}
	phone   = device{name: "mobile", width: 390, height: 844, scale: 3, mobile: true}
	devices = []device{desktop, phone}
)

// emulate sets the tab's viewport to the device.
func (d device) emulate() chromedp.Action[chromedp.Void] {
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(d.scale)}
	if d.mobile {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
	}
	return chromedp.EmulateViewport(d.width, d.height, opts...)
}

const skipMessage = "BROWSER TESTS SKIPPED: no Chromium found; install chromium or set CHROME_PATH"

// skipOnce prints skipMessage to stderr once per run, besides each test's
// own skip line.
var skipOnce sync.Once

// findChrome returns the browser to drive: $CHROME_PATH, else the first of
// chromium, chromium-browser and google-chrome on PATH.
func findChrome() (string, error) {
	if p := os.Getenv("CHROME_PATH"); p != "" {
		path, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("CHROME_PATH=%s: %w", p, err)
		}
		return path, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", errors.New("none of chromium, chromium-browser, google-chrome is on PATH and CHROME_PATH is not set")
}

// requireChrome returns the browser's path. Without one the test skips
// loudly, or fails under CI=true (or any true value), where a missing browser means the
// machine was not set up.
func requireChrome(t *testing.T) string {
	t.Helper()
	path, err := findChrome()
	if err == nil {
		return path
	}
	if underCI, _ := strconv.ParseBool(os.Getenv("CI")); underCI {
		t.Fatalf("browser tests cannot run under CI=true: %v; install chromium or set CHROME_PATH", err)
	}
	skipOnce.Do(func() { fmt.Fprintf(os.Stderr, "%s (%v)\n", skipMessage, err) })
	t.Skip(skipMessage)
	return ""
}

// startBrowser starts a headless Chromium on the desktop screen; see
// startBrowserOn.
func startBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) *tab {
	t.Helper()
	return startBrowserOn(t, desktop, extra...)
}

// startBrowserOn starts a headless Chromium with a fresh profile, emulating
// dev, and returns the context of its first tab. The browser dies when the
// test ends or when testTimeout passes, whichever comes first.
func startBrowserOn(t *testing.T, dev device, extra ...chromedp.ExecAllocatorOption) *tab {
	t.Helper()
	path := requireChrome(t)
	if espBinary == "" {
		t.Fatal("the esp binary was not built")
	}
	profile := t.TempDir() // removed after the browser has exited: cleanups run in reverse
	out := &lockedBuffer{}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profile),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 1000),
		chromedp.CombinedOutput(out),
	)
	opts = append(opts, extra...)

	ctx, cancelTest := context.WithTimeout(context.Background(), testTimeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithErrorf(func(format string, args ...any) {
		fmt.Fprintf(out, "chromedp: "+format+"\n", args...)
	}))
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc() // waits for the browser process to exit
		cancelTest()
		if t.Failed() {
			t.Logf("browser output:\n%s", out.String())
		}
	})
	// The first Do starts the browser and opens the first tab.
	if err := chromedp.Do(browserCtx, dev.emulate()); err != nil {
		t.Fatalf("starting %s: %v\n%s", path, err, out.String())
	}
	return watchTab(t, browserCtx, dev)
}

// tab is one browser tab driven by a test.
type tab struct {
	t   *testing.T
	ctx context.Context
	dev device

	// scheme is the colour scheme the tab emulates: light (the default)
	// or dark.
	scheme string

	mu       sync.Mutex
	problems []string // uncaught exceptions and CSP violations seen on its pages
}

// newTab opens another tab in the same browser as parent.
func newTab(t *testing.T, parent *tab) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(parent.ctx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, parent.dev.emulate()); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	return watchTab(t, ctx, parent.dev)
}

// watchTab wraps ctx and fails the test, when it ends, if a page in the tab
// threw an uncaught exception or broke the Content-Security-Policy: broken
// browser code must not pass quietly.
func watchTab(t *testing.T, ctx context.Context, dev device) *tab {
	tb := &tab{t: t, ctx: ctx, dev: dev}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || strings.Contains(m.Text, "Content Security Policy") {
				tb.mu.Lock()
				tb.problems = append(tb.problems, fmt.Sprintf("%s:%d: %s", m.URL, m.Line+1, m.Text))
				tb.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		for _, p := range tb.problems {
			t.Errorf("browser console: %s", p)
		}
	})
	return tb
}

// testID is the CSS selector of a data-testid hook.
func testID(id string) chromedp.CSS { return chromedp.CSS(fmt.Sprintf("[data-testid=%q]", id)) }

// stepCtx bounds one wait inside the test's own deadline.
func (tb *tab) stepCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(tb.ctx, stepTimeout)
}

// navigate loads url and returns the HTTP status of the page.
func (tb *tab) navigate(url string) int64 {
	tb.t.Helper()
	ctx, cancel := tb.stepCtx()
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		tb.t.Fatalf("loading %s: %v", url, err)
	}
	return resp.Status
}

// waitVisible waits until the element with the test id is on screen.
func (tb *tab) waitVisible(id string) {
	tb.t.Helper()
	ctx, cancel := tb.stepCtx()
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(testID(id))); err != nil {
		tb.t.Fatalf("[data-testid=%s] is not visible after %v: %v", id, stepTimeout, err)
	}
}

// click clicks the visible element with the test id, like a person: a mouse
// click at its centre.
func (tb *tab) click(id string) {
	tb.t.Helper()
	ctx, cancel := tb.stepCtx()
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Click(testID(id))); err != nil {
		tb.t.Fatalf("clicking [data-testid=%s]: %v", id, err)
	}
}

// clickAndLoad clicks an element that loads a new page (a link, a form
// button) and returns the HTTP status of that page, after any redirect.
func (tb *tab) clickAndLoad(id string) int64 {
	tb.t.Helper()
	ctx, cancel := tb.stepCtx()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(testID(id)))
	if err != nil {
		tb.t.Fatalf("clicking [data-testid=%s] and waiting for the next page: %v", id, err)
	}
	return resp.Status
}

// pressKey sends one key to the focused element.
func (tb *tab) pressKey(key string) {
	tb.t.Helper()
	ctx, cancel := tb.stepCtx()
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.KeyEvent(key)); err != nil {
		tb.t.Fatalf("pressing %q: %v", key, err)
	}
}

// escape presses the Escape key.
func (tb *tab) escape() { tb.t.Helper(); tb.pressKey(kb.Escape) }

// bringToFront makes the tab the active one, as a person switching tabs.
func (tb *tab) bringToFront() {
	tb.t.Helper()
	ctx, cancel := tb.stepCtx()
	defer cancel()
	if _, err := chromedp.Call(ctx, page.BringToFront, cdp.Empty{}); err != nil {
		tb.t.Fatalf("bringing the tab to the front: %v", err)
	}
}

// eval runs a JavaScript expression in the page and decodes its value into T.
func eval[T any](tb *tab, expr string, opts ...chromedp.EvaluateOption) T {
	tb.t.Helper()
	ctx, cancel := tb.stepCtx()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		tb.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// login signs in through the login form and waits for the app's user menu.
func (tb *tab) login(baseURL, username, password string) {
	tb.t.Helper()
	if code := tb.navigate(baseURL + "/login"); code != 200 {
		tb.t.Fatalf("GET /login: %d, want 200", code)
	}
	ctx, cancel := tb.stepCtx()
	defer cancel()
	form := `[data-testid="login-form"] `
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(form+`input[name="username"]`), username),
		chromedp.SendKeys(chromedp.CSS(form+`input[name="password"]`), password),
	); err != nil {
		tb.t.Fatalf("filling in the login form: %v", err)
	}
	if code := tb.clickAndLoad("login-submit"); code != 200 {
		tb.t.Fatalf("logging in as %s: the next page answered %d, want 200", username, code)
	}
	tb.waitVisible("user-menu")
}

// grantClipboard lets pages of origin read and write the clipboard without
// asking, as a person would allow when the browser asks.
func (tb *tab) grantClipboard(origin string) {
	tb.t.Helper()
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		_, err := chromedp.CallBrowser(tb.ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name},
			Setting:    browser.PermissionSettingGranted,
			Origin:     origin,
		})
		if err != nil {
			tb.t.Fatalf("granting %s to %s: %v", name, origin, err)
		}
	}
}

// writeClipboard puts text on the clipboard from the page (which must be a
// secure context with clipboard-write granted).
func (tb *tab) writeClipboard(text string) {
	tb.t.Helper()
	eval[chromedp.Void](tb, "navigator.clipboard.writeText("+jsString(text)+")", chromedp.EvalAwaitPromise)
}

// readClipboard reads the clipboard from the page (which must be a secure
// context with clipboard-read granted).
func (tb *tab) readClipboard() string {
	tb.t.Helper()
	return eval[string](tb, "navigator.clipboard.readText()", chromedp.EvalAwaitPromise)
}

// screenshot writes a full-page PNG of the tab to the screenshot folder,
// named for the device, the scheme when dark, and name:
// desktop-window-1-no-credentials.png, mobile-dark-window-2-….png.
func (tb *tab) screenshot(name string) {
	tb.t.Helper()
	prefix := tb.dev.name
	if tb.scheme == dark {
		prefix += "-dark"
	}
	name = prefix + "-" + name
	ctx, cancel := tb.stepCtx()
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := screenshotDir(tb.t)
	file := filepath.Join(dir, name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		tb.t.Fatalf("screenshot %s: %v", name, err)
	}
	tb.t.Logf("screenshot: %s", file)
}

var (
	screenshotsOnce sync.Once
	screenshots     string
	screenshotsErr  error
)

// screenshotDir is $ESP_SCREENSHOTS, or a temporary folder that outlives the
// run so that the pictures can be looked at afterwards.
func screenshotDir(t *testing.T) string {
	t.Helper()
	screenshotsOnce.Do(func() {
		if screenshots = os.Getenv("ESP_SCREENSHOTS"); screenshots != "" {
			screenshotsErr = os.MkdirAll(screenshots, 0o755)
			return
		}
		screenshots, screenshotsErr = os.MkdirTemp("", "esp-screenshots-")
	})
	if screenshotsErr != nil {
		t.Fatalf("screenshot folder: %v", screenshotsErr)
	}
	return screenshots
}
