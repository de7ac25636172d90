package e2e_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The documented key formats (README, "Keys").
var (
	accessKeyFormat = regexp.MustCompile(`^ESPAK[A-Z2-7]{24}$`)
	secretKeyFormat = regexp.MustCompile(`^espsk_[a-z2-7]{59}$`)
)

// mask is how the window shows a key after the Generate answer: only its last 4
// characters.
func mask(key string) string { return "••••••••" + key[len(key)-4:] }

// copyMessage is what the page says after Copy: "Copied" or the manual
// fallback, never nothing.
const (
	copied       = "Copied"
	manualPrefix = "Select and copy manually"
)

// TestAdminJourney walks an ESP admin through the seed's steps in a real
// browser: open the window from the user menu, Generate, copy both keys, see
// the status turn Activated by itself, close and reopen to find the keys
// masked, Deactivate and see it through to Deactivated. The activation
// webhook holds each call until the test lets it through, so every pending
// status stays on screen exactly as long as the test looks at it.
func TestAdminJourney(t *testing.T) {
	hook := startGatedHook(t)
	srv := startServer(t, "--activator", "webhook", "--webhook-url", hook.URL)
	tb := startBrowser(t)
	base := srv.LocalURL()
	tb.grantClipboard(base)

	// 1. Log in; the username is in the top corner; open the user menu and
	// pick API Credentials: the window opens with No Credentials.
	tb.login(base, "admin", srv.Passwords["admin"])
	checkUserMenuTopRight(t, tb, "admin")
	s := tb.openWindowFromMenu()
	if s.Status != "No Credentials" || !s.Generate || s.Deactivate {
		t.Fatalf("a new tenant's window: %v; want No Credentials with only Generate enabled", s)
	}
	if s.AccessKey != "" || s.SecretKey != "" || s.Created != "" || s.CopyAccessKey || s.CopySecretKey {
		t.Fatalf("No Credentials shows keys, a date or Copy buttons: %v", s)
	}
	tb.screenshot("window-1-no-credentials")

	// 2. Generate: Pending Activation with both full keys, each copied by
	// its Copy button.
	if code := tb.clickAndLoad("generate"); code != 200 {
		t.Fatalf("Generate answered %d, want 200", code)
	}
	s = tb.waitFor("the new keys", func(s screen) bool { return s.WindowOpen && s.AccessKey != "" })
	if s.Status != "Pending Activation" || s.Generate || !s.Deactivate {
		t.Fatalf("after Generate: %v; want Pending Activation with only Deactivate enabled", s)
	}
	accessKey, secretKey := s.AccessKey, s.SecretKey
	if !accessKeyFormat.MatchString(accessKey) || !secretKeyFormat.MatchString(secretKey) {
		t.Fatalf("keys %q and %q do not match the documented formats", accessKey, secretKey)
	}
	if !s.KeysShown || !s.CopyAccessKey || !s.CopySecretKey || !s.OneTimeWarning || s.Created == "" {
		t.Fatalf("after Generate: %v; want both keys on screen with Copy buttons, the one-time warning and the creation time", s)
	}
	tb.markPage("the Generate answer")
	for _, c := range []struct {
		button, key string
		msg         func(screen) string
	}{
		{"copy-access-key", accessKey, func(s screen) string { return s.AccessKeyMsg }},
		{"copy-secret-key", secretKey, func(s screen) string { return s.SecretKeyMsg }},
	} {
		before := "clipboard before " + c.button
		tb.writeClipboard(before)
		tb.click(c.button)
		tb.waitFor(c.button+` says "Copied"`, func(s screen) bool { return c.msg(s) == copied })
		if got := tb.readClipboard(); got != c.key {
			t.Fatalf("after %s the clipboard holds %q, want the key %q", c.button, got, c.key)
		}
	}
	tb.screenshot("window-2-pending-activation")

	// 3. Without a reload the status turns Activated, and the one-time keys
	// stay on screen.
	hook.letThrough("activate")
	s = tb.waitFor("Activated, live", func(s screen) bool { return s.Status == "Activated" })
	if s.Mark != "the Generate answer" {
		t.Fatalf("the page was reloaded to show Activated; the live status must update in place")
	}
	if s.AccessKey != accessKey || s.SecretKey != secretKey || !s.KeysShown || !s.CopyAccessKey || !s.CopySecretKey {
		t.Fatalf("Activated live: %v; want the same full keys and Copy buttons still on screen", s)
	}
	if s.Generate || !s.Deactivate {
		t.Fatalf("Activated: %v; want only Deactivate enabled", s)
	}
	tb.screenshot("window-3-activated-new-keys")

	// 4. Close and reopen: Activated, keys masked to the last 4, no Copy.
	if code := tb.clickAndLoad("close-window"); code != 200 {
		t.Fatalf("Close answered %d, want 200", code)
	}
	tb.waitFor("the home page after Close", func(s screen) bool { return s.Path == "/" && !s.WindowOpen })
	s = tb.openWindowFromMenu()
	if s.Status != "Activated" || s.Generate || !s.Deactivate {
		t.Fatalf("reopened: %v; want Activated with only Deactivate enabled", s)
	}
	if s.AccessKey != mask(accessKey) || s.SecretKey != mask(secretKey) {
		t.Fatalf("reopened keys %q and %q, want %q and %q", s.AccessKey, s.SecretKey, mask(accessKey), mask(secretKey))
	}
	if s.CopyAccessKey || s.CopySecretKey || s.OneTimeWarning {
		t.Fatalf("reopened: %v; want no Copy buttons and no one-time warning", s)
	}
	tb.screenshot("window-4-activated")

	// Escape closes the window too.
	tb.escape()
	tb.waitFor("the home page after Escape", func(s screen) bool { return s.Path == "/" && !s.WindowOpen })
	tb.openWindowFromMenu()

	// 5. Deactivate: Pending Deactivation, then Deactivated by itself;
	// Generate is available again.
	if code := tb.clickAndLoad("deactivate"); code != 200 {
		t.Fatalf("Deactivate answered %d, want 200 after its redirect", code)
	}
	s = tb.waitFor("Pending Deactivation", func(s screen) bool { return s.WindowOpen && s.Status == "Pending Deactivation" })
	if s.Generate || s.Deactivate {
		t.Fatalf("Pending Deactivation: %v; want Generate and Deactivate both unavailable", s)
	}
	if s.AccessKey != mask(accessKey) || s.SecretKey != mask(secretKey) {
		t.Fatalf("Pending Deactivation keys %q and %q, want them masked", s.AccessKey, s.SecretKey)
	}
	tb.screenshot("window-5-pending-deactivation")
	tb.markPage("Pending Deactivation")
	hook.letThrough("deactivate")
	s = tb.waitFor("Deactivated, live", func(s screen) bool { return s.Status == "Deactivated" })
	if s.Mark != "Pending Deactivation" {
		t.Fatalf("the page was reloaded to show Deactivated; the live status must update in place")
	}
	if !s.Generate || s.Deactivate {
		t.Fatalf("Deactivated: %v; want only Generate enabled", s)
	}
	tb.screenshot("window-6-deactivated")

	if code := tb.clickAndLoad("close-window"); code != 200 {
		t.Fatalf("Close answered %d, want 200", code)
	}
	s = tb.openWindowFromMenu()
	if s.Status != "Deactivated" || !s.Generate || s.Deactivate {
		t.Fatalf("reopened after deactivation: %v; want Deactivated with only Generate enabled", s)
	}
}

