package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// importFigure measures row 6: esp plan import of the CSV at csvPath, a
// whole process, against the database's own tool loading the same file.
func importFigure(ctx context.Context, o options, bin string, db *database, csvPath, tool, tmp string) Figure {
	f := Figure{Row: 6, Name: fmt.Sprintf("esp plan import of that %d-row CSV", o.planRows), Unit: "rows/s", Goal: RatioAtLeast, Target: 0.5}
	t0 := time.Now()
	out, err := runESP(ctx, bin, db, "", "plan", "import", "--tenant", benchTenant, "--name", benchPlan, csvPath)
	elapsed := time.Since(t0)
	if err != nil {
		f.Failed = err.Error()
		return f
	}
	if !strings.Contains(out, "imported "+strconv.Itoa(o.planRows)+" rows") {
		f.Failed = "unexpected output: " + strings.TrimSpace(out)
		return f
	}
	f.Value = float64(o.planRows) / elapsed.Seconds()
	f.Note = "esp plan import " + elapsed.Round(time.Millisecond).String() + " (a whole process: start, parse, check, insert, commit)"
	if db.postgres() {
		importBaselinePostgres(ctx, &f, db, tool, csvPath, o.planRows)
	} else {
		importBaselineSQLite(ctx, &f, db, tool, csvPath, tmp, o.planRows)
	}
	return f
}

// planColumns is the CREATE TABLE column list of the import baselines'
// table: the CSV's columns, all text.
var planColumns = strings.ReplaceAll(strings.TrimSpace(planHeader), ",", " TEXT, ") + " TEXT"

// importBaselineSQLite is row 6's baseline on SQLite: sqlite3 .import of
// the same file into a new database.
func importBaselineSQLite(ctx context.Context, f *Figure, db *database, sqlite3, csvPath, tmp string, want int) {
	baseDB := filepath.Join(tmp, "baseline-import.db")
	var base time.Duration
	if sqlite3 != "" {
		f.BaselineName = "sqlite3 .import"
		script := "CREATE TABLE plan_rows (" + planColumns + ");\n" +
			".import --csv --skip 1 '" + csvPath + "' plan_rows\n"
		cmd := exec.CommandContext(ctx, sqlite3, baseDB)
		cmd.Stdin = strings.NewReader(script)
		t0 := time.Now()
		out, err := cmd.CombinedOutput()
		base = time.Since(t0)
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			f.Failed = fmt.Sprintf("sqlite3 .import: %v %s", err, out)
			return
		}
		n, err := exec.CommandContext(ctx, sqlite3, baseDB, "SELECT count(*) FROM plan_rows").Output()
		if err != nil || strings.TrimSpace(string(n)) != strconv.Itoa(want) {
			f.Failed = fmt.Sprintf("sqlite3 .import loaded %q rows (%v)", bytes.TrimSpace(n), err)
			return
		}
	}
	// Without sqlite3, the Go loop is the baseline; with it, a note.
	goImportBaseline(f, sqlite3 != "", base, want, "modernc", "sqlite3",
		func() error { return importBaseline(ctx, db, baseDB, "", csvPath) },
		func() error { return importBaseline(ctx, db, filepath.Join(tmp, "baseline-import-go.db"), "", csvPath) })
}

// importBaselinePostgres is row 6's baseline on PostgreSQL: psql's \copy
// of the same file FROM it in CSV into a new table of the run's schema
// (the role sqlite3 .import has on SQLite). The baselines' tables are
// dropped at once, so that the rest of the run sees the database as the
// product left it.
func importBaselinePostgres(ctx context.Context, f *Figure, db *database, psql, csvPath string, want int) {
	table, goTable := db.table("baseline_import"), db.table("baseline_import_go")
	defer db.admin.ExecContext(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS `+table+`, `+goTable)
	var base time.Duration
	if psql != "" {
		f.BaselineName = `psql \copy FROM csv`
		cmd := db.psql(ctx, psql, "CREATE TABLE "+table+" ("+planColumns+")",
			`\copy `+table+` FROM '`+strings.ReplaceAll(csvPath, "'", "''")+`' WITH (FORMAT csv, HEADER)`)
		t0 := time.Now()
		out, err := cmd.CombinedOutput()
		base = time.Since(t0)
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			f.Failed = fmt.Sprintf("psql \\copy FROM: %v %s", err, bytes.TrimSpace(out))
			return
		}
		var n int
		if err := db.admin.QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil || n != want {
			f.Failed = fmt.Sprintf("psql \\copy FROM loaded %d rows (%v)", n, err)
			return
		}
	}
	goImportBaseline(f, psql != "", base, want, "pgx", "psql",
		func() error { return importBaseline(ctx, db, "", table, csvPath) },
		func() error { return importBaseline(ctx, db, "", goTable, csvPath) })
}

// goImportBaseline finishes row 6's baseline: when the database's own tool
// ran (haveTool, taking base), the bare database/sql import (asNote) goes
// into the note beside it; without the tool, that import (asBaseline) is
// the baseline.
func goImportBaseline(f *Figure, haveTool bool, base time.Duration, want int,
	driver, tool string, asBaseline, asNote func() error) {
	if !haveTool {
		f.BaselineName = "database/sql insert"
		t0 := time.Now()
		if err := asBaseline(); err != nil {
			f.Failed = err.Error()
			return
		}
		base = time.Since(t0)
	}
	f.Baseline = float64(want) / base.Seconds()
	f.Note += "; baseline " + base.Round(time.Millisecond).String()
	if haveTool {
		t0 := time.Now()
		if err := asNote(); err == nil {
			r := float64(want) / time.Since(t0).Seconds()
			f.Note += fmt.Sprintf("; a bare database/sql import (encoding/csv, 64-row INSERTs, no checks, no index; %s) of the same file: %.0f rows/s (%.2f× %s)", driver, r, r/f.Baseline, tool)
		}
	}
}
