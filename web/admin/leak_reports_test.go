package admin_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"

	"esp/lifecycle"
	"esp/web/internal/webtest"
)

// reportLeak has secret scanning report the secret key found at url.
func reportLeak(t *testing.T, env *webtest.Env, secret, url string) {
	t.Helper()
	if ours, err := env.Leaks.Report(context.Background(), secret, url); err != nil || !ours {
		t.Fatalf("report: ours %v, %v", ours, err)
	}
}

// The history tells "Reported leaked" by secret scanning, with a link to
// where the key was found that opens nothing of ESP's, its address escaped.
func TestHistoryLinksToWhereALeakedKeyWasFound(t *testing.T) {
	env := webtest.NewEnv(t)
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	url := `https://github.com/acme/tools/blob/main/a.yml?x=1&y="><script>`
	reportLeak(t, env, keys.SecretKey, url)

	rec := webtest.SignedIn(t, env, "alice").Get("/api-credentials/history")
	webtest.WantStatus(t, rec, http.StatusOK)
	doc := webtest.MustDoc(t, rec)
	rows := doc.Find("[data-testid=history-event]")
	top, second := rows.Eq(0), rows.Eq(1)
	if got := top.Find("[data-testid=history-what]").Text(); !strings.Contains(got, "Deactivation requested") {
		t.Fatalf("newest event %q, want Deactivation requested", got)
	}
	what := second.Find("[data-testid=history-what]")
	link := what.Find("a[data-testid=leak-url]")
	href, _ := link.Attr("href")
	rel, _ := link.Attr("rel")
	if !strings.HasPrefix(strings.Join(strings.Fields(what.Text()), " "), "Reported leaked at https://") || href != url || link.Text() != url || rel != "noopener noreferrer" {
		t.Fatalf("event %q, link href %q rel %q text %q", what.Text(), href, rel, link.Text())
	}
	for _, r := range []int{0, 1} {
		if a := strings.TrimSpace(rows.Eq(r).Find("[data-testid=history-actor]").Text()); a != "secret scanning" {
			t.Errorf("row %d actor %q, want secret scanning", r, a)
		}
	}
	if strings.Contains(rec.Body.String(), `"><script>`) {
		t.Fatal("the address is not escaped")
	}
}

// An address that is not http or https is shown as text, never a link.
func TestHistoryShowsAnAddressNotHTTPAsText(t *testing.T) {
	env := webtest.NewEnv(t)
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	reportLeak(t, env, keys.SecretKey, "javascript:alert(1)")
	doc := webtest.MustDoc(t, webtest.SignedIn(t, env, "alice").Get("/api-credentials/history"))
	what := doc.Find("[data-testid=history-event]").Eq(1).Find("[data-testid=history-what]")
	if what.Find("a").Length() != 0 || what.Find("code[data-testid=leak-url]").Text() != "javascript:alert(1)" {
		t.Fatalf("event cell %q: want the address as text, no link", what.Text())
	}
}

// The history CSV keeps its columns and adds the address last.
func TestHistoryCSVHasWhereALeakedKeyWasFound(t *testing.T) {
	env := webtest.NewEnv(t)
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	reportLeak(t, env, keys.SecretKey, "https://github.com/acme/tools/blob/main/a.yml")
	rec := webtest.SignedIn(t, env, "alice").Get("/api-credentials/history.csv")
	webtest.WantStatus(t, rec, http.StatusOK)
	records, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(records[0], ","); got != "time,credential,event,actor,url" {
		t.Fatalf("header %q", got)
	}
	r := records[2]
	if r[2] != "Reported leaked" || r[3] != "secret scanning" || r[4] != "https://github.com/acme/tools/blob/main/a.yml" {
		t.Fatalf("row %q", r)
	}
	if records[1][2] != "Deactivation requested" || records[1][4] != "" {
		t.Fatalf("row %q", records[1])
	}
}

// The window says where keys deactivated by a leak report were found, and
// what to do; keys an admin deactivated get no such notice.
func TestWindowSaysWhereLeakedKeysWereFound(t *testing.T) {
	env := webtest.NewEnv(t)
	alice := webtest.SignedIn(t, env, "alice")
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	if n := webtest.MustDoc(t, alice.Get("/api-credentials")).Find("[data-testid=leak-notice]").Length(); n != 0 {
		t.Fatal("a notice before any report")
	}
	url := "https://github.com/acme/tools/blob/main/a.yml"
	reportLeak(t, env, keys.SecretKey, url)
	for _, tick := range []bool{false, true} {
		if tick {
			env.Tick(t) // Deactivated: the notice stays
		}
		doc := webtest.MustDoc(t, alice.Get("/api-credentials"))
		notice := doc.Find("[data-testid=credentials-window] [data-testid=leak-notice]")
		want := "These keys were found in public at " + url + "; they were deactivated. Generate new ones and remove the old ones from where they were published."
		if got := strings.Join(strings.Fields(notice.Text()), " "); got != want {
			t.Fatalf("notice %q, want %q", got, want)
		}
		if href, _ := notice.Find("a").Attr("href"); href != url {
			t.Fatalf("link %q, want %q", href, url)
		}
	}

	webtest.ActivatedKeys(t, env, env.Acme.ID)
	if _, err := env.Service.Deactivate(context.Background(), env.Acme.ID, lifecycle.UserActor("alice")); err != nil {
		t.Fatal(err)
	}
	if n := webtest.MustDoc(t, alice.Get("/api-credentials")).Find("[data-testid=leak-notice]").Length(); n != 0 {
		t.Fatal("a notice on keys an admin deactivated")
	}
}
