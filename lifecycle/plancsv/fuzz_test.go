package plancsv_test

import (
	"encoding/json"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"esp/lifecycle"
	"esp/lifecycle/plancsv"
)

// FuzzPlanCSVRow reads a fuzzed line of a plan CSV file after the header.
// Nothing panics; an error names its line; an accepted row holds a real
// date, a known interval, clean labels and finite non-negative JSON numbers
// (percentages at most 100), and it survives export → import → export
// unchanged, as CSV and as JSON.
func FuzzPlanCSVRow(f *testing.F) {
	for _, s := range []string{
		"2027-01-04,week,Billing,Manila,1520,372,12.50,13.00,80.0,21,82.5",
		`2027-02-28,day,"Tech ""Gold"" Support","Sales, Inbound",0,0,0,0,0,0,100`,
		"2024-02-29,month,Kraków, Austin,007,.5,5.,1e3,1.5E-2,2e+01,00.25",
		"2023-02-29,day,a,b,1,1,1,1,1,1,1",
		"2027-01-04,year,a,b,1,1,1,1,1,1,1",
		"2027-01-04,day,,b,1,1,1,1,1,1,1",
		"2027-01-04,day,a\x00,b,1,1,1,1,1,1,1",
		"2027-01-04,day,\xff,b,1,1,1,1,1,1,1",
		"2027-01-04,day,a,b,-1,1,1,1,1,1,1",
		"2027-01-04,day,a,b,1e999,1,1,1,1,1,1",
		"2027-01-04,day,a,b,1,1,1,1,100.0000001,1,1",
		"2027-01-04,day,a,b,NaN,Inf,0x10,1_000,+1,1,1",
		"2027-01-04,day,a,b,1,1,1,1,1,1",
		"2027-01-04,day,a,b,1,1,1,1,1,1,1,1",
		"2027-01-04,day,\"a\nb\",b,1,1,1,1,1,1,1",
		"2027-01-04,day,\"unterminated,b,1,1,1,1,1,1,1",
		`2027-01-04,day,\.,b,1,1,1,1,1,1,1`,
		"2027-01-04,day,a,b,1e-400,1,1,1,1e2,1,1",
		"\n",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r, err := plancsv.NewReader(strings.NewReader(plancsv.Header + line))
		if err != nil {
			t.Fatalf("the header was refused: %v", err)
		}
		var row lifecycle.PlanRow
		for i := 0; ; i++ {
			err := r.Read(&row)
			if err == io.EOF {
				return
			}
			if err != nil {
				if !strings.HasPrefix(err.Error(), "line ") {
					t.Fatalf("error %q does not name the line", err)
				}
				return
			}
			checkPlanRow(t, row)
			if i > 100 {
				return
			}
		}
	})
}

func checkPlanRow(t *testing.T, row lifecycle.PlanRow) {
	t.Helper()
	d, err := time.Parse("2006-01-02", row.IntervalStart)
	if err != nil || d.Format("2006-01-02") != row.IntervalStart {
		t.Fatalf("accepted interval_start %q", row.IntervalStart)
	}
	switch row.Interval {
	case "day", "week", "month":
	default:
		t.Fatalf("accepted interval %q", row.Interval)
	}
	for _, label := range []string{row.Skill, row.SchedulingUnit} {
		if strings.TrimSpace(label) == "" || !utf8.ValidString(label) || len(label) > 200 ||
			strings.IndexFunc(label, unicode.IsControl) >= 0 {
			t.Fatalf("accepted label %q", label)
		}
	}
	numbers := []string{row.Volume, row.AHTSeconds, row.FTERequired, row.FTEPlanned, row.ServiceLevelPct, row.ASASeconds, row.OccupancyPct}
	for i, n := range numbers {
		v, err := strconv.ParseFloat(n, 64)
		if !json.Valid([]byte(n)) || err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
			t.Fatalf("accepted number %q", n)
		}
		if (i == 4 || i == 6) && v > 100 {
			t.Fatalf("accepted percentage %q", n)
		}
	}

	// Export → import → export gives the same bytes.
	line := string(plancsv.AppendCSV(nil, &row))
	r, err := plancsv.NewReader(strings.NewReader(plancsv.Header + line))
	if err != nil {
		t.Fatal(err)
	}
	var again lifecycle.PlanRow
	if err := r.Read(&again); err != nil {
		t.Fatalf("the export %q of an accepted row is refused: %v", line, err)
	}
	if again != row {
		t.Fatalf("export → import changed the row:\n%+v\n%+v", row, again)
	}
	if got := string(plancsv.AppendCSV(nil, &again)); got != line {
		t.Fatalf("export → import → export: %q, then %q", line, got)
	}

	// The stored line reads back as the row.
	var stored lifecycle.PlanRow
	if err := lifecycle.ParsePlanLine(strings.TrimSuffix(line, "\n"), &stored); err != nil || stored != row {
		t.Fatalf("stored line %q read back as %+v (%v), want %+v", line, stored, err, row)
	}

	// The JSON form is valid and carries the same values.
	js := plancsv.AppendJSON(nil, &row)
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(js, &obj); err != nil {
		t.Fatalf("row JSON %s: %v", js, err)
	}
	var skill string
	if err := json.Unmarshal(obj["skill"], &skill); err != nil || skill != row.Skill {
		t.Fatalf("row JSON skill %s, want %q", obj["skill"], row.Skill)
	}
	if got := string(obj["volume"]); got != row.Volume {
		t.Fatalf("row JSON volume %s, want %s", got, row.Volume)
	}
}
