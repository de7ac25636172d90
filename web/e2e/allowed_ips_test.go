package e2e_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// exchangeFrom is this test program, a client of the public API: it
// exchanges the keys and answers the status and the error's message.
func exchangeFrom(t *testing.T, base, access, secret string) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"accessKeyId": access, "accessKeySecret": secret})
	resp, err := http.Post(base+"/api/v1/token/access-key", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	json.Unmarshal(b, &e)
	if resp.StatusCode != http.StatusOK && e.Error.Code != "ip_not_allowed" {
		t.Fatalf("exchange answered %d %s", resp.StatusCode, b)
	}
	return resp.StatusCode, e.Error.Message
}

// saveAllowedIPs types list into the page's textarea and saves it.
func (tb *tab) saveAllowedIPs(list string) {
	tb.t.Helper()
	eval[bool](tb, `(() => { document.querySelector('[data-testid="allowed-ips"]').value = `+jsString(list)+`; return true; })()`)
	if code := tb.clickAndLoad("allowed-ips-save"); code != 200 {
		tb.t.Fatalf("saving the allowed addresses answered %d, want 200", code)
	}
}

// An admin generates keys for 30 days, opens Allowed addresses from the
// window, sees the address ESP sees, saves a list that leaves out the
// test's client: its exchange is refused, 403 naming its address; clearing
// the list lets it in again. The window then shows where the keys were
// last used from, and the history both changes.
func TestAllowedAddressesJourney(t *testing.T) {
	srv := startServer(t, "--activator", "local")
	tb := startBrowser(t)
	base := srv.LocalURL()
	tb.login(base, "admin", srv.Passwords["admin"])
	tb.openWindowFromMenu()
	eval[bool](tb, `(() => { document.querySelector('[data-testid="generate-expiry"]').value = '30d'; return true; })()`)
	if code := tb.clickAndLoad("generate"); code != 200 {
		t.Fatalf("Generate answered %d, want 200", code)
	}
	s := tb.waitFor("the new keys", func(s screen) bool { return s.AccessKey != "" && s.SecretKey != "" })
	if c := tb.expiryChoice(); !strings.HasSuffix(c.Expires, "UTC, in 30 days") {
		t.Fatalf("keys generated for 30 days expire %q", c.Expires)
	}
	access, secret := s.AccessKey, s.SecretKey
	tb.waitFor("Activated", func(s screen) bool { return s.Status == "Activated" })
	if code, msg := exchangeFrom(t, srv.URL, access, secret); code != http.StatusOK {
		t.Fatalf("exchange before any list: %d %s", code, msg)
	}

	if code := tb.clickAndLoad("allowed-ips-link"); code != 200 {
		t.Fatalf("Allowed addresses answered %d, want 200", code)
	}
	mine := eval[string](tb, `document.querySelector('[data-testid="your-address"]').textContent.trim()`)
	if mine != "127.0.0.1" && mine != "::1" {
		t.Fatalf("your address %q, want the loopback address", mine)
	}
	tb.saveAllowedIPs("203.0.113.77/24\n2001:db8::1")
	if got := eval[string](tb, `document.querySelector('[data-testid="allowed-ips"]').value`); got != "203.0.113.0/24\n2001:db8::1/128" {
		t.Errorf("the saved list shows as %q, want it normalised", got)
	}
	tb.checkPage("the allowed addresses page")
	tb.screenshot("allowed-addresses")
	code, msg := exchangeFrom(t, srv.URL, access, secret)
	if code != http.StatusForbidden || !strings.Contains(msg, "127.0.0.1") {
		t.Fatalf("exchange from outside the list: %d %q, want 403 naming 127.0.0.1", code, msg)
	}

	tb.saveAllowedIPs("")
	if code, msg := exchangeFrom(t, srv.URL, access, secret); code != http.StatusOK {
		t.Fatalf("exchange once the list is cleared: %d %s", code, msg)
	}
	tb.navigate(base + "/api-credentials")
	from := eval[string](tb, `document.querySelector('[data-testid="credential-last-used-from"]').textContent.trim()`)
	if !strings.HasPrefix(from, "127.0.0.1 · Go-http-client/") {
		t.Errorf("last used from %q, want this client's address and User-Agent", from)
	}
	if n := eval[int](tb, `document.querySelectorAll('[data-testid="recent-address"]').length`); n != 1 {
		t.Errorf("%d recent addresses, want 1", n)
	}
	if code := tb.clickAndLoad("credential-history-link"); code != 200 {
		t.Fatalf("History answered %d", code)
	}
	changes := 0
	for _, e := range tb.historyEntries() {
		if e.Event == "Allowed addresses changed" && e.Actor == "admin" {
			changes++
		}
	}
	if changes != 2 {
		t.Errorf("%d Allowed addresses changed by admin in the history, want 2", changes)
	}
}
