package e2e_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The documented key formats (docs/security.md, "Keys").
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
// browser, on a laptop and on a phone: open the window from the user menu,
// Generate, copy both keys, see the status turn Activated by itself, close
// and reopen to find the keys masked, Deactivate and see it through to
// Deactivated, then log out. The activation webhook holds each call until
// the test lets it through, so every pending status stays on screen exactly
// as long as the test looks at it. Every page is checked for what a careful
// admin would notice (checkPage: no sideways scrolling, unbroken dates, the
// window's buttons on screen, no axe-core violation).
func TestAdminJourney(t *testing.T) {
	for _, dev := range devices {
		t.Run(dev.name, func(t *testing.T) { adminJourney(t, dev) })
	}
}

func adminJourney(t *testing.T, dev device) {
	hook := startGatedHook(t)
	srv := startServer(t, "--activator", "webhook", "--webhook-url", hook.URL)
	tb := startBrowserOn(t, dev)
	base := srv.LocalURL()
	tb.grantClipboard(base)

	// 1. Log in; the username is in the top corner; open the user menu and
	// pick API Credentials: the window opens with No Credentials.
	if code := tb.navigate(base + "/login"); code != 200 {
		t.Fatalf("GET /login: %d, want 200", code)
	}
	tb.checkPage("the login page")
	tb.checkFavicon()
	tb.screenshot("login")
	tb.login(base, "admin", srv.Passwords["admin"])
	checkUserMenuTopRight(t, tb, "admin")
	tb.checkPage("the home page")
	tb.checkWideTableStaysInItsBox()
	tb.screenshot("home")
	tb.checkFocusRing("the home page", tb.tabTo("user-menu"))
	tb.click("user-menu")
	tb.waitVisible("logout")
	tb.checkMenuSeparator()
	tb.checkPage("the open user menu")
	tb.screenshot("home-menu")
	tb.escape()
	s := tb.openWindowFromMenu()
	if s.Status != "No Credentials" || !s.Generate || s.Deactivate {
		t.Fatalf("a new tenant's window: %v; want No Credentials with only Generate enabled", s)
	}
	if s.AccessKey != "" || s.SecretKey != "" || s.CopyAccessKey || s.CopySecretKey {
		t.Fatalf("No Credentials shows keys or Copy buttons: %v", s)
	}
	if s.Created != "—" || s.LastUsed != "—" {
		t.Errorf("No Credentials: Created %q and Last used %q, want both \"—\"", s.Created, s.LastUsed)
	}
	tb.checkPage("the window, No Credentials")
	tb.screenshot("window-1-no-credentials")
	tb.checkFocusRing("the window", tb.tabTo("generate"))

	// 2. Generate: Pending Activation with both full keys, each copied by
	// its Copy button. Saying "Copied" moves neither key.
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
	pendingTop := tb.checkPage("the Generate answer").DialogTop
	tb.checkStatusLooks()
	tb.screenshot("window-2-pending-activation")
	boxes := tb.checkKeysWrapEvenly("the Generate answer")
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
		for id, after := range tb.keyBoxes() {
			if b := boxes[id]; after.Width != b.Width || after.Height != b.Height {
				t.Errorf("after %s says Copied, %s is %.1f×%.1f px, was %.1f×%.1f: the key moved", c.button, id, after.Width, after.Height, b.Width, b.Height)
			}
		}
	}
	tb.checkPage("the Generate answer, both keys copied")
	tb.screenshot("window-2-pending-activation-copied")

	// 3. Without a reload the status turns Activated, and the one-time keys
	// stay on screen; the window's top does not move.
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
	if top := tb.checkPage("Activated, with the new keys").DialogTop; top != pendingTop {
		t.Errorf("the window's top moved from %.1f to %.1f px when the status turned Activated", pendingTop, top)
	}
	tb.screenshot("window-3-activated-new-keys")

	// 4. Close and reopen: Activated, keys masked to the last 4, no Copy.
	// Close gives the focus back to the user menu it was opened from.
	if code := tb.clickAndLoad("close-window"); code != 200 {
		t.Fatalf("Close answered %d, want 200", code)
	}
	tb.waitFor("the home page after Close, the user menu focused", func(s screen) bool {
		return s.Path == "/" && !s.WindowOpen && s.Focused == "user-menu"
	})
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
	if s.LastUsed != "Never" {
		t.Errorf("reopened: Last used %q, want Never", s.LastUsed)
	}
	tb.checkPage("the window, Activated")
	tb.screenshot("window-4-activated")

	// Escape closes the window too, and gives the focus back to the menu.
	tb.escape()
	tb.waitFor("the home page after Escape, the user menu focused", func(s screen) bool {
		return s.Path == "/" && !s.WindowOpen && s.Focused == "user-menu"
	})
	tb.openWindowFromMenu()

	// 5. Deactivate: Pending Deactivation, then Deactivated by itself;
	// Generate is available again.
	if code := tb.confirmDeactivate(); code != 200 {
		t.Fatalf("Deactivate answered %d, want 200 after its redirect", code)
	}
	s = tb.waitFor("Pending Deactivation", func(s screen) bool { return s.WindowOpen && s.Status == "Pending Deactivation" })
	if s.Generate || s.Deactivate {
		t.Fatalf("Pending Deactivation: %v; want Generate and Deactivate both unavailable", s)
	}
	if s.AccessKey != mask(accessKey) || s.SecretKey != mask(secretKey) {
		t.Fatalf("Pending Deactivation keys %q and %q, want them masked", s.AccessKey, s.SecretKey)
	}
	pendingTop = tb.checkPage("the window, Pending Deactivation").DialogTop
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
	if top := tb.checkPage("the window, Deactivated").DialogTop; top != pendingTop {
		t.Errorf("the window's top moved from %.1f to %.1f px when the status turned Deactivated", pendingTop, top)
	}
	tb.screenshot("window-6-deactivated")

	if code := tb.clickAndLoad("close-window"); code != 200 {
		t.Fatalf("Close answered %d, want 200", code)
	}
	s = tb.openWindowFromMenu()
	if s.Status != "Deactivated" || !s.Generate || s.Deactivate {
		t.Fatalf("reopened after deactivation: %v; want Deactivated with only Generate enabled", s)
	}

	// 6. Log out from the menu: the login page says so.
	if code := tb.clickAndLoad("close-window"); code != 200 {
		t.Fatalf("Close answered %d, want 200", code)
	}
	tb.click("user-menu")
	tb.waitVisible("logout")
	if code := tb.clickAndLoad("logout"); code != 200 {
		t.Fatalf("Log out answered %d, want 200 after its redirect", code)
	}
	s = tb.waitFor("the login page after Log out", func(s screen) bool { return s.Path == "/login" })
	if s.LoginNotice != "You have been logged out." {
		t.Errorf("after Log out the login page says %q, want \"You have been logged out.\"", s.LoginNotice)
	}
	tb.checkPage("the login page after Log out")
	tb.screenshot("logged-out")
}