// TestCopyOnPlainHTTP opens the app under a name that is not localhost, over
// plain HTTP, where the page is not a secure context and navigator.clipboard
// does not exist: Copy must still copy the key, or tell the user plainly to
// select and copy it, with the key selected. Never nothing.
func TestCopyOnPlainHTTP(t *testing.T) {
	srv := startServer(t, "--activator", "local")
	plain := startBrowser(t, chromedp.Flag("host-resolver-rules", "MAP esp.test 127.0.0.1"))
	base := "http://esp.test:" + srv.Port

	plain.login(base, "admin", srv.Passwords["admin"])
	if eval[bool](plain, "window.isSecureContext") {
		t.Fatalf("%s is a secure context; the test needs one that is not", base)
	}
	plain.openWindowFromMenu()
	if code := plain.clickAndLoad("generate"); code != 200 {
		t.Fatalf("Generate answered %d, want 200", code)
	}
	s := plain.waitFor("the new keys", func(s screen) bool { return s.AccessKey != "" && s.CopyAccessKey })

	// The clipboard is read back from a localhost tab of the same browser,
	// where reading it can be allowed.
	local := newTab(t, plain)
	if code := local.navigate(srv.LocalURL() + "/login"); code != 200 {
		t.Fatalf("GET /login on localhost: %d", code)
	}
	local.grantClipboard(srv.LocalURL())

	for _, c := range []struct {
		button, key string
		msg         func(screen) string
	}{
		{"copy-access-key", s.AccessKey, func(s screen) string { return s.AccessKeyMsg }},
		{"copy-secret-key", s.SecretKey, func(s screen) string { return s.SecretKeyMsg }},
	} {
		local.bringToFront()
		before := "clipboard before " + c.button
		local.writeClipboard(before)
		plain.bringToFront()
		plain.click(c.button)
		got := plain.waitFor(c.button+" says what happened", func(s screen) bool { return c.msg(s) != "" })
		switch msg := c.msg(got); {
		case msg == copied:
			local.bringToFront()
			if clip := local.readClipboard(); clip != c.key {
				t.Fatalf("%s on plain HTTP says Copied but the clipboard holds %q, want %q", c.button, clip, c.key)
			}
		case strings.HasPrefix(msg, manualPrefix):
			if got.Selection != c.key {
				t.Fatalf("%s on plain HTTP says %q but the selection is %q, want the key", c.button, msg, got.Selection)
			}
		default:
			t.Fatalf("%s on plain HTTP says %q; want %q or %q…", c.button, msg, copied, manualPrefix)
		}
		t.Logf("%s on plain HTTP: %q", c.button, c.msg(got))
	}
	plain.bringToFront()
	plain.screenshot("window-copy-on-plain-http")
}

// TestViewerHasNoAPICredentials: a user who is not an ESP admin finds no API
// Credentials item in the user menu, and the window's address is a 404 page.
func TestViewerHasNoAPICredentials(t *testing.T) {
	srv := startServer(t, "--activator", "local")
	tb := startBrowser(t)
	base := srv.LocalURL()

	tb.login(base, "viewer", srv.Passwords["viewer"])
	checkUserMenuTopRight(t, tb, "viewer")
	tb.click("user-menu")
	tb.waitVisible("logout") // the menu is open
	if eval[bool](tb, `document.querySelector('[data-testid="menu-api-credentials"]') !== null`) {
		t.Fatal("the viewer's menu has an API Credentials item")
	}

	if code := tb.navigate(base + "/api-credentials"); code != 404 {
		t.Fatalf("GET /api-credentials as the viewer: %d, want 404", code)
	}
	tb.waitVisible("error-page")
	if got := eval[string](tb, `document.querySelector('[data-testid="error-code"]').textContent.trim()`); got != "404" {
		t.Fatalf("error page code %q, want 404", got)
	}
	if s := tb.waitFor("the 404 page", func(s screen) bool { return true }); s.WindowOpen || s.Generate {
		t.Fatalf("the viewer sees the window: %v", s)
	}
}
