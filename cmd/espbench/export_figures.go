package main

import (
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"esp/store"
)

// lineCounter counts the lines written to it, and sums them (CRC-32C,
// which the processor computes at many GB/s) so that two streams can be
// compared.
type lineCounter struct {
	lines, bytes int64
	sum          uint32
}

func (l *lineCounter) Write(p []byte) (int, error) {
	l.lines += int64(bytes.Count(p, []byte{'\n'}))
	l.bytes += int64(len(p))
	l.sum = crc32.Update(l.sum, castagnoli, p)
	return len(p), nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// exportFigures measures rows 4, 5 and 12: the CSV export of the bench's
// plan against the same bytes served from a file, how much the server's
// memory grows while it runs, and the gzipped export against gzip -1 of
// the same file. csvPath is the imported file, which the export must
// reproduce byte for byte.
func exportFigures(ctx context.Context, o options, c *http.Client, srv *server, token string, plan int64, db *database, tool, csvPath string) (Figure, Figure, Figure) {
	f4 := Figure{Row: 4, Name: fmt.Sprintf("CSV export of a %d-row plan", o.planRows), Unit: "rows/s", Goal: RatioAtLeast, Target: 0.3}
	f5 := Figure{Row: 5, Name: "peak memory growth of the server during that export", Unit: "MiB", Goal: AtMost, Target: 32}
	before, err := readProcMem(srv.pid)
	if err != nil {
		f5.Failed = err.Error()
	}
	sampler := sampleMem(srv.pid, 10*time.Millisecond)
	url := srv.base + "/api/v1/plans/" + strconv.FormatInt(plan, 10) + "/export"
	var lc lineCounter
	elapsed, err := fetch(ctx, c, url, token, "", &lc)
	peak, samples, serr := sampler.stop()
	after, _ := readProcMem(srv.pid)
	rows := lc.lines - 1 // the header
	switch {
	case err != nil:
		f4.Failed = err.Error()
	case rows != int64(o.planRows):
		f4.Failed = fmt.Sprintf("exported %d rows, want %d", rows, o.planRows)
	default:
		f4.Value = float64(rows) / elapsed.Seconds()
		f4.Note = fmt.Sprintf("%s, %.1f MB", elapsed.Round(time.Millisecond), float64(lc.bytes)/1e6)
	}
	if serr != nil && f5.Failed == "" {
		f5.Failed = serr.Error()
	}
	if f5.Failed == "" {
		f5.Value = float64(max(peak-before.RSS, 0)) / (1 << 20)
		f5.Note = fmt.Sprintf("RSS %.1f MiB before, peak %.1f MiB over %d samples every 10ms; VmHWM %.1f → %.1f MiB",
			mib(before.RSS), mib(peak), samples, mib(before.HWM), mib(after.HWM))
		if o.inproc {
			f5.Note += "; -inproc: this is the bench process, client included"
		}
	}
	fileBaseline(ctx, &f4, c, csvPath, lc, o.planRows)
	byTool := Figure{Value: f4.Value} // its note compares the export with the tool
	query := `SELECT line FROM ` + db.table("plan_rows") + ` WHERE plan_id = ` + strconv.FormatInt(plan, 10) + ` ORDER BY id`
	exportBaseline(ctx, &byTool, db, tool, query, o.planRows)
	if byTool.Failed == "" && byTool.Baseline > 0 && f4.Failed == "" {
		f4.Note += fmt.Sprintf("; the database's own tool, %s: %.0f rows/s (export %.2f× that)%s",
			byTool.BaselineName, byTool.Baseline, f4.Value/byTool.Baseline, byTool.Note)
	}
	return f4, f5, gzipFigure(ctx, o, c, url, token, csvPath)
}

// exportBaseline is row 4's baseline: the database's own tool printing
// the same rows as CSV. On SQLite that is the sqlite3 -csv over
// the same file: each row is stored as its CSV line (migration 0005), so
// -csv prints it quoted. On PostgreSQL it is psql's \copy of the same rows
// TO STDOUT in CSV, which quotes each line the same way. Without the tool
// the baseline is a bare database/sql scan. The note adds the tool's plain
// output (sqlite3 -list, or \copy in the text format: exactly the bytes
// the export sends, as the lines hold no tab or backslash) and the scan
// loop, whose gap to the tool is the driver's, not the server's.
func exportBaseline(ctx context.Context, f4 *Figure, d *database, tool, query string, want int) {
	toolName, csvName, plainName, driver := "sqlite3", "sqlite3 -csv", "sqlite3 -list of the identical bytes", "modernc"
	run := func(csv bool) (time.Duration, int64, error) {
		mode := "-list"
		if csv {
			mode = "-csv"
		}
		return runSQLite3(ctx, tool, mode, filepath.Join(d.data, store.DBFile), query)
	}
	if d.postgres() {
		toolName, csvName, plainName, driver = "psql", `psql \copy TO STDOUT csv`, `psql \copy TO STDOUT in the text format, the identical bytes`, "pgx"
		run = func(csv bool) (time.Duration, int64, error) {
			with := ""
			if csv {
				with = "WITH (FORMAT csv)"
			}
			return runPsqlCopyOut(ctx, d, tool, query, with)
		}
	}
	var base time.Duration
	var baseRows int64
	var err error
	if tool != "" {
		f4.BaselineName = csvName
		base, baseRows, err = run(true)
	} else {
		f4.BaselineName = "database/sql scan"
		base, baseRows, err = scanBaseline(ctx, d, query)
	}
	if err != nil {
		f4.Failed = err.Error()
	}
	recordBaseline(f4, base, baseRows, want)
	if tool == "" || f4.Failed != "" {
		return
	}
	if t, n, err := run(false); err == nil && n > 0 {
		r := float64(n) / t.Seconds()
		f4.Note += fmt.Sprintf("; %s: %.0f rows/s (export %.2f× that)", plainName, r, f4.Value/r)
	}
	if t, n, err := scanBaseline(ctx, d, query); err == nil && n > 0 {
		r := float64(n) / t.Seconds()
		f4.Note += fmt.Sprintf("; a bare database/sql scan loop (%s) of the same rows: %.0f rows/s (%.2f× %s)", driver, r, r/f4.Baseline, toolName)
	}
}

// runPsqlCopyOut runs psql's \copy (query) TO STDOUT with the given
// options, counting the lines it prints.
func runPsqlCopyOut(ctx context.Context, d *database, psql, query, with string) (time.Duration, int64, error) {
	var out lineCounter
	cmd := d.psql(ctx, psql, strings.TrimSpace(`\copy (`+strings.Join(strings.Fields(query), " ")+`) TO STDOUT `+with))
	cmd.Stdout = &out
	var errb bytes.Buffer
	cmd.Stderr = &errb
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, fmt.Errorf("psql \\copy TO STDOUT: %v %s", err, strings.TrimSpace(errb.String()))
	}
	return time.Since(t0), out.lines, nil
}

// runSQLite3 runs query with the sqlite3 command in the given output mode,
// counting the lines it prints.
func runSQLite3(ctx context.Context, sqlite3, mode, db, query string) (time.Duration, int64, error) {
	var out lineCounter
	cmd := exec.CommandContext(ctx, sqlite3, mode, db, strings.Join(strings.Fields(query), " "))
	cmd.Stdout = &out
	var errb bytes.Buffer
	cmd.Stderr = &errb
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, fmt.Errorf("sqlite3 %s: %v %s", mode, err, errb.String())
	}
	return time.Since(t0), out.lines, nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// recordBaseline gives f the speed of its baseline, which read rows in
// took, or fails f when the baseline did not read the want rows.
func recordBaseline(f *Figure, took time.Duration, rows int64, want int) {
	if f.Failed == "" && rows != int64(want) {
		f.Failed = fmt.Sprintf("the baseline read %d rows, want %d", rows, want)
	}
	if took > 0 {
		f.Baseline = float64(rows) / took.Seconds()
		f.Note += fmt.Sprintf("; baseline %s", took.Round(time.Millisecond))
	}
}
