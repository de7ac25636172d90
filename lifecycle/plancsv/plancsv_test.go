package plancsv_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"esp/lifecycle"
	"esp/lifecycle/plancsv"
)

func validRecord() []string {
	return []string{"2027-01-04", "week", "Billing", "Manila", "1520", "372", "12.50", "13.00", "80.0", "21", "82.5"}
}

func TestParsePlanRowAcceptsAndCanonicalisesNumbers(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"12.50", "12.50"}, // kept exactly: trailing zeros survive
		{"0", "0"},
		{"1e3", "1e3"},
		{"1.5E-2", "1.5E-2"},
		{"2e+01", "2e+01"},
		{"007", "7"},
		{"00.25", "0.25"},
		{".5", "0.5"},
		{"5.", "5"},
		{"5.e2", "5e2"},
		{"000", "0"},
	} {
		rec := validRecord()
		rec[4] = tc.in
		var r lifecycle.PlanRow
		if err := plancsv.ParseRow(rec, &r); err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if r.Volume != tc.want {
			t.Fatalf("%q stored as %q, want %q", tc.in, r.Volume, tc.want)
		}
		if !json.Valid([]byte(r.Volume)) {
			t.Fatalf("%q stored as %q, not a JSON number", tc.in, r.Volume)
		}
	}
}

func TestParsePlanRowPercentagesAndDatesAtTheirLimits(t *testing.T) {
	for _, tc := range []struct {
		column int
		value  string
		ok     bool
	}{
		{8, "100", true}, {8, "100.000", true}, {8, "0100", true}, {8, "99.999", true}, {8, "1e2", true},
		{8, "100.0001", false}, {8, "101", false}, {8, "1000", false}, {8, "1.01e2", false}, {10, "200", false},
		{0, "2028-02-29", true}, {0, "2027-02-29", false}, {0, "2027-00-10", false}, {0, "2027-12-32", false},
		{0, "2027-04-31", false}, {0, "2027-04-30", true}, {0, "2027-4-30", false}, {0, "2027-04-3a", false},
	} {
		rec := validRecord()
		rec[tc.column] = tc.value
		var r lifecycle.PlanRow
		if err := plancsv.ParseRow(rec, &r); (err == nil) != tc.ok {
			t.Errorf("%s %q: error %v, want ok=%v", plancsv.Columns[tc.column], tc.value, err, tc.ok)
		}
	}
}

