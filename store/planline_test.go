package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store"
)

// awkwardRows are trickyRows and more labels whose CSV needs quotes: quotes
// and commas together, every kind of leading space, line ends.
func awkwardRows() []lifecycle.PlanRow {
	rows := trickyRows()
	for _, l := range []string{`Sales, "Inbound"`, `""`, `"`, "\u00a0nbsp", "\u3000ideographic", "\u2009thin",
		"trailing ", "cr\rlf\n", "\\.x", "a,b,c", "Überstunden"} {
		r := rows[0]
		r.Skill, r.SchedulingUnit = l, "Unit "+l
		rows = append(rows, r)
	}
	return rows
}

func TestParsePlanLineReadsWhatAppendPlanRowRecordWrites(t *testing.T) {
	for _, r := range awkwardRows() {
		line := string(lifecycle.AppendPlanLine(nil, &r))
		var got lifecycle.PlanRow
		if err := lifecycle.ParsePlanLine(line, &got); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if got != r {
			t.Fatalf("%q parsed as %+v, want %+v", line, got, r)
		}
	}
}

func TestParsePlanLineRefusesWhatIsNotARecord(t *testing.T) {
	for _, line := range []string{"", "a,b", `2027-01-04,week,"open,Unit,1,2,3,4,5,6,7`,
		`2027-01-04,week,"a"b,Unit,1,2,3,4,5,6,7`, "2027-01-04,week,a,b,1,2,3,4,5,6,7,8"} {
		var r lifecycle.PlanRow
		if err := lifecycle.ParsePlanLine(line, &r); err == nil {
			t.Fatalf("%q parsed as %+v, want an error", line, r)
		}
	}
}

func TestStoredRowsReadBackAsImported(t *testing.T) {
	st, acme, _ := openPlanStore(t)
	ctx := context.Background()
	rows := awkwardRows()
	i := 0
	p, err := st.ImportPlan(ctx, acme.ID, "awkward", time.Now(), func(r *lifecycle.PlanRow) error {
		if i == len(rows) {
			return io.EOF
		}
		*r = rows[i]
		i++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	checkStoredRows(t, st, p.ID, rows)
}

// checkStoredRows checks that the plan's rows read back as want, both as
// rows and as CSV lines.
func checkStoredRows(t *testing.T, st *store.Store, planID int64, want []lifecycle.PlanRow) {
	t.Helper()
	ctx := context.Background()
	got, err := st.PlanRowsAfter(ctx, planID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d rows, want %d", len(got), len(want))
	}
	var wantCSV bytes.Buffer
	for i := range want {
		w := want[i]
		w.ID = got[i].ID
		if got[i] != w {
			t.Fatalf("row %d = %+v, want %+v", i, got[i], w)
		}
		wantCSV.Write(append(lifecycle.AppendPlanLine(nil, &w), '\n'))
	}
	var gotCSV bytes.Buffer
	if err := st.EachPlanLine(ctx, planID, func(line []byte) error {
		gotCSV.Write(line)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if gotCSV.String() != wantCSV.String() {
		t.Fatalf("lines:\n%s\nwant:\n%s", gotCSV.String(), wantCSV.String())
	}
}

// TestMigration0005KeepsEveryRow builds a database as migrations 0001-0004
// left it, with rows in the old eleven columns, and opens it with the
// current store: every row must read back the same, and its line must be
// exactly what the export wrote before.
func TestMigration0005KeepsEveryRow(t *testing.T) {
	path := filepath.Join(t.TempDir(), store.DBFile)
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mustExec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%.80s: %v", q, err)
		}
	}
	mustExec(`CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`)
	for _, name := range []string{"0001_init.sql", "0002_plans_tokens.sql", "0003_sessions.sql", "0004_plan_interval.sql"} {
		body, err := os.ReadFile(filepath.Join("migrations", name))
		if err != nil {
			t.Fatal(err)
		}
		mustExec(string(body))
		mustExec(`INSERT INTO schema_migrations (name, applied_at) VALUES ($1, 0)`, name)
	}
	mustExec(`INSERT INTO tenants (id, name, created_at) VALUES (1, 'acme', 0)`)
	mustExec(`INSERT INTO plans (id, tenant_id, name, created_at) VALUES (1, 1, 'old', 0), (2, 1, 'other', 0)`)
	rows := awkwardRows()
	for i, r := range rows {
		// The other plan's rows in between: ids are kept, not renumbered.
		mustExec(`INSERT INTO plan_rows (plan_id, interval_start, interval, skill, scheduling_unit, volume, aht_seconds,
			fte_required, fte_planned, service_level_pct, asa_seconds, occupancy_pct) VALUES (2, $1, 'day', 'x', 'y', $2, 1, 1, 1, 1, 1, 1)`,
			r.IntervalStart, i)
		mustExec(`INSERT INTO plan_rows (plan_id, interval_start, interval, skill, scheduling_unit, volume, aht_seconds,
			fte_required, fte_planned, service_level_pct, asa_seconds, occupancy_pct) VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			r.IntervalStart, r.Interval, r.Skill, r.SchedulingUnit, r.Volume, r.AHTSeconds,
			r.FTERequired, r.FTEPlanned, r.ServiceLevelPct, r.ASASeconds, r.OccupancyPct)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	st, err := store.OpenFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	checkStoredRows(t, st, 1, rows)
	if n := count(t, st, "plan_rows"); n != 2*len(rows) {
		t.Fatalf("%d rows after the migration, want %d", n, 2*len(rows))
	}
	var plan string
	if err := st.DB.QueryRow(`EXPLAIN QUERY PLAN SELECT id, line FROM plan_rows WHERE plan_id = 1 AND id > 0 ORDER BY id LIMIT 10`).
		Scan(new(int), new(int), new(int), &plan); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(plan, "SEARCH plan_rows USING") || !strings.Contains(plan, "INDEX plan_rows_plan") {
		t.Fatalf("query plan %q, want a search of plan_rows_plan", plan)
	}
}

func trickyRows() []lifecycle.PlanRow {
	labels := []string{"Billing", `Tech "Gold"`, "Sales, Inbound", " Austin", "Kraków", `\.`, "back\\slash", "tab\tin", "line\u2028sep", "<b>&"}
	var rows []lifecycle.PlanRow
	for _, l := range labels {
		rows = append(rows, lifecycle.PlanRow{IntervalStart: "2027-01-04", Interval: "week", Skill: l, SchedulingUnit: l,
			Volume: "1520", AHTSeconds: "372", FTERequired: "12.50", FTEPlanned: "1e1", ServiceLevelPct: "80.0",
			ASASeconds: "0", OccupancyPct: "100"})
	}
	return rows
}
