package e2e_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// screen is what a person sees of the API Credentials window, read in one
// go from the page. A field of an element that is not rendered is its zero
// value.
type screen struct {
	Path string `json:"path"`
	// WindowOpen: the dialog is rendered, has a size and is the topmost
	// element at its centre, so it is really in front of the page.
	WindowOpen bool `json:"windowOpen"`
	// Mark is what markPage left in this document: it survives everything
	// but a page load.
	Mark           string `json:"mark"`
	Status         string `json:"status"`
	Created        string `json:"created"`
	LastUsed       string `json:"lastUsed"`
	AccessKey      string `json:"accessKey"`
	SecretKey      string `json:"secretKey"`
	KeysShown      bool   `json:"keysShown"` // both key fields are rendered with a size
	CopyAccessKey  bool   `json:"copyAccessKey"`
	CopySecretKey  bool   `json:"copySecretKey"`
	AccessKeyMsg   string `json:"accessKeyMsg"` // only when the message is visible
	SecretKeyMsg   string `json:"secretKeyMsg"`
	OneTimeWarning bool   `json:"oneTimeWarning"`
	Generate       bool   `json:"generate"`   // shown and enabled
	Deactivate     bool   `json:"deactivate"` // shown and enabled
	Selection      string `json:"selection"`  // the text the user has selected
	Focused        string `json:"focused"`    // the data-testid of the focused element
	LoginNotice    string `json:"loginNotice"`
	Notice         string `json:"notice"`   // the window's notice (an error or a message), if shown
	Download       bool   `json:"download"` // Download of the one-time keys, shown and enabled
	Warning        string `json:"warning"`  // the one-time warning's text, if shown
}

func (s screen) String() string {
	return fmt.Sprintf("%+v", struct {
		Path, Status, AccessKey, SecretKey, AccessKeyMsg, SecretKeyMsg, Notice   string
		WindowOpen, Generate, Deactivate, CopyAccessKey, CopySecretKey, Download bool
	}{s.Path, s.Status, s.AccessKey, s.SecretKey, s.AccessKeyMsg, s.SecretKeyMsg, s.Notice,
		s.WindowOpen, s.Generate, s.Deactivate, s.CopyAccessKey, s.CopySecretKey, s.Download})
}

const screenJS = `(() => {
  const q = id => document.querySelector('[data-testid="' + id + '"]');
  const shown = el => !!el && el.getClientRects().length > 0 &&
    getComputedStyle(el).visibility !== 'hidden' && getComputedStyle(el).display !== 'none';
  const text = id => { const el = q(id); return shown(el) ? el.textContent.trim() : ''; };
  const usable = id => { const el = q(id); return shown(el) && !el.disabled; };
  const dialog = q('credentials-window');
  let windowOpen = false;
  if (shown(dialog)) {
    const r = dialog.getBoundingClientRect();
    const x = r.left + r.width / 2;
    const y = Math.min(Math.max(r.top + r.height / 2, 1), window.innerHeight - 1);
    const top = document.elementFromPoint(x, y);
    windowOpen = r.width > 0 && r.height > 0 && !!top && dialog.contains(top);
  }
  const key = id => { const el = q(id); return el ? el.textContent : ''; };
  return {
    path: location.pathname,
    windowOpen,
    mark: window.__e2eMark || '',
    status: text('credential-status'),
    created: text('credential-created'),
    lastUsed: text('credential-last-used'),
    accessKey: key('access-key'),
    secretKey: key('secret-key'),
    keysShown: shown(q('access-key')) && shown(q('secret-key')),
    copyAccessKey: usable('copy-access-key'),
    copySecretKey: usable('copy-secret-key'),
    accessKeyMsg: text('copy-access-key-msg'),
    secretKeyMsg: text('copy-secret-key-msg'),
    oneTimeWarning: shown(q('one-time-warning')),
    generate: usable('generate'),
    deactivate: usable('deactivate'),
    selection: String(window.getSelection()),
    focused: (document.activeElement && document.activeElement.getAttribute('data-testid')) || '',
    loginNotice: text('login-notice'),
    notice: text('credential-notice'),
    download: usable('download-keys'),
    warning: text('one-time-warning'),
  };
})()`

// screen reads the window as it is now.
func (tb *tab) screen(ctx context.Context) (screen, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[screen](screenJS))
}

// waitFor polls the screen until ok holds and returns it, or fails the test
// with what was last on screen. A page that is loading is polled again.
func (tb *tab) waitFor(what string, ok func(screen) bool) screen {
	tb.t.Helper()
	ctx, cancel := tb.stepCtx()
	defer cancel()
	var last screen
	var lastErr error
	for {
		s, err := tb.screen(ctx)
		if err == nil && ok(s) {
			return s
		}
		if err == nil {
			last = s
		}
		lastErr = err
		if ctx.Err() != nil {
			tb.t.Fatalf("%s: not on screen after %v; last seen: %v (last error: %v)", what, stepTimeout, last, lastErr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// markPage tags the current document, so that a later check can tell the
// page was not reloaded.
func (tb *tab) markPage(mark string) {
	tb.t.Helper()
	eval[chromedp.Void](tb, "window.__e2eMark = "+jsString(mark))
}

// openWindowFromMenu opens the user menu, picks API Credentials and waits
// for the window to be in front.
func (tb *tab) openWindowFromMenu() screen {
	tb.t.Helper()
	tb.click("user-menu")
	tb.waitVisible("menu-api-credentials")
	if code := tb.clickAndLoad("menu-api-credentials"); code != 200 {
		tb.t.Fatalf("API Credentials from the menu: %d, want 200", code)
	}
	return tb.waitFor("the API Credentials window", func(s screen) bool { return s.WindowOpen })
}

// headerBox is where the user menu button sits in the viewport.
type headerBox struct {
	Text          string  `json:"text"`
	Left          float64 `json:"left"`
	Top           float64 `json:"top"`
	Right         float64 `json:"right"`
	Bottom        float64 `json:"bottom"`
	ViewportWidth float64 `json:"viewportWidth"`
}

func (tb *tab) userMenuBox() headerBox {
	tb.t.Helper()
	return eval[headerBox](tb, `(() => {
  const el = document.querySelector('[data-testid="user-menu"]');
  const r = el.getBoundingClientRect();
  return {text: el.textContent.trim(), left: r.left, top: r.top, right: r.right, bottom: r.bottom,
          viewportWidth: document.documentElement.clientWidth};
})()`)
}

// checkUserMenuTopRight asserts the username is in the top right corner.
func checkUserMenuTopRight(t *testing.T, tb *tab, username string) {
	t.Helper()
	b := tb.userMenuBox()
	if b.Text != username {
		t.Fatalf("user menu says %q, want %q", b.Text, username)
	}
	if b.Left < b.ViewportWidth/2 || b.Right < b.ViewportWidth*0.8 || b.Top > 100 || b.Bottom <= b.Top {
		t.Fatalf("user menu at %+v: want it in the top right corner of a %.0fpx wide viewport", b, b.ViewportWidth)
	}
}
