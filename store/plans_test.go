package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store"
	"esp/store/storetest"
)

// openPlanStore is a fresh store of the tests' backend with tenants
// "acme" and "globex".
func openPlanStore(tb testing.TB) (*store.Store, lifecycle.Tenant, lifecycle.Tenant) {
	tb.Helper()
	return withTenants(tb, storetest.Open(tb))
}

// openSQLitePlanStore is openPlanStore on SQLite whatever the tests'
// backend, for the tests of what only SQLite has (its single writer, its
// read-only readers, the read cache).
func openSQLitePlanStore(tb testing.TB) (*store.Store, lifecycle.Tenant, lifecycle.Tenant) {
	tb.Helper()
	return withTenants(tb, openSQLite(tb))
}

// openSQLite is a fresh SQLite store in tb.TempDir().
func openSQLite(tb testing.TB) *store.Store {
	tb.Helper()
	st, err := store.Open(context.Background(), tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// withTenants adds tenants "acme" (public API on) and "globex" to st.
func withTenants(tb testing.TB, st *store.Store) (*store.Store, lifecycle.Tenant, lifecycle.Tenant) {
	tb.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	acme, err := st.CreateTenant(ctx, "acme", true, now)
	if err != nil {
		tb.Fatal(err)
	}
	globex, err := st.CreateTenant(ctx, "globex", false, now)
	if err != nil {
		tb.Fatal(err)
	}
	return st, acme, globex
}

// genRows yields n valid rows, then io.EOF; week i starts on day i.
func genRows(n int) func(*lifecycle.PlanRow) error {
	i := 0
	start := time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC)
	return func(r *lifecycle.PlanRow) error {
		if i == n {
			return io.EOF
		}
		*r = lifecycle.PlanRow{IntervalStart: start.AddDate(0, 0, i).Format(time.DateOnly), Interval: "day",
			Skill: "Billing", SchedulingUnit: "Manila", Volume: fmt.Sprint(i), AHTSeconds: "300",
			FTERequired: "1.50", FTEPlanned: "1.5", ServiceLevelPct: "80", ASASeconds: "20", OccupancyPct: "85"}
		i++
		return nil
	}
}

func count(tb testing.TB, st *store.Store, table string) int {
	tb.Helper()
	var n int
	if err := st.DB.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

func TestImportPlanStoresRowsAndSummary(t *testing.T) {
	st, acme, _ := openPlanStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	// More than one batch, and a remainder.
	p, err := st.ImportPlan(ctx, acme.ID, "FY2027", now, genRows(600))
	if err != nil {
		t.Fatal(err)
	}
	if p.Rows != 600 || p.FirstStart != "2027-01-04" || p.LastStart != "2028-08-25" || p.Interval != "day" {
		t.Fatalf("plan %+v", p)
	}
	got, err := st.TenantPlan(ctx, acme.ID, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got != p {
		t.Fatalf("read back %+v, want %+v", got, p)
	}
	if n := count(t, st, "plan_rows"); n != 600 {
		t.Fatalf("%d rows stored, want 600", n)
	}
}

func TestPlanIntervalIsMixedWhenRowsDiffer(t *testing.T) {
	st, acme, _ := openPlanStore(t)
	rows := genRows(3)
	i := 0
	mixed := func(r *lifecycle.PlanRow) error {
		err := rows(r)
		if i++; i == 2 {
			r.Interval = "month"
		}
		return err
	}
	p, err := st.ImportPlan(context.Background(), acme.ID, "Mixed", time.Now(), mixed)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := st.TenantPlan(context.Background(), acme.ID, p.ID); err != nil || got.Interval != "mixed" {
		t.Fatalf("Interval=%q err=%v, want mixed", got.Interval, err)
	}
}

func TestImportPlanIsAllOrNothing(t *testing.T) {
	st, acme, _ := openPlanStore(t)
	ctx := context.Background()
	now := time.Now()
	if _, err := st.ImportPlan(ctx, acme.ID, "kept", now, genRows(10)); err != nil {
		t.Fatal(err)
	}
	bad := errors.New("line 502: interval \"year\" is not day, week or month")
	rows := genRows(1000)
	n := 0
	_, err := st.ImportPlan(ctx, acme.ID, "broken", now, func(r *lifecycle.PlanRow) error {
		if n++; n == 501 {
			return bad
		}
		return rows(r)
	})
	if !errors.Is(err, bad) {
		t.Fatalf("error %v, want the row's error unchanged", err)
	}
	if p, r := count(t, st, "plans"), count(t, st, "plan_rows"); p != 1 || r != 10 {
		t.Fatalf("%d plans and %d rows after a failed import, want 1 and 10", p, r)
	}
}

func TestImportPlanRefusesDuplicateNameAndUnknownTenant(t *testing.T) {
	st, acme, globex := openPlanStore(t)
	ctx := context.Background()
	if _, err := st.ImportPlan(ctx, acme.ID, "FY2027", time.Now(), genRows(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ImportPlan(ctx, acme.ID, "FY2027", time.Now(), genRows(1)); !errors.Is(err, lifecycle.ErrConflict) {
		t.Fatalf("duplicate name: %v, want ErrConflict", err)
	}
	if _, err := st.ImportPlan(ctx, globex.ID, "FY2027", time.Now(), genRows(1)); err != nil {
		t.Fatalf("the same name in another tenant: %v", err)
	}
	if _, err := st.ImportPlan(ctx, 999, "FY2027", time.Now(), genRows(1)); !errors.Is(err, lifecycle.ErrNotFound) {
		t.Fatalf("unknown tenant: %v, want ErrNotFound", err)
	}
}

func TestPlansBelongToTheirTenant(t *testing.T) {
	st, acme, globex := openPlanStore(t)
	ctx := context.Background()
	a, _ := st.ImportPlan(ctx, acme.ID, "A", time.Now(), genRows(1))
	g, _ := st.ImportPlan(ctx, globex.ID, "G", time.Now(), genRows(1))
	if _, err := st.TenantPlan(ctx, acme.ID, g.ID); !errors.Is(err, lifecycle.ErrNotFound) {
		t.Fatalf("acme reading globex's plan: %v, want ErrNotFound", err)
	}
	plans, err := st.Plans(ctx, acme.ID)
	if err != nil || len(plans) != 1 || plans[0].ID != a.ID {
		t.Fatalf("acme's plans = %+v, %v", plans, err)
	}
}

func TestPlanRowsAfterPagesEveryRowOnce(t *testing.T) {
	st, acme, _ := openPlanStore(t)
	ctx := context.Background()
	p, err := st.ImportPlan(ctx, acme.ID, "P", time.Now(), genRows(95))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	after := int64(0)
	for page := 0; ; page++ {
		rows, err := st.PlanRowsAfter(ctx, p.ID, after, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 {
			break
		}
		// Rows of another plan arriving meanwhile do not disturb the walk.
		if _, err := st.ImportPlan(ctx, acme.ID, fmt.Sprint("other ", page), time.Now(), genRows(7)); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if seen[r.IntervalStart] {
				t.Fatalf("row %s seen twice", r.IntervalStart)
			}
			seen[r.IntervalStart] = true
			after = r.ID
		}
	}
	if len(seen) != 95 {
		t.Fatalf("saw %d rows, want 95", len(seen))
	}
}

func TestEachPlanRowWalksInImportOrder(t *testing.T) {
	st, acme, _ := openPlanStore(t)
	ctx := context.Background()
	const total = 2345 // more than one chunk, and a remainder
	p, _ := st.ImportPlan(ctx, acme.ID, "P", time.Now(), genRows(total))
	if _, err := st.ImportPlan(ctx, acme.ID, "after", time.Now(), genRows(10)); err != nil {
		t.Fatal(err)
	}
	want := genRows(total)
	n := 0
	err := st.EachPlanRow(ctx, p.ID, func(r *lifecycle.PlanRow) error {
		var w lifecycle.PlanRow
		want(&w)
		w.ID = r.ID
		if *r != w {
			return fmt.Errorf("row %d = %+v, want %+v", n, *r, w)
		}
		n++
		return nil
	})
	if err != nil || n != total {
		t.Fatalf("walked %d rows: %v", n, err)
	}
	stop := errors.New("stop")
	if err := st.EachPlanRow(ctx, p.ID, func(*lifecycle.PlanRow) error { return stop }); err != stop {
		t.Fatalf("an error from fn: %v, want it returned", err)
	}
}

func BenchmarkImportPlan(b *testing.B) {
	st, acme, _ := openPlanStore(b)
	ctx := context.Background()
	const rows = 20000
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := st.ImportPlan(ctx, acme.ID, fmt.Sprint("bench ", i), time.Now(), genRows(rows)); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
}

func BenchmarkEachPlanLine(b *testing.B) {
	st, acme, _ := openPlanStore(b)
	ctx := context.Background()
	const rows = 100000
	p, err := st.ImportPlan(ctx, acme.ID, "bench", time.Now(), genRows(rows))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		n := 0
		if err := st.EachPlanLine(ctx, p.ID, func([]byte) error { n++; return nil }); err != nil || n != rows {
			b.Fatalf("%d lines: %v", n, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
}

// BenchmarkEachPlanChunk walks a 50,000-row plan as the CSV export does,
// under a context that is never cancelled and under a cancellable one, as a
// served request's is: the two should cost the same per row.
func BenchmarkEachPlanChunk(b *testing.B) {
	st, acme, _ := openPlanStore(b)
	const rows = 50_000
	p, err := st.ImportPlan(context.Background(), acme.ID, "bench", time.Now(), genRows(rows))
	if err != nil {
		b.Fatal(err)
	}
	cancellable, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, c := range []struct {
		name string
		ctx  context.Context
	}{{"background", context.Background()}, {"cancellable", cancellable}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				n := 0
				if err := st.EachPlanChunk(c.ctx, p.ID, func(_ []byte, k int) error { n += k; return nil }); err != nil || n != rows {
					b.Fatalf("%d rows: %v", n, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
		})
	}
}

func BenchmarkPlanRowsAfter(b *testing.B) {
	st, acme, _ := openPlanStore(b)
	ctx := context.Background()
	p, err := st.ImportPlan(ctx, acme.ID, "bench", time.Now(), genRows(1000))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if rows, err := st.PlanRowsAfter(ctx, p.ID, 0, 1000); err != nil || len(rows) != 1000 {
			b.Fatalf("%d rows: %v", len(rows), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/row")
}

// The export's blocks hold every row once, in order, across several
// queries, exactly as the line-by-line walk gives them.
func TestEachPlanChunkMatchesEachPlanLine(t *testing.T) {
	st, acme, _ := openPlanStore(t)
	ctx := context.Background()
	const rows = 20_000 // more than two blocks, and a remainder
	p, err := st.ImportPlan(ctx, acme.ID, "Blocks", time.Now(), genRows(rows))
	if err != nil {
		t.Fatal(err)
	}
	var byLine, byChunk bytes.Buffer
	if err := st.EachPlanLine(ctx, p.ID, func(line []byte) error { byLine.Write(line); return nil }); err != nil {
		t.Fatal(err)
	}
	total, blocks := 0, 0
	if err := st.EachPlanChunk(ctx, p.ID, func(lines []byte, n int) error {
		byChunk.Write(lines)
		total += n
		blocks++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if total != rows || blocks < 3 {
		t.Fatalf("rows=%d in %d blocks, want %d in at least 3", total, blocks, rows)
	}
	if byChunk.String() != byLine.String() {
		t.Fatal("the blocks differ from the lines")
	}
	if got := strings.Count(byChunk.String(), "\n"); got != rows {
		t.Fatalf("%d lines, want %d", got, rows)
	}
}

// Rows of another plan inside a plan's id range (a database written by
// other means than one import per transaction) are skipped, and the plan's
// own rows all come, in id order.
func TestEachPlanChunkSkipsInterleavedRows(t *testing.T) {
	st, acme, _ := openPlanStore(t)
	ctx := context.Background()
	a, err := st.ImportPlan(ctx, acme.ID, "A", time.Now(), genRows(3))
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.ImportPlan(ctx, acme.ID, "B", time.Now(), genRows(2))
	if err != nil {
		t.Fatal(err)
	}
	// A's fourth row lands after B's rows.
	if _, err := st.DB.Exec(`INSERT INTO plan_rows (plan_id, line) SELECT plan_id, line FROM plan_rows WHERE plan_id = $1 ORDER BY id LIMIT 1`, a.ID); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	n := 0
	if err := st.EachPlanChunk(ctx, a.ID, func(lines []byte, rows int) error { got.Write(lines); n += rows; return nil }); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	st.EachPlanLine(ctx, a.ID, func(line []byte) error { want.Write(line); return nil })
	if n != 4 || got.String() != want.String() {
		t.Fatalf("plan A: %d rows\n%s\nwant 4:\n%s", n, got.String(), want.String())
	}
	_ = b
}

// An export whose context ends (its client went away) stops before the
// next block: no further query runs and the context's error comes back.
func TestEachPlanChunkStopsAtTheBlockAfterItsContextEnds(t *testing.T) {
	st, acme, _ := openPlanStore(t)
	p, err := st.ImportPlan(context.Background(), acme.ID, "Blocks", time.Now(), genRows(20_000))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	blocks := 0
	err = st.EachPlanChunk(ctx, p.ID, func([]byte, int) error {
		blocks++
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) || blocks != 1 {
		t.Fatalf("EachPlanChunk after cancel: %d blocks, err %v; want 1 block and context.Canceled", blocks, err)
	}
}

// A plan's last block ends at its own last row, not at the end of the
// table: exporting a small plan never walks a large one imported after it.
func TestPlanBlockEndStopsAtThePlansLastRow(t *testing.T) {
	st, acme, _ := openPlanStore(t)
	ctx := context.Background()
	small, err := st.ImportPlan(ctx, acme.ID, "Small", time.Now(), genRows(3))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ImportPlan(ctx, acme.ID, "Large", time.Now(), genRows(50)); err != nil {
		t.Fatal(err)
	}
	var maxID int64
	st.DB.QueryRow(`SELECT max(id) FROM plan_rows WHERE plan_id = $1`, small.ID).Scan(&maxID)
	last, full, err := st.PlanBlockEnd(ctx, small.ID, 0)
	if err != nil || last != maxID || full {
		t.Fatalf("PlanBlockEnd = %d, %v, %v; want %d, false, nil", last, full, err, maxID)
	}
	if _, _, err := st.PlanBlockEnd(ctx, small.ID, maxID); !errors.Is(err, lifecycle.ErrNotFound) {
		t.Fatalf("after the last row: err=%v, want ErrNotFound", err)
	}
}
