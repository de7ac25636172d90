package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"esp/lifecycle"
	"esp/web/httpx"
	"esp/web/internal/webtest"
)

const allowedIPsPath = "/api-credentials/allowed-ips"

// savedList is acme's stored list, normalised.
func savedList(tb testing.TB, env *webtest.Env) string {
	tb.Helper()
	l, err := env.Service.AllowedAddresses(context.Background(), env.Acme.ID)
	if err != nil {
		tb.Fatal(err)
	}
	return l.String()
}

// The window links to the page; the page shows the list (empty: any
// address) and the admin's own address; saving stores the list
// normalised, shows it back so, and is one history event by the admin,
// in the page and the CSV, naming no credential.
func TestAllowedIPsPageSavesTheListNormalisedAsAHistoryEvent(t *testing.T) {
	env := webtest.NewEnv(t)
	c := webtest.SignedIn(t, env, "alice")
	link := webtest.MustDoc(t, c.Get("/api-credentials")).Find(`[data-testid=credentials-window] a[data-testid=allowed-ips-link]`)
	if link.AttrOr("href", "") != allowedIPsPath {
		t.Fatalf("allowed addresses link: %d found, href %q", link.Length(), link.AttrOr("href", ""))
	}
	rec := c.Get(allowedIPsPath)
	webtest.WantStatus(t, rec, http.StatusOK)
	doc := webtest.MustDoc(t, rec)
	if got := doc.Find(`textarea[data-testid=allowed-ips]`).Text(); got != "" {
		t.Errorf("textarea %q, want empty", got)
	}
	if got := webtest.Text(doc, "your-address"); got != "192.0.2.1" {
		t.Errorf("your address %q, want 192.0.2.1", got)
	}
	if got := webtest.Text(doc, "allowed-ips-summary"); got != "any address" {
		t.Errorf("summary %q", got)
	}
	if doc.Find(`form[action="/api-credentials/allowed-ips"] button[data-testid=allowed-ips-save]`).Length() != 1 {
		t.Error("no save button in the page's form")
	}
	rec = c.PostForm(t, allowedIPsPath, allowedIPsPath, url.Values{"allowed_ips": {"203.0.113.77/24\r\n\r\n::ffff:198.51.100.9\r\n203.0.113.0/24\r\n2001:DB8::1"}})
	webtest.WantStatus(t, rec, http.StatusOK)
	doc = webtest.MustDoc(t, rec)
	want := "203.0.113.0/24\n198.51.100.9/32\n2001:db8::1/128"
	if got := doc.Find(`textarea[data-testid=allowed-ips]`).Text(); got != want {
		t.Errorf("textarea after saving %q, want %q", got, want)
	}
	if got := savedList(t, env); got != want {
		t.Errorf("stored %q, want %q", got, want)
	}
	if !strings.Contains(webtest.Text(doc, "allowed-ips-summary"), "3 of at most 100") {
		t.Errorf("summary %q", webtest.Text(doc, "allowed-ips-summary"))
	}
	rows := historyRows(webtest.MustDoc(t, c.Get("/api-credentials/history")))
	if len(rows) != 1 || !strings.HasSuffix(rows[0], "|—|Allowed addresses changed|alice") {
		t.Errorf("history %q, want one Allowed addresses changed by alice", rows)
	}
	csvRec := c.Get("/api-credentials/history.csv")
	webtest.WantStatus(t, csvRec, http.StatusOK)
	if !strings.Contains(csvRec.Body.String(), "Allowed addresses changed,alice") {
		t.Errorf("CSV lacks the event:\n%s", csvRec.Body)
	}
}

// A bad line is refused with its number and the text as sent, and
// nothing is saved or recorded; so is a form without its CSRF token.
func TestAllowedIPsBadLineOrMissingCSRFChangesNothing(t *testing.T) {
	env := webtest.NewEnv(t)
	c := webtest.SignedIn(t, env, "alice")
	webtest.WantStatus(t, c.PostForm(t, allowedIPsPath, allowedIPsPath, url.Values{"allowed_ips": {"198.51.100.0/24"}}), http.StatusOK)
	sent := "203.0.113.9\n\n203.0.113.300/24\n10.0.0.0/8"
	rec := c.PostForm(t, allowedIPsPath, allowedIPsPath, url.Values{"allowed_ips": {sent}})
	webtest.WantStatus(t, rec, http.StatusBadRequest)
	doc := webtest.MustDoc(t, rec)
	if msg := webtest.Text(doc, "allowed-ips-error"); !strings.Contains(msg, "Line 3") || !strings.Contains(msg, "203.0.113.300/24") {
		t.Errorf("error %q, want it to name line 3 and its text", msg)
	}
	if got := doc.Find(`[data-testid=allowed-ips-error]`).AttrOr("role", ""); got != "alert" {
		t.Errorf("error role %q, want alert", got)
	}
	if got := doc.Find(`textarea[data-testid=allowed-ips]`).Text(); got != sent {
		t.Errorf("textarea %q, want the text as sent", got)
	}
	webtest.WantStatus(t, c.Post(allowedIPsPath, url.Values{"allowed_ips": {"203.0.113.9"}}), http.StatusForbidden)
	if got := savedList(t, env); got != "198.51.100.0/24" {
		t.Errorf("stored %q after refused saves, want the first list", got)
	}
	if rows := historyRows(webtest.MustDoc(t, c.Get("/api-credentials/history"))); len(rows) != 1 {
		t.Errorf("history %q, want only the first save", rows)
	}
}

