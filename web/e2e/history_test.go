package e2e_test

import (
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// historyEntry is one row of the history page as a person reads it.
type historyEntry struct {
	When       string `json:"when"`
	Credential string `json:"credential"`
	Event      string `json:"event"`
	Actor      string `json:"actor"`
}

func (tb *tab) historyEntries() []historyEntry {
	tb.t.Helper()
	return eval[[]historyEntry](tb, `Array.from(document.querySelectorAll('[data-testid="history-event"]')).map(tr => {
  const cell = id => tr.querySelector('[data-testid="' + id + '"]').textContent.trim();
  return {when: cell('history-time'), credential: cell('history-credential'), event: cell('history-what'), actor: cell('history-actor')};
})`)
}

// TestHistoryAfterAFullCycle: Generate, activation, Deactivate,
// deactivation and the purge, then the window's History link: one row per
// status change, newest first, each naming the purged credential by its
// last 4 and who did it; its CSV download holds the same rows.
func TestHistoryAfterAFullCycle(t *testing.T) {
	srv := startServer(t, "--activator", "local")
	tb := startBrowser(t)
	saved := tb.saveDownloads()
	base := srv.LocalURL()
	tb.login(base, "admin", srv.Passwords["admin"])
	tb.openWindowFromMenu()
	if code := tb.clickAndLoad("generate"); code != 200 {
		t.Fatalf("Generate answered %d, want 200", code)
	}
	access := tb.waitFor("the new keys", func(s screen) bool { return s.AccessKey != "" && s.OneTimeWarning }).AccessKey
	tb.waitFor("Activated", func(s screen) bool { return s.Status == "Activated" && s.Deactivate })
	if code := tb.confirmDeactivate(); code != 200 {
		t.Fatalf("Deactivate answered %d, want 200 after its redirect", code)
	}
	tb.waitFor("Deactivated", func(s screen) bool { return s.Status == "Deactivated" })
	out, err := exec.Command(espBinary, "purge", "--data", srv.Data, "--purge-after", "1ns").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "purged 1 ") {
		t.Fatalf("esp purge: %v: %s", err, out)
	}

	if code := tb.reload(); code != 200 {
		t.Fatalf("reloading the window: %d", code)
	}
	if s := tb.waitFor("the window after the purge", func(s screen) bool { return s.WindowOpen && s.Mark == "" }); s.Status != "No Credentials" {
		t.Fatalf("after the purge: %v; want No Credentials", s)
	}
	if code := tb.clickAndLoad("credential-history-link"); code != 200 {
		t.Fatalf("History answered %d, want 200", code)
	}
	if path := eval[string](tb, "location.pathname"); path != "/api-credentials/history" {
		t.Fatalf("History link led to %s", path)
	}
	got := tb.historyEntries()
	want := []historyEntry{
		{Event: "Purged", Actor: "ESP"},
		{Event: "Deactivated", Actor: "ESP"},
		{Event: "Deactivation requested", Actor: "admin"},
		{Event: "Activated", Actor: "ESP"},
		{Event: "Generated", Actor: "admin"},
	}
	if len(got) != len(want) {
		t.Fatalf("history rows %+v, want %d", got, len(want))
	}
	when := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$`)
	for i, e := range got {
		if e.Event != want[i].Event || e.Actor != want[i].Actor || e.Credential != mask(access) || !when.MatchString(e.When) {
			t.Errorf("row %d: %+v, want %s by %s for %s at a time with its zone", i, e, want[i].Event, want[i].Actor, mask(access))
		}
	}
	tb.screenshot("history")
	tb.checkPage("the history page")

	// On a phone the page does not scroll sideways, nor does the table
	// inside its box: every column is in view.
	tb.dev = phone
	if err := chromedp.Do(tb.ctx, phone.emulate()); err != nil {
		t.Fatal(err)
	}
	tb.checkPage("the history page")
	fit := eval[struct {
		Page, Viewport, Table, Box float64
	}](tb, `(() => {
  const table = document.querySelector('[data-testid="history-table"]');
  return {Page: document.documentElement.scrollWidth, Viewport: window.innerWidth,
          Table: table.scrollWidth, Box: table.parentElement.clientWidth};
})()`)
	if fit.Page > fit.Viewport || fit.Table > fit.Box {
		t.Errorf("at 390 px: page %v px wide in a %v px viewport, table %v px in a %v px box", fit.Page, fit.Viewport, fit.Table, fit.Box)
	}
	tb.screenshot("history-mobile")
	tb.dev = desktop
	if err := chromedp.Do(tb.ctx, desktop.emulate()); err != nil {
		t.Fatal(err)
	}

	tb.click("history-csv")
	path := saved.next(tb)
	if name := filepath.Base(path); name != "esp-api-credentials-history-demo.csv" {
		t.Errorf("CSV saved as %q", name)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 1+len(want) || strings.Join(records[0], ",") != "time,credential,event,actor,url" {
		t.Fatalf("CSV %q", records)
	}
	for i, r := range records[1:] {
		if r[1] != access[len(access)-4:] || r[2] != got[i].Event || r[3] != got[i].Actor {
			t.Errorf("CSV row %d %q, page row %+v", i, r, got[i])
		}
	}
}
