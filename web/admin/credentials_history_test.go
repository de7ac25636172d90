package admin_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"esp/lifecycle"
	"esp/web/internal/webtest"
)

// historyRows is the history page's rows as "when|credential|event|actor".
func historyRows(doc *goquery.Document) []string {
	var rows []string
	doc.Find(`[data-testid=history-event]`).Each(func(_ int, tr *goquery.Selection) {
		cell := func(id string) string { return strings.TrimSpace(tr.Find(`[data-testid=` + id + `]`).Text()) }
		rows = append(rows, strings.Join([]string{cell("history-time"), cell("history-credential"), cell("history-what"), cell("history-actor")}, "|"))
	})
	return rows
}

// cycle takes acme through Generate, activation, Deactivate and
// deactivation as actor, and returns the access key.
func cycle(tb testing.TB, env *webtest.Env, actor string) string {
	tb.Helper()
	k, err := env.Service.Generate(context.Background(), env.Acme.ID, actor)
	if err != nil {
		tb.Fatal(err)
	}
	env.Tick(tb)
	if _, err := env.Service.Deactivate(context.Background(), env.Acme.ID, actor); err != nil {
		tb.Fatal(err)
	}
	env.Tick(tb)
	return k.AccessKey
}

func TestWindowLinksToTheHistory(t *testing.T) {
	env := webtest.NewEnv(t)
	rec := webtest.SignedIn(t, env, "alice").Get("/api-credentials")
	webtest.WantStatus(t, rec, http.StatusOK)
	link := webtest.MustDoc(t, rec).Find(`[data-testid=credentials-window] a[data-testid=credential-history-link]`)
	if link.Length() != 1 || link.AttrOr("href", "") != "/api-credentials/history" {
		t.Fatalf("history link: %d found, href %q", link.Length(), link.AttrOr("href", ""))
	}
}

// One full cycle by alice through the window's forms, the purge, and a
// second Generate: the history tells each status change, newest first, with
// its time and zone, the credential's last 4 (the purged one's too) and
// who did it. Another tenant's history is not in it.
func TestHistoryShowsEveryStatusChangeWithCredentialAndActor(t *testing.T) {
	env := webtest.NewEnv(t)
	ctx := context.Background()
	initech, err := env.Accounts.AddTenant(ctx, "initech")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Service.Generate(ctx, initech.ID, lifecycle.UserActor("ivan")); err != nil {
		t.Fatal(err)
	}
	alice := webtest.SignedIn(t, env, "alice")
	rec := alice.PostForm(t, "/api-credentials", "/api-credentials/generate", nil)
	webtest.WantStatus(t, rec, http.StatusOK)
	first := webtest.Text(webtest.MustDoc(t, rec), "access-key")
	env.Clock.Add(time.Minute)
	env.Tick(t)
	env.Clock.Add(time.Minute)
	webtest.WantRedirect(t, alice.PostForm(t, "/api-credentials", "/api-credentials/deactivate", nil), "/api-credentials")
	env.Clock.Add(time.Minute)
	env.Tick(t)
	env.Clock.Add(25 * time.Hour)
	if n, err := env.Scheduler.Purge(ctx, env.Clock.Now()); err != nil || n != 1 {
		t.Fatalf("purge: %d, %v", n, err)
	}
	env.Clock.Add(time.Minute)
	alice = webtest.SignedIn(t, env, "alice") // the first session has timed out meanwhile
	rec = alice.PostForm(t, "/api-credentials", "/api-credentials/generate", nil)
	webtest.WantStatus(t, rec, http.StatusOK)
	second := webtest.Text(webtest.MustDoc(t, rec), "access-key")

	rec = alice.Get("/api-credentials/history")
	webtest.WantStatus(t, rec, http.StatusOK)
	doc := webtest.MustDoc(t, rec)
	m1, m2 := "••••••••"+first[len(first)-4:], "••••••••"+second[len(second)-4:]
	want := []string{
		"2026-11-27 10:04:00 UTC|" + m2 + "|Generated|alice",
		"2026-11-27 10:03:00 UTC|" + m1 + "|Purged|ESP",
		"2026-11-26 09:03:00 UTC|" + m1 + "|Deactivated|ESP",
		"2026-11-26 09:02:00 UTC|" + m1 + "|Deactivation requested|alice",
		"2026-11-26 09:01:00 UTC|" + m1 + "|Activated|ESP",
		"2026-11-26 09:00:00 UTC|" + m1 + "|Generated|alice",
	}
	if got := historyRows(doc); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("history rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := doc.Find(`[data-testid=history-time] time`).First().AttrOr("datetime", ""); got != "2026-11-27T10:04:00Z" {
		t.Errorf("datetime = %q", got)
	}
	if doc.Find(`[data-testid=history-older], [data-testid=history-newest]`).Length() != 0 {
		t.Error("a history that fits on one page has paging links")
	}
	if got := doc.Find(`[data-testid=history-csv]`).AttrOr("href", ""); got != "/api-credentials/history.csv" {
		t.Errorf("CSV link %q", got)
	}
	if got := doc.Find(`[data-testid=history-window-link]`).AttrOr("href", ""); got != "/api-credentials" {
		t.Errorf("window link %q", got)
	}
	if strings.Contains(rec.Body.String(), first[:len(first)-4]) || strings.Contains(rec.Body.String(), second[:len(second)-4]) {
		t.Fatal("the history shows more of a key than its last 4")
	}
}

