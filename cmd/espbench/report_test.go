package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestJudgeAndTable(t *testing.T) {
	r := &Report{Figures: []Figure{
		{Row: 1, Name: "window", Unit: "req/s", Value: 400, Baseline: 1000, BaselineName: "GET /healthz", Goal: RatioAtLeast, Target: 0.35, P50ms: 1.5, P99ms: 12},
		{Row: 5, Name: "memory", Unit: "MiB", Value: 40, Goal: AtMost, Target: 32},
		{Row: 9, Name: "mixed", Unit: "req/s", Value: 900, Goal: ZeroErrors, Errors: 2},
		{Row: 7, Name: "tick", Unit: "ms", Goal: AtMost, Target: 1, Failed: "no index"},
	}}
	for i := range r.Figures {
		r.Figures[i].judge()
	}
	if got := r.Figures[0]; !got.Pass || got.Ratio != 0.4 {
		t.Fatalf("row 1: pass=%v ratio=%v, want pass at 0.4", got.Pass, got.Ratio)
	}
	for _, i := range []int{1, 2, 3} {
		if r.Figures[i].Pass {
			t.Fatalf("row %d passed: %+v", r.Figures[i].Row, r.Figures[i])
		}
	}
	if r.Passed() {
		t.Fatal("Passed() with failing rows")
	}
	var b bytes.Buffer
	r.WriteTable(&b)
	out := b.String()
	for _, want := range []string{
		"| # | figure |",
		"| 1 | window | 400.0 req/s | 1,000 (GET /healthz) | 0.40× | ≥ 0.35× | 1.50 | 12.00 | 0 | PASS |",
		"| 5 | memory | 40.0 MiB | — | — | ≤ 32 MiB |",
		"| 9 | mixed | 900.0 req/s | — | — | 0 errors |  |  | 2 | **FAIL** |",
		"not measured: no index",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	path := filepath.Join(t.TempDir(), "out", "bench.json")
	if err := r.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Figures) != 4 || back.Figures[0].Ratio != 0.4 || back.Figures[2].Errors != 2 {
		t.Fatalf("JSON round trip lost figures: %+v", back.Figures)
	}
}

func TestNumGroupsThousands(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 0.1234: "0.123", 12.34: "12.3", 1234567.8: "1,234,568", 999: "999.0"} {
		if got := num(in); got != want {
			t.Errorf("num(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestParseProcStatus(t *testing.T) {
	m, err := parseProcStatus(strings.NewReader("Name:\tesp\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\nThreads:\t7\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS != 10<<20 || m.HWM != 20<<20 {
		t.Fatalf("got %+v", m)
	}
	if _, err := parseProcStatus(strings.NewReader("Name:\tesp\n")); err == nil {
		t.Fatal("no error without VmRSS")
	}
}

func TestNextCursor(t *testing.T) {
	if got := nextCursor([]byte(`{"plan_id":1,"rows":[{"skill":"next_cursor"}],"next_cursor":"AQID"}`)); got != "AQID" {
		t.Fatalf("got %q", got)
	}
	if got := nextCursor([]byte(`{"rows":[],"next_cursor":null}`)); got != "" {
		t.Fatalf("got %q", got)
	}
}

func TestLoadResultMerge(t *testing.T) {
	a := loadResult{Requests: 2, Elapsed: time.Second, lat: []time.Duration{3, 5}}
	b := loadResult{Requests: 2, Errors: 1, FirstErr: "x", Elapsed: time.Second, lat: []time.Duration{1, 4}}
	m := a.merge(b)
	if m.Requests != 4 || m.Errors != 1 || m.FirstErr != "x" || m.RPS() != 2 {
		t.Fatalf("merged = %+v", m)
	}
	if m.lat[0] != 1 || m.lat[3] != 5 {
		t.Fatalf("latencies not sorted: %v", m.lat)
	}
}
