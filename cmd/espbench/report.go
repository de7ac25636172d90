package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Goal is how a figure is judged against its target.
type Goal string

// The kinds of target a figure of the table can have.
const (
	RatioAtLeast Goal = "ratio>=" // value/baseline must be at least Target
	AtMost       Goal = "<="      // value must be at most Target
	ZeroErrors   Goal = "errors=0"
)

// Figure is one row of the table.
type Figure struct {
	Row      int     `json:"row"`
	Name     string  `json:"name"`
	Value    float64 `json:"value"`
	Unit     string  `json:"unit"`
	Baseline float64 `json:"baseline,omitempty"`
	// BaselineName says what the baseline measured ("GET /healthz", "sqlite3 -csv").
	BaselineName string  `json:"baseline_name,omitempty"`
	Ratio        float64 `json:"ratio,omitempty"`
	Goal         Goal    `json:"goal"`
	Target       float64 `json:"target"`
	// Latency percentiles in milliseconds, for the load figures.
	P50ms  float64 `json:"p50_ms,omitempty"`
	P99ms  float64 `json:"p99_ms,omitempty"`
	Errors int     `json:"errors"`
	Pass   bool    `json:"pass"`
	Note   string  `json:"note,omitempty"`
	// Failed says why the figure could not be measured; the row then fails.
	Failed string `json:"failed,omitempty"`
}

// judge fills Ratio and Pass from the measured numbers.
func (f *Figure) judge() {
	if f.Failed != "" {
		f.Pass = false
		return
	}
	switch f.Goal {
	case RatioAtLeast:
		if f.Baseline > 0 {
			f.Ratio = f.Value / f.Baseline
		}
		f.Pass = f.Baseline > 0 && f.Ratio >= f.Target && f.Errors == 0
	case AtMost:
		f.Pass = f.Value <= f.Target && f.Errors == 0
	case ZeroErrors:
		f.Pass = f.Errors == 0
	}
}

// Report is the whole run, as printed and as written to JSON.
type Report struct {
	Started  time.Time `json:"started"`
	Duration string    `json:"duration"`
	GoOS     string    `json:"goos"`
	CPUs     int       `json:"cpus"`
	// LoadAvg is /proc/loadavg at the start and at the end of the run.
	LoadAvgStart string `json:"loadavg_start"`
	LoadAvgEnd   string `json:"loadavg_end"`
	Settings     string `json:"settings"`
	// Backend is "sqlite" or "postgres"; Database describes it (version,
	// schema, no password); Schema is the PostgreSQL run's own schema.
	Backend  string   `json:"backend"`
	Database string   `json:"database"`
	Schema   string   `json:"schema,omitempty"`
	Figures  []Figure `json:"figures"`
	// QueryPlan is EXPLAIN QUERY PLAN (SQLite) or EXPLAIN (PostgreSQL) of
	// the scheduler's due query (row 7).
	QueryPlan []string `json:"query_plan,omitempty"`
	Notes     []string `json:"notes,omitempty"`
}

// Passed reports whether every figure met its target.
func (r *Report) Passed() bool {
	for _, f := range r.Figures {
		if !f.Pass {
			return false
		}
	}
	return len(r.Figures) > 0
}

// num formats a figure's number compactly: thousands get no decimals.
func num(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 1000:
		return groupThousands(strconv.FormatFloat(v, 'f', 0, 64))
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
}

func groupThousands(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func (f *Figure) targetText() string {
	switch f.Goal {
	case RatioAtLeast:
		return "≥ " + strconv.FormatFloat(f.Target, 'f', -1, 64) + "×"
	case AtMost:
		return "≤ " + strconv.FormatFloat(f.Target, 'f', -1, 64) + " " + f.Unit
	default:
		return "0 errors"
	}
}

func ms(v float64) string {
	if v == 0 {
		return ""
	}
	if v >= 100 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// WriteTable prints the report as one Markdown table (it pastes into the
// README as is), followed by the query plan and the notes.
func (r *Report) WriteTable(w io.Writer) {
	if r.Database != "" {
		fmt.Fprintf(w, "%s\n\n", r.Database)
	}
	fmt.Fprintf(w, "| # | figure | value | baseline | ratio | target | p50 ms | p99 ms | errors | result |\n")
	fmt.Fprintf(w, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, f := range r.Figures {
		value, base, ratio := num(f.Value)+" "+f.Unit, "—", "—"
		if f.BaselineName != "" {
			base = num(f.Baseline) + " (" + f.BaselineName + ")"
		}
		if f.Goal == RatioAtLeast && f.Baseline > 0 {
			ratio = strconv.FormatFloat(f.Ratio, 'f', 2, 64) + "×"
		}
		result := "PASS"
		if !f.Pass {
			result = "**FAIL**"
		}
		if f.Failed != "" {
			value = "not measured: " + f.Failed
		}
		fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s | %s | %s | %d | %s |\n",
			f.Row, f.Name, value, base, ratio, f.targetText(), ms(f.P50ms), ms(f.P99ms), f.Errors, result)
	}
	for _, f := range r.Figures {
		if f.Note != "" {
			fmt.Fprintf(w, "\n- row %d: %s", f.Row, f.Note)
		}
	}
	if len(r.QueryPlan) > 0 {
		explain := "EXPLAIN QUERY PLAN"
		if r.Backend == "postgres" {
			explain = "EXPLAIN"
		}
		fmt.Fprintf(w, "\n\n%s of the scheduler's due query:\n", explain)
		for _, l := range r.QueryPlan {
			fmt.Fprintf(w, "    %s\n", l)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "\n- %s", n)
	}
	fmt.Fprintf(w, "\n\n%s; %d CPUs; load average at start %s, at end %s; took %s.\n",
		r.Settings, r.CPUs, r.LoadAvgStart, r.LoadAvgEnd, r.Duration)
}

// WriteJSON writes the report to path, creating its folder.
func (r *Report) WriteJSON(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// loadAvg is the first three fields of /proc/loadavg ("" elsewhere).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