func TestHistoryOfATenantWithoutCredentialsSaysSo(t *testing.T) {
	env := webtest.NewEnv(t)
	rec := webtest.SignedIn(t, env, "alice").Get("/api-credentials/history")
	webtest.WantStatus(t, rec, http.StatusOK)
	doc := webtest.MustDoc(t, rec)
	if n := doc.Find(`[data-testid=history-event]`).Length(); n != 0 {
		t.Fatalf("%d rows", n)
	}
	if webtest.Text(doc, "history-empty") == "" {
		t.Fatal("an empty history says nothing")
	}
}

// 15 cycles are 60 entries: a first page of 50 with a link to the older
// ones, a second of 10 that stays the same when new entries arrive.
func TestHistoryPagesNewestFirstWithAStableCursor(t *testing.T) {
	env := webtest.NewEnv(t)
	for range 15 {
		cycle(t, env, lifecycle.UserActor("alice"))
		env.Clock.Add(time.Minute)
	}
	alice := webtest.SignedIn(t, env, "alice")
	rec := alice.Get("/api-credentials/history")
	webtest.WantStatus(t, rec, http.StatusOK)
	doc := webtest.MustDoc(t, rec)
	page1 := historyRows(doc)
	if len(page1) != 50 {
		t.Fatalf("first page: %d rows, want 50", len(page1))
	}
	older := doc.Find(`[data-testid=history-older]`).AttrOr("href", "")
	if !strings.HasPrefix(older, "/api-credentials/history?before=") {
		t.Fatalf("older link %q", older)
	}
	if doc.Find(`[data-testid=history-newest]`).Length() != 0 {
		t.Error("the first page links to itself as Newest")
	}

	cycle(t, env, lifecycle.UserActor("alice")) // four newer entries meanwhile
	rec = alice.Get(older)
	webtest.WantStatus(t, rec, http.StatusOK)
	doc = webtest.MustDoc(t, rec)
	page2 := historyRows(doc)
	if len(page2) != 10 {
		t.Fatalf("second page: %d rows, want the 10 oldest", len(page2))
	}
	if !strings.HasSuffix(page2[9], "|Generated|alice") || !strings.HasPrefix(page2[9], "2026-11-26 09:00:00 UTC|") {
		t.Errorf("oldest entry %q, want the first Generate", page2[9])
	}
	if !strings.HasSuffix(page1[49], "|Deactivation requested|alice") || !strings.HasSuffix(page2[0], "|Activated|ESP") {
		t.Errorf("the pages do not meet: %q then %q", page1[49], page2[0])
	}
	if doc.Find(`[data-testid=history-older]`).Length() != 0 {
		t.Error("the last page links to older entries")
	}
	if got := doc.Find(`[data-testid=history-newest]`).AttrOr("href", ""); got != "/api-credentials/history" {
		t.Errorf("newest link %q", got)
	}
}