// Behind a trusted proxy the page shows the admin's address as the API
// will check it: the client's from X-Forwarded-For.
func TestAllowedIPsPageShowsYourAddressThroughTrustedProxies(t *testing.T) {
	proxies, err := httpx.ParseTrustedProxies("10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	env := webtest.NewEnv(t, func(c *webtest.Config) { c.TrustedProxies = proxies })
	c := webtest.SignedIn(t, env, "alice")
	c.Addr = "10.0.0.2:5000"
	req, _ := http.NewRequest(http.MethodGet, allowedIPsPath, nil)
	req.Header.Set("X-Forwarded-For", "198.51.100.1, 2001:db8::42")
	if got := webtest.Text(webtest.MustDoc(t, c.Send(req)), "your-address"); got != "2001:db8::42" {
		t.Errorf("your address %q, want 2001:db8::42", got)
	}
}

// apiCall exchanges the keys from addr with the User-Agent ua.
func apiCall(tb testing.TB, env *webtest.Env, keys lifecycle.NewKeys, addr, ua string) {
	tb.Helper()
	req := webtest.KeyRequest(keys.AccessKey, keys.SecretKey)
	req.RemoteAddr, req.Header["User-Agent"] = addr, []string{ua}
	webtest.WantStatus(tb, env.Do(req), http.StatusOK)
}

// The window shows where the last use came from (address and client,
// shortened, without control characters) and the latest 5 addresses, one
// each, newest first. (Uses are a minute apart: one address's uses are
// written once a minute.)
func TestWindowShowsLastUsedFromAndRecentAddresses(t *testing.T) {
	env := webtest.NewEnv(t)
	c := webtest.SignedIn(t, env, "alice")
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	doc := webtest.MustDoc(t, c.Get("/api-credentials"))
	if got := webtest.Text(doc, "credential-last-used-from"); got != "—" {
		t.Errorf("last used from %q before any use, want —", got)
	}
	if n := doc.Find(`[data-testid=recent-address]`).Length(); n != 0 {
		t.Errorf("%d recent addresses before any use", n)
	}
	for i, addr := range []string{"198.51.100.1", "198.51.100.2", "198.51.100.3", "[2001:db8::3]", "198.51.100.5", "198.51.100.6", "198.51.100.1"} {
		env.Clock.Add(time.Minute)
		apiCall(t, env, keys, addr+":4000", "client/"+string(rune('a'+i)))
	}
	env.Clock.Add(time.Minute)
	apiCall(t, env, keys, "[2001:db8::3]:4000", "curl/8.5.0\x1b[2J "+strings.Repeat("x", 200))
	doc = webtest.MustDoc(t, c.Get("/api-credentials"))
	from := webtest.Text(doc, "credential-last-used-from")
	if want := "2001:db8::3 · curl/8.5.0[2J " + strings.Repeat("x", 86); from != want {
		t.Errorf("last used from %q, want %q", from, want)
	}
	var got []string
	doc.Find(`[data-testid=recent-address] code`).Each(func(_ int, s *goquery.Selection) { got = append(got, s.Text()) })
	want := []string{"2001:db8::3", "198.51.100.1", "198.51.100.6", "198.51.100.5", "198.51.100.3"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("recent addresses %q, want %q", got, want)
	}
	if first := doc.Find(`[data-testid=recent-address]`).First().Text(); !strings.Contains(first, "UTC") {
		t.Errorf("recent address %q lacks its time with zone", first)
	}
	// One <time> each: the page's script shows every <time> whole in the
	// browser's zone, so a time split in two would read twice.
	doc.Find(`[data-testid=recent-address]`).Each(func(i int, s *goquery.Selection) {
		if n := s.Find("time[datetime]").Length(); n != 1 {
			t.Errorf("recent address %d has %d <time> elements, want 1", i, n)
		}
	})
}
