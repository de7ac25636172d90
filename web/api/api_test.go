package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/lifecycle/plancsv"
	"esp/web/internal/webtest"
)

type pageJSON struct {
	PlanID     int64             `json:"plan_id"`
	Rows       []json.RawMessage `json:"rows"`
	NextCursor *string           `json:"next_cursor"`
}

func TestAPIFullPathFromKeysToExport(t *testing.T) {
	env := webtest.NewEnv(t)
	ctx := context.Background()
	const rows = 257
	csv := webtest.PlanCSV(rows)
	plan := webtest.ImportCSV(t, env, env.Acme.ID, "FY2027 Baseline", csv)

	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	token := webtest.Exchange(t, env, keys)

	// List.
	rec := webtest.APIGet(env, token, "/api/v1/plans")
	webtest.MustStatus(t, rec, http.StatusOK)
	var list struct {
		Plans []struct {
			ID    int64  `json:"id"`
			Name  string `json:"name"`
			Rows  int64  `json:"rows"`
			First string `json:"first"`
			Last  string `json:"last"`
		} `json:"plans"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Plans) != 1 {
		t.Fatalf("plans = %+v, want the one imported", list.Plans)
	}
	if p := list.Plans[0]; p.ID != plan.ID || p.Name != "FY2027 Baseline" || p.Rows != rows || p.First != "2027-01-01" || p.Last != "2027-12-28" {
		t.Fatalf("plan = %+v", p)
	}

	// Data pages: every row exactly once, in file order, even while another
	// plan is imported between pages.
	var got []json.RawMessage
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > rows {
			t.Fatal("paging does not end")
		}
		path := "/api/v1/plans/" + webtest.Itoa(plan.ID) + "/data?limit=50"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		rec := webtest.APIGet(env, token, path)
		webtest.MustStatus(t, rec, http.StatusOK)
		var page pageJSON
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
			t.Fatalf("page %d: %v: %s", pages, err, rec.Body)
		}
		if page.PlanID != plan.ID || len(page.Rows) > 50 {
			t.Fatalf("page %d: plan %d with %d rows", pages, page.PlanID, len(page.Rows))
		}
		got = append(got, page.Rows...)
		webtest.ImportCSV(t, env, env.Acme.ID, "inserted between pages "+webtest.Itoa(int64(pages)), webtest.PlanCSV(3))
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	want := csvRowsAsJSON(t, csv)
	if len(got) != len(want) {
		t.Fatalf("pages held %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		if !sameJSON(t, got[i], want[i]) {
			t.Fatalf("row %d = %s, want %s", i, got[i], want[i])
		}
	}

	// Export as CSV: the imported file, byte for byte.
	rec = webtest.APIGet(env, token, "/api/v1/plans/"+webtest.Itoa(plan.ID)+"/export")
	webtest.MustStatus(t, rec, http.StatusOK)
	if ct := rec.Header().Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	if cd, want := rec.Header().Get("Content-Disposition"), `attachment; filename="plan-`+webtest.Itoa(plan.ID)+`.csv"`; cd != want {
		t.Fatalf("Content-Disposition %q, want %q", cd, want)
	}
	if rec.Body.String() != csv {
		t.Fatalf("export differs from the imported file: %s", firstDiff(rec.Body.String(), csv))
	}

	// Export as NDJSON: the same rows.
	rec = webtest.APIGet(env, token, "/api/v1/plans/"+webtest.Itoa(plan.ID)+"/export", "Accept", "application/x-ndjson")
	webtest.MustStatus(t, rec, http.StatusOK)
	if ct := rec.Header().Get("Content-Type"); ct != "application/x-ndjson" {
		t.Fatalf("Content-Type %q", ct)
	}
	sc := bufio.NewScanner(rec.Body)
	i := 0
	for sc.Scan() {
		if i >= len(want) || !sameJSON(t, sc.Bytes(), want[i]) {
			t.Fatalf("NDJSON line %d = %s", i+1, sc.Bytes())
		}
		i++
	}
	if i != len(want) {
		t.Fatalf("NDJSON has %d lines, want %d", i, len(want))
	}

	// The window can show when the key was last used.
	c, err := env.Store.CredentialByID(ctx, keys.Credential.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !c.LastUsedAt.Equal(env.Clock.Now()) {
		t.Fatalf("last used %v, want %v", c.LastUsedAt, env.Clock.Now())
	}
}

func TestAPIExportFormatChoice(t *testing.T) {
	env := webtest.NewEnv(t)
	plan := webtest.ImportCSV(t, env, env.Acme.ID, "p", webtest.PlanCSV(3))
	token := webtest.Exchange(t, env, webtest.ActivatedKeys(t, env, env.Acme.ID))
	base := "/api/v1/plans/" + webtest.Itoa(plan.ID) + "/export"
	for _, tc := range []struct {
		name, query, accept, wantType string
	}{
		{"default is CSV", "", "", "text/csv; charset=utf-8"},
		{"Accept with */* among others is CSV", "", "application/xml, */*;q=0.1", "text/csv; charset=utf-8"},
		{"Accept asks for NDJSON", "", "text/csv;q=0.5, application/x-ndjson", "application/x-ndjson"},
		{"Accept prefers CSV by q-value", "", "text/csv;q=0.9, application/x-ndjson;q=0.1", "text/csv; charset=utf-8"},
		{"Accept text/* is CSV", "", "text/*", "text/csv; charset=utf-8"},
		{"q=0 excludes CSV", "", "*/*, text/csv;q=0", "application/x-ndjson"},
		{"format wins over an Accept that excludes it", "?format=ndjson", "text/csv", "application/x-ndjson"},
		{"format=ndjson", "?format=ndjson", "", "application/x-ndjson"},
		{"format wins over Accept", "?format=csv", "application/x-ndjson", "text/csv; charset=utf-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.accept != "" {
				hdr = []string{"Accept", tc.accept}
			}
			rec := webtest.APIGet(env, token, base+tc.query, hdr...)
			webtest.MustStatus(t, rec, http.StatusOK)
			if ct := rec.Header().Get("Content-Type"); ct != tc.wantType {
				t.Fatalf("Content-Type %q, want %q", ct, tc.wantType)
			}
			if v := rec.Header().Get("Vary"); v != "Accept, Accept-Encoding" {
				t.Fatalf("Vary %q, want Accept, Accept-Encoding", v)
			}
			if strings.HasPrefix(tc.wantType, "text/csv") != strings.HasPrefix(rec.Body.String(), plancsv.Header) {
				t.Fatalf("body does not match its type: %.80s", rec.Body)
			}
		})
	}
}

// An Accept that allows neither CSV nor NDJSON is answered 406 with the
// API's error (and Vary: Accept, since another Accept gets the rows, and
// Accept-Encoding).
func TestAPIExportAnswers406ToATypeItCannotSend(t *testing.T) {
	env := webtest.NewEnv(t)
	plan := webtest.ImportCSV(t, env, env.Acme.ID, "p", webtest.PlanCSV(3))
	token := webtest.Exchange(t, env, webtest.ActivatedKeys(t, env, env.Acme.ID))
	for _, accept := range []string{"application/json", "application/xml", "text/csv;q=0", "text/html, */*;q=0"} {
		rec := webtest.APIGet(env, token, "/api/v1/plans/"+webtest.Itoa(plan.ID)+"/export", "Accept", accept)
		webtest.MustAPIError(t, rec, http.StatusNotAcceptable, "not_acceptable")
		if v := rec.Header().Get("Vary"); v != "Accept, Accept-Encoding" {
			t.Fatalf("Accept %q: Vary %q, want Accept, Accept-Encoding", accept, v)
		}
	}
}

func TestAPIPlanOfAnotherTenantIsNotFound(t *testing.T) {
	env := webtest.NewEnv(t)
	ctx := context.Background()
	if err := env.Accounts.SetPublicAPI(ctx, "globex", true); err != nil {
		t.Fatal(err)
	}
	acmePlan := webtest.ImportCSV(t, env, env.Acme.ID, "Acme plan", webtest.PlanCSV(2))
	globexPlan := webtest.ImportCSV(t, env, env.Globex.ID, "Globex plan", webtest.PlanCSV(2))
	acme := webtest.Exchange(t, env, webtest.ActivatedKeys(t, env, env.Acme.ID))
	globex := webtest.Exchange(t, env, webtest.ActivatedKeys(t, env, env.Globex.ID))

	for _, tc := range []struct {
		token string
		own   lifecycle.Plan
		other lifecycle.Plan
	}{{acme, acmePlan, globexPlan}, {globex, globexPlan, acmePlan}} {
		rec := webtest.APIGet(env, tc.token, "/api/v1/plans")
		webtest.MustStatus(t, rec, http.StatusOK)
		var list struct {
			Plans []struct {
				ID int64 `json:"id"`
			} `json:"plans"`
		}
		json.Unmarshal(rec.Body.Bytes(), &list)
		if len(list.Plans) != 1 || list.Plans[0].ID != tc.own.ID {
			t.Fatalf("list = %s, want only plan %d", rec.Body, tc.own.ID)
		}
		for _, suffix := range []string{"", "/data", "/export"} {
			webtest.MustStatus(t, webtest.APIGet(env, tc.token, "/api/v1/plans/"+webtest.Itoa(tc.own.ID)+suffix), http.StatusOK)
			webtest.MustAPIError(t, webtest.APIGet(env, tc.token, "/api/v1/plans/"+webtest.Itoa(tc.other.ID)+suffix), http.StatusNotFound, "not_found")
		}
	}
}

func TestAPILastUsedWrittenAtMostOncePerMinute(t *testing.T) {
	env := webtest.NewEnv(t)
	ctx := context.Background()
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	lastUsed := func() time.Time {
		t.Helper()
		c, err := env.Store.CredentialByID(ctx, keys.Credential.ID)
		if err != nil {
			t.Fatal(err)
		}
		return c.LastUsedAt
	}
	if !lastUsed().IsZero() {
		t.Fatal("a new credential has a last use")
	}
	t0 := env.Clock.Now()
	token := webtest.Exchange(t, env, keys)
	if got := lastUsed(); !got.Equal(t0) {
		t.Fatalf("after the exchange last used = %v, want %v", got, t0)
	}
	env.Clock.Add(30 * time.Second)
	webtest.MustStatus(t, webtest.APIGet(env, token, "/api/v1/plans"), http.StatusOK)
	if got := lastUsed(); !got.Equal(t0) {
		t.Fatalf("30 s later last used = %v, want it unchanged at %v", got, t0)
	}
	env.Clock.Add(31 * time.Second)
	webtest.MustStatus(t, webtest.APIGet(env, token, "/api/v1/plans"), http.StatusOK)
	if got, want := lastUsed(), env.Clock.Now(); !got.Equal(want) {
		t.Fatalf("61 s later last used = %v, want %v", got, want)
	}
}

// csvRowsAsJSON is each data row of a plan CSV as the JSON object the API
// should answer for it.
func csvRowsAsJSON(tb testing.TB, csv string) []json.RawMessage {
	tb.Helper()
	r, err := plancsv.NewReader(strings.NewReader(csv))
	if err != nil {
		tb.Fatal(err)
	}
	var out []json.RawMessage
	for {
		var row lifecycle.PlanRow
		if err := r.Read(&row); err != nil {
			break
		}
		m := map[string]any{
			"interval_start": row.IntervalStart, "interval": row.Interval, "skill": row.Skill,
			"scheduling_unit": row.SchedulingUnit, "volume": json.Number(row.Volume),
			"aht_seconds": json.Number(row.AHTSeconds), "fte_required": json.Number(row.FTERequired),
			"fte_planned": json.Number(row.FTEPlanned), "service_level_pct": json.Number(row.ServiceLevelPct),
			"asa_seconds": json.Number(row.ASASeconds), "occupancy_pct": json.Number(row.OccupancyPct),
		}
		b, _ := json.Marshal(m)
		out = append(out, b)
	}
	return out
}

// sameJSON compares two JSON objects field by field, numbers by their text.
func sameJSON(tb testing.TB, a, b []byte) bool {
	tb.Helper()
	decode := func(p []byte) map[string]any {
		d := json.NewDecoder(bytes.NewReader(p))
		d.UseNumber()
		var m map[string]any
		if err := d.Decode(&m); err != nil {
			tb.Fatalf("%s: %v", p, err)
		}
		return m
	}
	ma, mb := decode(a), decode(b)
	if len(ma) != len(mb) {
		return false
	}
	for k, v := range ma {
		if mb[k] != v {
			return false
		}
	}
	return true
}

func firstDiff(got, want string) string {
	gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(gl), len(wl)) {
		if gl[i] != wl[i] {
			return "line " + webtest.Itoa(int64(i+1)) + ": got  " + gl[i] + "\n        want " + wl[i]
		}
	}
	return "lengths differ: " + webtest.Itoa(int64(len(gl))) + " vs " + webtest.Itoa(int64(len(wl))) + " lines"
}
