package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"
)

// A tiny run goes through every figure end to end (build, import, scheduler,
// login, Generate through the window's form, exchange, export, mixed load),
// so a change that breaks the bench's way through the product fails here
// and not only at the next `make bench`. Targets are not judged: tiny sizes
// on a busy machine say nothing about speed.
func TestTinyRunMeasuresEveryFigure(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs esp")
	}
	o := options{
		out: filepath.Join(t.TempDir(), "bench.json"), dur: 200 * time.Millisecond, conc: 2,
		mixed: 500 * time.Millisecond, mixedConc: 2, planRows: 500, credRows: 200, dueRows: 20, ticks: 5,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var log bytes.Buffer
	rep, err := run(ctx, o, &log)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	rows := map[int]bool{}
	for _, f := range rep.Figures {
		rows[f.Row] = true
		if f.Value <= 0 && f.Row != 5 {
			t.Errorf("row %d (%s) measured %v", f.Row, f.Name, f.Value)
		}
		if f.Errors != 0 {
			t.Errorf("row %d (%s): %d errors", f.Row, f.Name, f.Errors)
		}
	}
	for row := 1; row <= 9; row++ {
		if !rows[row] {
			t.Errorf("no figure for row %d", row)
		}
	}
}
