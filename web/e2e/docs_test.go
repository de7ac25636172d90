package e2e_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// colorSchemes are the schemes a page is checked in.
var colorSchemes = []string{"light", "dark"}

// prefersColorScheme makes the tab's pages see prefers-color-scheme as
// scheme.
func (tb *tab) prefersColorScheme(scheme string) {
	tb.t.Helper()
	ctx, cancel := tb.stepCtx()
	defer cancel()
	features := []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: features}); err != nil {
		tb.t.Fatalf("emulating prefers-color-scheme: %s: %v", scheme, err)
	}
}

// The API reference is open to anyone, fits a phone and passes axe-core in
// both colour schemes.
func TestAPIDocsPage(t *testing.T) {
	srv := startServer(t, "--activator", "local")
	for _, dev := range devices {
		t.Run(dev.name, func(t *testing.T) {
			tb := startBrowserOn(t, dev)
			for _, scheme := range colorSchemes {
				tb.prefersColorScheme(scheme)
				if code := tb.navigate(srv.LocalURL() + "/api/docs"); code != 200 {
					t.Fatalf("GET /api/docs: %d, want 200", code)
				}
				tb.waitVisible("api-docs")
				if n := eval[int](tb, `document.querySelectorAll('[data-testid="api-operation"]').length`); n < 10 {
					t.Errorf("the page shows %d operations", n)
				}
				tb.checkPage("the API reference, " + scheme)
			}
		})
	}
}

// The window's refusals: a non-admin is told who manages API credentials,
// an admin whose tenant has the public API off who can turn it on; both
// pages fit a phone and pass axe-core in both colour schemes.
func TestRefusalPages(t *testing.T) {
	srv := startServer(t, "--activator", "local")
	for _, dev := range devices {
		t.Run(dev.name, func(t *testing.T) {
			tb := startBrowserOn(t, dev)
			tb.login(srv.LocalURL(), "viewer", srv.Passwords["viewer"])
			tb.checkRefusal(srv, "refusal-viewer", "the viewer's refusal", "admin")
			admin := startBrowserOn(t, dev) // a browser of its own: tabs share cookies
			admin.login(srv.LocalURL(), "admin", srv.Passwords["admin"])
			esp(t, srv, "tenant", "feature", "demo", "public-api", "off")
			t.Cleanup(func() { esp(t, srv, "tenant", "feature", "demo", "public-api", "on") })
			admin.checkRefusal(srv, "refusal-api-off", "the admin's refusal, public API off", "esp tenant feature demo public-api on")
		})
	}
}

// checkRefusal opens the window's address, expects 404 with want in the
// page's explanation, and checks the page in both colour schemes, taking
// a screenshot of each called shot.
func (tb *tab) checkRefusal(srv *server, shot, what, want string) {
	tb.t.Helper()
	for _, scheme := range colorSchemes {
		tb.prefersColorScheme(scheme)
		if code := tb.navigate(srv.LocalURL() + "/api-credentials"); code != 404 {
			tb.t.Fatalf("%s: GET /api-credentials: %d, want 404", what, code)
		}
		tb.waitVisible("refusal-who")
		if text := eval[string](tb, `document.querySelector('main').innerText`); !strings.Contains(text, want) {
			tb.t.Errorf("%s: the page does not say %q:\n%s", what, want, text)
		}
		tb.checkPage(what + ", " + scheme)
		tb.screenshot(shot + "-" + scheme)
	}
}

// esp runs an esp command on the server's data folder.
func esp(t *testing.T, srv *server, args ...string) {
	t.Helper()
	out, err := exec.Command(espBinary, append(args, "--data", srv.Data)...).CombinedOutput()
	if err != nil {
		t.Fatalf("esp %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}
