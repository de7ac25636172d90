package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/lifecycle/plancsv"
	"esp/store"
)

const goodRow = "2027-01-04,week,Billing,Manila,1520,372,12.50,13.00,80.0,21,82.5"

// writeCSV writes a plan file: the header, then the lines given.
func writeCSV(t *testing.T, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plan.csv")
	body := plancsv.Header + strings.Join(lines, "\n")
	if len(lines) > 0 {
		body += "\n"
	}
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// exportCSV is what the API's CSV export writes for a plan: the same
// header and row encoder, read from the database.
func exportCSV(t *testing.T, st *store.Store, planID int64) string {
	t.Helper()
	var b bytes.Buffer
	b.WriteString(plancsv.Header)
	err := st.EachPlanRow(context.Background(), planID, func(r *lifecycle.PlanRow) error {
		b.Write(plancsv.AppendCSV(nil, r))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func onlyPlan(t *testing.T, st *store.Store, tenantID int64, name string) lifecycle.Plan {
	t.Helper()
	plans, err := st.Plans(context.Background(), tenantID)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plans {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no plan %q among %+v", name, plans)
	return lifecycle.Plan{}
}

func TestPlanImportLoadsTheFile(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "tenant", "add", "acme")
	path := writeCSV(t, goodRow, "2027-01-11,week,\"Sales, Inbound\",Kraków,1e3,300,2.5,2.50,85,15,80")
	r := mustRun(t, dir, "", "plan", "import", "--tenant", "acme", "--name", "FY2027 Baseline", path)
	if want := "imported 2 rows into plan \"FY2027 Baseline\" (id 1)\n"; r.stdout != want {
		t.Fatalf("stdout %q, want %q", r.stdout, want)
	}
	st := mustStore(t, dir)
	p := onlyPlan(t, st, tenant(t, dir, "acme").ID, "FY2027 Baseline")
	if p.Rows != 2 || p.FirstStart != "2027-01-04" || p.LastStart != "2027-01-11" {
		t.Fatalf("plan %+v", p)
	}
}

func TestPlanImportReadsStdin(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "tenant", "add", "acme")
	r := mustRun(t, dir, plancsv.Header+goodRow+"\n", "plan", "import", "--tenant", "acme", "--name", "P", "-")
	if !strings.HasPrefix(r.stdout, "imported 1 rows") {
		t.Fatalf("stdout %q", r.stdout)
	}
}

func TestPlanImportRefusesBadInputAndChangesNothing(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "tenant", "add", "acme")
	mustRun(t, dir, "", "plan", "import", "--tenant", "acme", "--name", "Existing", writeCSV(t, goodRow))
	many := make([]string, 0, 1200)
	for range 1100 {
		many = append(many, goodRow)
	}
	cases := []struct {
		name string
		file string
		args []string
		want string
		code int
	}{
		{"wrong column count", writeCSV(t, goodRow, goodRow+",7"), nil, "line 3: has 12 columns, want 11", 1},
		{"bad number", writeCSV(t, goodRow, goodRow, strings.Replace(goodRow, "372", "3x2", 1)), nil, `line 4: aht_seconds "3x2" is not a number`, 1},
		{"negative number", writeCSV(t, strings.Replace(goodRow, "1520", "-5", 1)), nil, `line 2: volume "-5" is negative`, 1},
		{"percentage over 100", writeCSV(t, strings.Replace(goodRow, "80.0", "180", 1)), nil, `line 2: service_level_pct "180" is over 100`, 1},
		{"bad date", writeCSV(t, strings.Replace(goodRow, "2027-01-04", "2027-13-04", 1)), nil, `line 2: interval_start "2027-13-04" is not a date`, 1},
		{"unknown interval", writeCSV(t, goodRow, strings.Replace(goodRow, "week", "fortnight", 1)), nil, `line 3: interval "fortnight" is not day, week or month`, 1},
		{"empty skill", writeCSV(t, strings.Replace(goodRow, "Billing", "", 1)), nil, "line 2: skill is empty", 1},
		{"bad row after a thousand good ones", writeCSV(t, append(many, strings.Replace(goodRow, "week", "year", 1))...), nil, "line 1102: interval", 1},
		{"formula in skill", writeCSV(t, goodRow, strings.Replace(goodRow, "Billing", `"=HYPERLINK(""http://x.test"",""Billing"")"`, 1)), nil, `line 3: skill "=HYPERLINK(`, 1},
		{"formula in scheduling unit", writeCSV(t, strings.Replace(goodRow, "Manila", "+1+2", 1)), nil, `line 2: scheduling_unit "+1+2" starts with "+"`, 1},
		{"minus first", writeCSV(t, strings.Replace(goodRow, "Manila", "-Manila", 1)), nil, `line 2: scheduling_unit "-Manila" starts with "-"`, 1},
		{"at first", writeCSV(t, strings.Replace(goodRow, "Billing", "@SUM(A1)", 1)), nil, `line 2: skill "@SUM(A1)" starts with "@"`, 1},
		{"tab first", writeCSV(t, strings.Replace(goodRow, "Billing", "\"\t=1\"", 1)), nil, `line 2: skill "\t=1" starts with "\t"`, 1},
		{"carriage return first", writeCSV(t, strings.Replace(goodRow, "Billing", "\"\r=1\"", 1)), nil, `line 2: skill "\r=1" starts with "\r"`, 1},
		{"broken quoting", writeCSV(t, strings.Replace(goodRow, "Billing", `Bil"ling`, 1)), nil, "line 2:", 1},
		{"wrong header", writeCSVRaw(t, "interval_start,skill\n"+goodRow+"\n"), nil, "line 1: the header must be exactly", 1},
		{"header only", writeCSV(t), nil, "line 2: the file has a header but no rows", 1},
		{"missing file", filepath.Join(t.TempDir(), "nope.csv"), nil, "cannot open", 1},
		{"unknown tenant", writeCSV(t, goodRow), []string{"--tenant", "nope"}, `unknown tenant "nope"`, 1},
		{"duplicate plan name", writeCSV(t, goodRow), []string{"--name", "Existing"}, `tenant "acme" already has a plan named "Existing"`, 1},
		{"no name", writeCSV(t, goodRow), []string{"--name", ""}, "--tenant and --name are required", 2},
		{"name with spaces around", writeCSV(t, goodRow), []string{"--name", " P "}, "--name: plan name must not start or end with spaces", 2},
		{"name that is not UTF-8", writeCSV(t, goodRow), []string{"--name", "plan \xff"}, "--name: plan name must be valid UTF-8 text", 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := map[string]string{"--tenant": "acme", "--name": "New plan"}
			for i := 0; i+1 < len(c.args); i += 2 {
				args[c.args[i]] = c.args[i+1]
			}
			before := snapshot(t, dir)
			code, stdout, stderr := execCLI(t, dir, "", "plan", "import", "--tenant", args["--tenant"], "--name", args["--name"], c.file)
			if code != c.code {
				t.Fatalf("exit=%d, want %d (stderr %q)", code, c.code, stderr)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "esp: ") || !strings.Contains(stderr, c.want) {
				t.Fatalf("stderr=%q, want one line mentioning %q", stderr, c.want)
			}
			if stdout != "" {
				t.Fatalf("stdout=%q, want nothing", stdout)
			}
			if after := snapshot(t, dir); after != before {
				t.Fatalf("the database changed:\nbefore:\n%.2000s\nafter:\n%.2000s", before, after)
			}
		})
	}
}

func writeCSVRaw(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "raw.csv")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPlanImportExportRoundTripIsByteIdentical(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "tenant", "add", "acme")
	// Not yet canonical: a BOM, CRLF line ends, quotes where none are
	// needed, numbers with leading zeros or a bare dot.
	first := writeCSVRaw(t, "\ufeff"+strings.ReplaceAll(plancsv.Header, "\n", "\r\n")+
		"2027-01-04,week,\"Billing\",Manila,007,372,12.50,.5,80.0,21,82.5\r\n"+
		"2027-01-11,month,\"Tech \"\"Gold\"\"\",\" Austin\",1e3,240.,0,0.0,100,0,75\r\n"+
		"2027-01-18,day,Sales - Inbound,ops@east+1=2,1,1,1,1,1,1,1\r\n")
	mustRun(t, dir, "", "plan", "import", "--tenant", "acme", "--name", "one", first)
	st := mustStore(t, dir)
	acme := tenant(t, dir, "acme")
	export1 := exportCSV(t, st, onlyPlan(t, st, acme.ID, "one").ID)
	want := plancsv.Header +
		"2027-01-04,week,Billing,Manila,7,372,12.50,0.5,80.0,21,82.5\n" +
		"2027-01-11,month,\"Tech \"\"Gold\"\"\",\" Austin\",1e3,240,0,0.0,100,0,75\n" +
		"2027-01-18,day,Sales - Inbound,ops@east+1=2,1,1,1,1,1,1,1\n"
	if export1 != want {
		t.Fatalf("first export:\n%s\nwant:\n%s", export1, want)
	}

	second := writeCSVRaw(t, export1)
	mustRun(t, dir, "", "plan", "import", "--tenant", "acme", "--name", "two", second)
	export2 := exportCSV(t, st, onlyPlan(t, st, acme.ID, "two").ID)
	if export2 != export1 {
		t.Fatalf("export -> import -> export changed the bytes:\n%s\nwant:\n%s", export2, export1)
	}
}