// TestFailedStatuses reaches Activation Failed and Deactivation Failed, on a
// laptop and on a phone, with a webhook that refuses the action and a
// timeout of a second, and checks each page as the journey does. When
// activation fails while the one-time keys are on screen, the warning says
// they will never work and Copy and Download go.
func TestFailedStatuses(t *testing.T) {
	for _, dev := range devices {
		// The phone in the dark scheme, the laptop in the light one.
		scheme := map[bool]string{true: dark, false: light}[dev.mobile]
		t.Run(dev.name, func(t *testing.T) {
			t.Run("activation", func(t *testing.T) { activationFailsWithKeysOnScreen(t, dev, scheme) })
			t.Run("deactivation", func(t *testing.T) {
				tb := generateWithFailingHook(t, dev, scheme, "deactivate")
				tb.waitFor("Activated, live", func(s screen) bool { return s.Status == "Activated" })
				tb.closeAnyway() // the secret key was neither copied nor downloaded
				tb.openWindowFromMenu()
				if code := tb.confirmDeactivate(); code != 200 {
					t.Fatalf("Deactivate answered %d, want 200 after its redirect", code)
				}
				s := tb.waitFor("Deactivation Failed, live", func(s screen) bool { return s.Status == "Deactivation Failed" })
				if !s.Generate || s.Deactivate {
					t.Fatalf("Deactivation Failed: %v; want only Generate enabled", s)
				}
				tb.checkPage("the window, Deactivation Failed")
				tb.screenshot("window-8-deactivation-failed")
			})
		})
	}
}