func TestParsePlanRowRefusesBadRows(t *testing.T) {
	for _, tc := range []struct {
		name   string
		column int
		value  string
		want   string
	}{
		{"bad date", 0, "2027-02-30", "interval_start"},
		{"not a date", 0, "04/01/2027", "interval_start"},
		{"short date", 0, "2027-1-4", "interval_start"},
		{"unknown interval", 1, "year", "interval"},
		{"interval in capitals", 1, "Week", "interval"},
		{"empty skill", 2, "", "skill is empty"},
		{"blank skill", 2, "  ", "skill is empty"},
		{"empty scheduling unit", 3, "", "scheduling_unit is empty"},
		{"control character", 2, "Bill\x00ing", "control character"},
		{"invalid UTF-8", 3, "Krak\xf3w", "UTF-8"},
		{"long skill", 2, strings.Repeat("s", 201), "longer than"},
		{"not a number", 5, "abc", "aht_seconds"},
		{"empty number", 4, "", "volume"},
		{"negative", 6, "-1", "is negative"},
		{"signed", 6, "+1", "is not a number"},
		{"hex", 4, "0x10", "is not a number"},
		{"infinity", 4, "Inf", "is not a number"},
		{"NaN", 4, "NaN", "is not a number"},
		{"too large", 4, "1e400", "is too large"},
		{"percent over 100", 8, "100.5", "service_level_pct \"100.5\" is over 100"},
		{"occupancy over 100", 10, "1e3", "occupancy_pct"},
		{"digits grouped", 4, "1,000", "is not a number"},
		{"spaces", 4, " 12", "is not a number"},
		{"bare dot", 4, ".", "is not a number"},
		{"exponent without digits", 4, "1e", "is not a number"},
		{"formula in skill", 2, "=HYPERLINK(\"http://x.test\",\"Billing\")", `skill "=HYPERLINK`},
		{"plus in skill", 2, "+1+cmd|' /C calc'!A0", `skill "+1+cmd`},
		{"minus in scheduling unit", 3, "-2+3", `scheduling_unit "-2+3" starts with "-"`},
		{"at in scheduling unit", 3, "@SUM(1,2)", `scheduling_unit "@SUM(1,2)" starts with "@"`},
		{"tab first in skill", 2, "\t=1+1", `skill "\t=1+1" starts with "\t"`},
		{"carriage return first in scheduling unit", 3, "\r=1+1", `scheduling_unit "\r=1+1" starts with "\r"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := validRecord()
			rec[tc.column] = tc.value
			var r lifecycle.PlanRow
			err := plancsv.ParseRow(rec, &r)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	var r lifecycle.PlanRow
	if err := plancsv.ParseRow(validRecord()[:10], &r); err == nil || !strings.Contains(err.Error(), "has 10 columns, want 11") {
		t.Fatalf("short record: %v", err)
	}
}

// Characters that start a formula are harmless inside a label.
func TestParsePlanRowAcceptsFormulaCharactersAfterTheStart(t *testing.T) {
	for _, v := range []string{"Sales - Inbound", "a=b", "Tech+", "ops@east", " Austin", "Billing\u00a0=1"} {
		rec := validRecord()
		rec[2], rec[3] = v, v
		var r lifecycle.PlanRow
		if err := plancsv.ParseRow(rec, &r); err != nil {
			t.Errorf("%q: %v", v, err)
		}
	}
}

func TestPlanCSVReaderNamesTheLine(t *testing.T) {
	for _, tc := range []struct {
		name, file, want string
	}{
		{"empty file", "", "line 1: the file is empty"},
		{"wrong header", "interval_start,interval,skill\n", "line 1: the header must be exactly"},
		{"header in other order", strings.Replace(plancsv.Header, "skill,scheduling_unit", "scheduling_unit,skill", 1), "line 1:"},
		{"bad third row", plancsv.Header + "2027-01-04,week,A,B,1,1,1,1,1,1,1\n2027-01-11,week,A,B,1,1,1,1,1,1,1\n2027-01-18,year,A,B,1,1,1,1,1,1,1\n", "line 4: interval"},
		{"extra column", plancsv.Header + "2027-01-04,week,A,B,1,1,1,1,1,1,1,1\n", "line 2: has 12 columns"},
		{"bare quote", plancsv.Header + "2027-01-04,week,A\"x,B,1,1,1,1,1,1,1\n", "line 2:"},
		{"formula in the second row", plancsv.Header + "2027-01-04,week,A,B,1,1,1,1,1,1,1\n2027-01-11,week,A,=1+1,1,1,1,1,1,1,1\n", `line 3: scheduling_unit "=1+1" starts with "="`},
		{"quoted formula", plancsv.Header + "2027-01-04,week,\"@cmd, x\",B,1,1,1,1,1,1,1\n", `line 2: skill "@cmd, x" starts with "@"`},
		{"line after a quoted newline", plancsv.Header + "2027-01-04,week,\"A\nB\",B,1,1,1,1,1,1,1\n", "line 2: skill"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := plancsv.NewReader(strings.NewReader(tc.file))
			for err == nil {
				var row lifecycle.PlanRow
				err = r.Read(&row)
			}
			if err == io.EOF || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestPlanCSVReaderSkipsByteOrderMark(t *testing.T) {
	r, err := plancsv.NewReader(strings.NewReader("\ufeff" + plancsv.Header + strings.Join(validRecord(), ",") + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	var row lifecycle.PlanRow
	if err := r.Read(&row); err != nil || row.Skill != "Billing" {
		t.Fatalf("row %+v, %v", row, err)
	}
	if err := r.Read(&row); err != io.EOF {
		t.Fatalf("after the last row: %v, want io.EOF", err)
	}
}

// trickyRow has labels that need CSV quoting and JSON escaping.
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

func TestAppendPlanRowCSVMatchesEncodingCSV(t *testing.T) {
	for _, r := range trickyRows() {
		var want bytes.Buffer
		w := csv.NewWriter(&want)
		w.Write([]string{r.IntervalStart, r.Interval, r.Skill, r.SchedulingUnit, r.Volume, r.AHTSeconds,
			r.FTERequired, r.FTEPlanned, r.ServiceLevelPct, r.ASASeconds, r.OccupancyPct})
		w.Flush()
		if got := plancsv.AppendCSV(nil, &r); string(got) != want.String() {
			t.Fatalf("AppendPlanRowCSV = %q, want %q", got, want.String())
		}
	}
}

func TestAppendPlanRowJSONIsTheRowAsJSON(t *testing.T) {
	for _, r := range trickyRows() {
		got := plancsv.AppendJSON(nil, &r)
		d := json.NewDecoder(bytes.NewReader(got))
		d.UseNumber()
		var m map[string]any
		if err := d.Decode(&m); err != nil {
			t.Fatalf("%s: %v", got, err)
		}
		want := map[string]any{"interval_start": r.IntervalStart, "interval": r.Interval, "skill": r.Skill,
			"scheduling_unit": r.SchedulingUnit, "volume": json.Number(r.Volume), "aht_seconds": json.Number(r.AHTSeconds),
			"fte_required": json.Number(r.FTERequired), "fte_planned": json.Number(r.FTEPlanned),
			"service_level_pct": json.Number(r.ServiceLevelPct), "asa_seconds": json.Number(r.ASASeconds),
			"occupancy_pct": json.Number(r.OccupancyPct)}
		if len(m) != len(want) {
			t.Fatalf("%s has %d fields, want %d", got, len(m), len(want))
		}
		for k, v := range want {
			if m[k] != v {
				t.Fatalf("%s: %s = %#v, want %#v", got, k, m[k], v)
			}
		}
		if !bytes.Contains(got, []byte(`"fte_required":12.50`)) {
			t.Fatalf("%s: numbers must keep their digits", got)
		}
	}
}

func BenchmarkAppendPlanRowCSV(b *testing.B) {
	r := trickyRows()[1]
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = plancsv.AppendCSV(buf[:0], &r)
	}
}

func BenchmarkAppendPlanRowJSON(b *testing.B) {
	r := trickyRows()[1]
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = plancsv.AppendJSON(buf[:0], &r)
	}
}

func BenchmarkParsePlanRow(b *testing.B) {
	rec := validRecord()
	var r lifecycle.PlanRow
	b.ReportAllocs()
	for b.Loop() {
		if err := plancsv.ParseRow(rec, &r); err != nil {
			b.Fatal(err)
		}
	}
}