func TestDemoPlansAreRealistic(t *testing.T) {
	dir := t.TempDir()
	st := mustStore(t, dir)
	ctx := context.Background()
	demo, err := st.CreateTenant(ctx, "demo", true, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := loadDemoPlans(ctx, st, demo.ID); err != nil {
		t.Fatal(err)
	}
	// A second run (a first run that stopped half-way) adds nothing.
	if err := loadDemoPlans(ctx, st, demo.ID); err != nil {
		t.Fatal(err)
	}
	plans, err := st.Plans(ctx, demo.ID)
	if err != nil || len(plans) != 2 {
		t.Fatalf("plans %+v, %v; want 2", plans, err)
	}
	volumeByPlan := map[string]map[string]float64{}
	for _, p := range plans {
		if p.Rows != 52*4*3 || p.FirstStart != "2027-01-04" || p.LastStart != "2027-12-27" {
			t.Fatalf("plan %+v: want 624 weekly rows from 2027-01-04", p)
		}
		volumeByPlan[p.Name] = map[string]float64{}
		skills, units := map[string]bool{}, map[string]bool{}
		err := st.EachPlanRow(ctx, p.ID, func(r *lifecycle.PlanRow) error {
			// Every demo row must be one the importer accepts, unchanged.
			var parsed lifecycle.PlanRow
			rec := strings.Split(strings.TrimSuffix(string(plancsv.AppendCSV(nil, r)), "\n"), ",")
			if err := plancsv.ParseRow(rec, &parsed); err != nil {
				return fmt.Errorf("row %+v: %v", *r, err)
			}
			parsed.ID = r.ID
			if parsed != *r {
				return fmt.Errorf("row %+v is not in canonical form", *r)
			}
			skills[r.Skill], units[r.SchedulingUnit] = true, true
			for _, c := range []struct {
				name   string
				v      string
				lo, hi float64
			}{{"aht", r.AHTSeconds, 240, 600}, {"service level", r.ServiceLevelPct, 70, 90}, {"occupancy", r.OccupancyPct, 75, 88}} {
				var v float64
				fmt.Sscan(c.v, &v)
				if v < c.lo || v > c.hi {
					return fmt.Errorf("%s %s outside %v..%v", c.name, c.v, c.lo, c.hi)
				}
			}
			var v float64
			fmt.Sscan(r.Volume, &v)
			volumeByPlan[p.Name][r.IntervalStart[:7]] += v
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		if len(skills) != 4 || len(units) != 3 {
			t.Fatalf("%s: %d skills and %d units, want 4 and 3", p.Name, len(skills), len(units))
		}
	}
	base, peak := volumeByPlan["FY2027 Baseline"], volumeByPlan["FY2027 Peak Season"]
	if !(base["2027-12"] > base["2027-07"]*1.1) {
		t.Fatalf("no seasonality: December %v vs July %v", base["2027-12"], base["2027-07"])
	}
	if !(peak["2027-12"] > base["2027-12"]*1.1) {
		t.Fatalf("the peak plan's December (%v) is not busier than the baseline's (%v)", peak["2027-12"], base["2027-12"])
	}
}
