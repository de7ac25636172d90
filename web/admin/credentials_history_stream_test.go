package admin_test

import (
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"esp/store"
	"esp/web/internal/webtest"
)

// seedHistory adds n history entries for the tenant in one statement, on
// either backend: entry i (1 to n, ids in that order) is at the Env's
// clock plus i seconds, of credential 1+i/4, Generated, Activated,
// Deactivation requested and Deactivated in turn, by alice or by ESP.
// SQLite's own shell writes it when it is installed (CI installs it): the
// driver under the race detector takes ten times as long.
func seedHistory(tb testing.TB, env *webtest.Env, tenantID int64, n int) {
	tb.Helper()
	q := fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT CAST(1 AS bigint) UNION ALL SELECT i + 1 FROM n WHERE i < %d)
		INSERT INTO audit (at, tenant_id, credential_id, actor, action, access_last4)
		SELECT %d + i * 1000000000, %d, 1 + i / 4,
			CASE WHEN i %% 4 IN (0, 2) THEN 'user:alice' ELSE 'scheduler' END,
			CASE i %% 4 WHEN 0 THEN 'generate' WHEN 1 THEN 'activate' WHEN 2 THEN 'deactivate' ELSE 'confirm_deactivation' END,
			'ab12'
		FROM n;`, n, env.Clock.Now().UnixNano(), tenantID)
	path := filepath.Join(env.Database.Dir(), store.DBFile)
	if env.Database.URL() == "" {
		if shell, err := exec.LookPath("sqlite3"); err == nil {
			if out, err := exec.Command(shell, "-bail", "-cmd", ".timeout 10000", path, q).CombinedOutput(); err != nil {
				tb.Fatalf("sqlite3: %v: %s", err, out)
			}
			return
		}
	}
	driver, dsn := "sqlite", "file:"+path+"?_pragma=busy_timeout(10000)"
	if u := env.Database.URL(); u != "" {
		driver, dsn = "pgx", u
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(q); err != nil {
		tb.Fatal(err)
	}
}

// seededEntry is the history entry seedHistory made as its i-th.
func seededEntry(env *webtest.Env, i int) string {
	events := []string{"Generated", "Activated", "Deactivation requested", "Deactivated"}
	actor := "ESP"
	if i%2 == 0 {
		actor = "alice"
	}
	return env.Clock.Now().Add(time.Duration(i)*time.Second).UTC().Format(time.RFC3339) + "|ab12|" + events[i%4] + "|" + actor
}

// pageRows is the entries of n history pages (50 entries each, each from
// the last entry of the one before), as "time|credential|event|actor".
func pageRows(tb testing.TB, env *webtest.Env, n int) []string {
	tb.Helper()
	var rows []string
	before := int64(0)
	for range n {
		page, err := env.Service.History(context.Background(), env.Acme.ID, before, 50)
		if err != nil {
			tb.Fatal(err)
		}
		for _, e := range page {
			rows = append(rows, e.At.UTC().Format(time.RFC3339)+"|"+e.AccessLast4+"|"+e.Event+"|"+e.Actor)
		}
		before = page[len(page)-1].ID
	}
	return rows
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// A history of 200,000 entries downloads as CSV while the server's heap
// stays flat (it is streamed, not built whole), with the same entries in
// the same order as the history's pages.
func TestHistoryCSVStreamsWithFlatMemoryInThePagesOrder(t *testing.T) {
	env := webtest.NewEnv(t)
	const entries = 200_000
	seedHistory(t, env, env.Acme.ID, entries)
	alice := webtest.SignedIn(t, env, "alice")
	srv := httptest.NewServer(env.Server)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api-credentials/history.csv", nil)
	for _, ck := range alice.Cookies {
		req.AddCookie(ck)
	}

	baseline := liveHeap()
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" ||
		resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("status %d, headers %v", resp.StatusCode, resp.Header)
	}
	body := &countingReader{r: resp.Body}
	records := csv.NewReader(body)
	records.ReuseRecord = true
	if h, err := records.Read(); err != nil || strings.Join(h, ",") != "time,credential,event,actor,url" {
		t.Fatalf("header %q, %v", h, err)
	}
	// The first pages hold the CSV's first rows; every row is the entry
	// seeded at its place, newest first.
	pages := pageRows(t, env, 3)
	peak, sampledAt, rows := baseline, int64(0), 0
	for {
		r, err := records.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d rows: %v", rows, err)
		}
		got := strings.Join(r[:4], "|") // url, the last column, is empty: no leak reports
		if want := seededEntry(env, entries-rows); got != want {
			t.Fatalf("row %d %q, want %q", rows, got, want)
		}
		if rows < len(pages) && got != pages[rows] {
			t.Fatalf("row %d %q, the history page has %q", rows, got, pages[rows])
		}
		rows++
		if body.n-sampledAt >= 512<<10 {
			sampledAt = body.n
			peak = max(peak, liveHeap())
		}
	}
	if rows != entries {
		t.Fatalf("%d rows, want %d, the whole history", rows, entries)
	}
	growth := int64(peak) - int64(baseline)
	t.Logf("heap: %.1f MiB before, at most %.1f MiB while streaming %.1f MiB of CSV: grew %.1f MiB",
		mib(baseline), mib(peak), float64(body.n)/(1<<20), float64(growth)/(1<<20))
	if growth > 4<<20 {
		t.Fatalf("the heap grew %.1f MiB while the CSV streamed, want at most 4 MiB", float64(growth)/(1<<20))
	}
}

// liveHeap is the bytes of the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