// generateWithFailingHook starts a server whose webhook refuses action
// (which then times out after a second), signs in on dev in scheme and
// presses Generate.
func generateWithFailingHook(t *testing.T, dev device, scheme, action string) *tab {
	t.Helper()
	hook := startFailingHook(t, action)
	timeout := map[string]string{"activate": "--activation-timeout", "deactivate": "--deactivation-timeout"}[action]
	srv := startServer(t, "--activator", "webhook", "--webhook-url", hook.URL, timeout, "1s")
	tb := startBrowserOn(t, dev)
	tb.useScheme(scheme)
	tb.login(srv.LocalURL(), "admin", srv.Passwords["admin"])
	tb.openWindowFromMenu()
	if code := tb.clickAndLoad("generate"); code != 200 {
		t.Fatalf("Generate answered %d, want 200", code)
	}
	return tb
}

// activationFailsWithKeysOnScreen: Generate with a webhook that refuses;
// the status turns Activation Failed while the one-time keys are shown.
func activationFailsWithKeysOnScreen(t *testing.T, dev device, scheme string) {
	tb := generateWithFailingHook(t, dev, scheme, "activate")
	s := tb.waitFor("Activation Failed, live", func(s screen) bool { return s.Status == "Activation Failed" })
	if !s.KeysShown || !s.Generate || s.Deactivate {
		t.Fatalf("Activation Failed after Generate: %v; want the keys still shown and only Generate enabled", s)
	}
	// Keys that will never work are not to be saved: the warning
	// says so, Copy and Download go, and Close asks nothing.
	s = tb.waitFor("the warning about keys that will never work", func(s screen) bool {
		return s.Warning == keysNeverWork && !s.CopyAccessKey && !s.CopySecretKey && !s.Download
	})
	if !s.KeysShown {
		t.Fatalf("Activation Failed: %v; want the keys still on screen", s)
	}
	tb.checkPage("the Generate answer, Activation Failed")
	tb.screenshot("window-7-activation-failed-new-keys")
	if code := tb.clickAndLoad("close-window"); code != 200 {
		t.Fatalf("Close after Activation Failed answered %d, want the home page at once", code)
	}
	tb.openWindowFromMenu()
	tb.checkPage("the window, Activation Failed")
	tb.screenshot("window-7-activation-failed")
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
	for _, dev := range devices {
		t.Run(dev.name, func(t *testing.T) {
			srv := startServer(t, "--activator", "local")
			tb := startBrowserOn(t, dev)
			base := srv.LocalURL()

			tb.login(base, "viewer", srv.Passwords["viewer"])
			checkUserMenuTopRight(t, tb, "viewer")
			tb.click("user-menu")
			tb.waitVisible("logout") // the menu is open
			if eval[bool](tb, `document.querySelector('[data-testid="menu-api-credentials"]') !== null`) {
				t.Fatal("the viewer's menu has an API Credentials item")
			}
			if n := eval[int](tb, `document.querySelectorAll('#user-menu-list [role="separator"]').length`); n != 0 {
				t.Errorf("the viewer's menu has %d separators and one item: want none", n)
			}
			tb.checkPage("the viewer's open user menu")

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
			tb.checkPage("the 404 page")
		})
	}
}