func TestHistoryRefusesACursorItDidNotMake(t *testing.T) {
	env := webtest.NewEnv(t)
	alice := webtest.SignedIn(t, env, "alice")
	for _, q := range []string{"abc", "0", "-1", "01", "1e3", "9223372036854775808", "", "1&before=2"} {
		rec := alice.Get("/api-credentials/history?before=" + q)
		webtest.WantStatus(t, rec, http.StatusBadRequest)
		if msg := webtest.Text(webtest.MustDoc(t, rec), "error-message"); !strings.Contains(msg, "not valid") {
			t.Errorf("before=%q: message %q", q, msg)
		}
	}
}

// The CSV holds every entry, newest first, in the page's order, escaped as
// CSV, with usernames that a spreadsheet would run as formulas made text.
func TestHistoryCSVHasEveryEntryAndIsSafeInASpreadsheet(t *testing.T) {
	env := webtest.NewEnv(t)
	for i := range 14 {
		cycle(t, env, lifecycle.UserActor(fmt.Sprint("alice", i)))
	}
	risky := []string{`=HYPERLINK("http://x","y")`, "+1+2", "-3", "@SUM(A1)", `a,"b"`}
	for _, name := range risky {
		cycle(t, env, lifecycle.UserActor(name))
	}
	alice := webtest.SignedIn(t, env, "alice")
	rec := alice.Get("/api-credentials/history.csv")
	webtest.WantStatus(t, rec, http.StatusOK)
	if ct := rec.Header().Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cd := rec.Header().Get("Content-Disposition"); cd != `attachment; filename="esp-api-credentials-history-acme.csv"` {
		t.Errorf("Content-Disposition = %q", cd)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q", cc)
	}
	records, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(records[0], ",") != "time,credential,event,actor,url" {
		t.Fatalf("header %q", records[0])
	}
	if got := len(records) - 1; got != 4*(14+len(risky)) {
		t.Fatalf("%d rows, want %d", got, 4*(14+len(risky)))
	}
	// The newest rows are the risky users' last cycle, the Generate and
	// Deactivate of a,"b" among them.
	last := records[1:5]
	if last[1][3] != `a,"b"` || last[1][2] != "Deactivation requested" || last[0][3] != "ESP" {
		t.Errorf("newest rows %q", last)
	}
	if _, err := time.Parse(time.RFC3339, last[0][0]); err != nil || !strings.HasSuffix(last[0][0], "Z") {
		t.Errorf("time %q is not RFC 3339 in UTC", last[0][0])
	}
	if len(last[0][1]) != 4 {
		t.Errorf("credential %q, want the last 4 of the access key", last[0][1])
	}
	actors := map[string]bool{}
	for _, r := range records[1:] {
		actors[r[3]] = true
		for _, cell := range r {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("cell %q starts like a formula", cell)
			}
		}
	}
	for _, name := range risky[:4] {
		if !actors["'"+name] {
			t.Errorf("actor %q is not in the CSV as text ('%s)", name, name)
		}
	}

	// The page shows the same entries in the same order.
	page := historyRows(webtest.MustDoc(t, alice.Get("/api-credentials/history")))
	for i, row := range page {
		r := records[1+i]
		at, _ := time.Parse(time.RFC3339, r[0])
		actor := strings.TrimPrefix(r[3], "'")
		if want := at.Format("2006-01-02 15:04:05 MST") + "|••••••••" + r[1] + "|" + r[2] + "|" + actor; row != want {
			t.Fatalf("page row %d %q, CSV row %q", i, row, r)
		}
	}
}
