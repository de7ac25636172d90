package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"esp/lifecycle"
	"esp/store"
)

// The bench's tenant and admin.
const (
	benchTenant   = "bench"
	benchAdmin    = "bench-admin"
	benchPassword = "bench-password-not-secret"
	benchPlan     = "big"
)

// run measures every figure. It returns the report even when it stops
// early, with the figures measured so far.
func run(ctx context.Context, o options, stderr io.Writer) (rep *Report, err error) {
	p := progress{w: stderr, start: time.Now()}
	rep = newReport(o)
	defer func() {
		rep.Duration = time.Since(p.start).Round(100 * time.Millisecond).String()
		rep.LoadAvgEnd = loadAvg()
	}()

	tmp, err := os.MkdirTemp("", "espbench-")
	if err != nil {
		return rep, err
	}
	if o.keep {
		p.say("keeping %s", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	csvPath := filepath.Join(tmp, "plan.csv")
	db := sqliteDatabase(filepath.Join(tmp, "data"))
	if o.databaseURL != "" {
		if db, err = newPostgres(ctx, o.databaseURL); err != nil {
			return rep, err
		}
		rep.Schema = db.schema
		// Registered before the server starts, so run after it stops.
		defer func() {
			if cerr := db.close(o.keep); cerr != nil {
				rep.Notes = append(rep.Notes, cerr.Error())
				if err == nil {
					err = cerr
				}
			}
		}()
		if o.keep {
			p.say("keeping schema %s", db.schema)
		}
	}
	rep.Backend, rep.Database = db.backend(), db.describe()

	bin := o.esp
	if bin == "" {
		p.say("building esp/cmd/esp")
		if bin, err = buildESP(ctx, tmp); err != nil {
			return rep, err
		}
	}
	// The database's own tool, for the baselines of rows 4 and 6.
	toolName := "sqlite3"
	if db.postgres() {
		toolName = "psql"
	}
	tool, lookErr := exec.LookPath(toolName)
	if lookErr != nil {
		tool = ""
		rep.Notes = append(rep.Notes, toolName+" is not on PATH: the baselines of rows 4 and 6 are bare database/sql loops instead")
	}

	t0 := time.Now()
	if err := writePlanCSV(csvPath, o.planRows); err != nil {
		return rep, fmt.Errorf("write plan CSV: %w", err)
	}
	p.say("wrote %d-row plan CSV in %s", o.planRows, time.Since(t0).Round(time.Millisecond))

	for _, args := range [][]string{
		{"tenant", "add", benchTenant},
		{"tenant", "feature", benchTenant, "public-api", "on"},
		{"user", "add", "--tenant", benchTenant, "--admin", benchAdmin},
	} {
		if _, err := runESP(ctx, bin, db, benchPassword+"\n", args...); err != nil {
			return rep, err
		}
	}

	// Row 6: import, before anything else writes to the database.
	p.say("row 6: esp plan import of %d rows, and its baseline", o.planRows)
	rep.Figures = append(rep.Figures, importFigure(ctx, o, bin, db, csvPath, tool, tmp))

	// Rows 7 and 8 drive the scheduler in-process on the same database,
	// before the server starts, so that nothing else competes for it.
	f7, f8, qp, err := schedulerFigures(ctx, o, db, p)
	rep.QueryPlan = qp
	if db.postgres() {
		rep.Notes = append(rep.Notes, "PostgreSQL: VACUUM (ANALYZE) of the seeded tables before row 7, as autovacuum would leave them soon after, so that it does not run in the middle of a figure")
	}
	if err != nil {
		return rep, err
	}

	p.say("starting the server")
	srv, err := start(ctx, o, bin, db, filepath.Join(tmp, "server.log"))
	if err != nil {
		return rep, err
	}
	defer func() {
		if serr := srv.stop(); serr != nil && err == nil {
			rep.Notes = append(rep.Notes, "server stop: "+serr.Error())
		}
	}()

	br := newBrowser(srv.base)
	sess, err := br.login(ctx, benchAdmin, benchPassword)
	if err != nil {
		return rep, fmt.Errorf("log in: %w", err)
	}
	k, err := br.generateKeys(ctx)
	if err != nil {
		return rep, fmt.Errorf("generate keys: %w", err)
	}
	client := newClient(max(o.conc, o.mixedConc))
	token, err := exchange(ctx, client, srv.base, k)
	if err != nil {
		return rep, fmt.Errorf("token exchange: %w", err)
	}
	plan, err := planID(ctx, client, srv.base, token, benchPlan)
	if err != nil {
		return rep, err
	}
	p.say("logged in, keys activated, plan %d", plan)

	// Rows 4 and 5 first, while the server's heap holds only the set-up.
	p.say("rows 4-5: export of %d rows, memory, and the baseline", o.planRows)
	f4, f5 := exportFigures(ctx, o, client, srv, token, plan, db, tool)

	b := benchHTTP{base: srv.base, c: client, cookie: sess.cookie, token: token, body: tokenRequest(k), plan: plan}
	p.say("row 1: the window")
	f1 := b.versusHealthz(ctx, o, Figure{Row: 1, Name: "GET /api-credentials as a logged-in admin", Target: 0.35}, b.window)
	p.say("row 2: plans")
	f2 := b.versusHealthz(ctx, o, Figure{Row: 2, Name: "GET /api/v1/plans with a bearer token", Target: 0.5}, b.plans)
	p.say("row 3: token exchange")
	f3 := b.versusHealthz(ctx, o, Figure{Row: 3, Name: "token exchange (POST /api/v1/token/access-key)", Target: 0.3}, b.exchange)
	p.say("row 9: mixed load, %d clients for %s", o.mixedConc, o.mixed)
	f9 := b.mixedLoad(ctx, o)

	rep.Figures = append(rep.Figures, f1, f2, f3, f4, f5)
	slices.SortFunc(rep.Figures, func(a, b Figure) int { return a.Row - b.Row })
	rep.Figures = append(rep.Figures, f7, f8, f9)
	slices.SortFunc(rep.Figures, func(a, b Figure) int { return a.Row - b.Row })
	for i := range rep.Figures {
		rep.Figures[i].judge()
	}
	return rep, nil
}

// --- rows 1-3 and 9: load against the running server --------------------

type benchHTTP struct {
	base, cookie, token string
	c                   *http.Client
	body                []byte
	plan                int64
}

func (b benchHTTP) get(ctx context.Context, path string, hdr, val string, keep bool) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.base+path, nil)
	if err != nil {
		return nil, err
	}
	if hdr != "" {
		req.Header.Set(hdr, val)
	}
	return expect(b.c, req, http.StatusOK, keep)
}

func (b benchHTTP) healthz(ctx context.Context, _, _ int) error {
	_, err := b.get(ctx, "/healthz", "", "", false)
	return err
}

func (b benchHTTP) window(ctx context.Context, _, _ int) error {
	_, err := b.get(ctx, "/api-credentials", "Cookie", b.cookie, false)
	return err
}

func (b benchHTTP) plans(ctx context.Context, _, _ int) error {
	_, err := b.get(ctx, "/api/v1/plans", "Authorization", "Bearer "+b.token, false)
	return err
}

func (b benchHTTP) exchange(ctx context.Context, _, _ int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.base+"/api/v1/token/access-key", bytes.NewReader(b.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	_, err = expect(b.c, req, http.StatusOK, false)
	return err
}

// loadSlices is how many alternating slices a figure and its healthz
// baseline are measured in: other work on a shared machine comes and goes
// within seconds, and alternating lets both see the same share of it.
const loadSlices = 5

// versusHealthz measures do and GET /healthz with the same clients for the
// same total time, alternating in slices, so both see the same machine load.
func (b benchHTTP) versusHealthz(ctx context.Context, o options, f Figure, do op) Figure {
	var base, r loadResult
	slice := max(o.dur/loadSlices, 200*time.Millisecond)
	for range loadSlices {
		base = base.merge(runLoad(ctx, o.conc, slice, b.healthz))
		r = r.merge(runLoad(ctx, o.conc, slice, do))
	}
	f.Goal, f.Unit = RatioAtLeast, "req/s"
	f.Value, f.Baseline, f.BaselineName = r.RPS(), base.RPS(), "GET /healthz"
	f.P50ms, f.P99ms = r.Percentile(0.50), r.Percentile(0.99)
	f.Errors = r.Errors + base.Errors
	f.Note = fmt.Sprintf("%d requests; healthz p50 %.2f ms, p99 %.2f ms", r.Requests, base.Percentile(0.5), base.Percentile(0.99))
	if r.FirstErr != "" || base.FirstErr != "" {
		f.Note += "; first error: " + r.FirstErr + base.FirstErr
	}
	return f
}

// mixedLoad is row 9: every client cycles through the window, a token
// exchange and the next page of the plan's data (following next_cursor).
func (b benchHTTP) mixedLoad(ctx context.Context, o options) Figure {
	cursors := make([]string, o.mixedConc)
	var counts [3][]int
	for i := range counts {
		counts[i] = make([]int, o.mixedConc)
	}
	r := runLoad(ctx, o.mixedConc, o.mixed, func(ctx context.Context, w, seq int) error {
		kind := (w + seq) % 3
		counts[kind][w]++
		switch kind {
		case 0:
			return b.window(ctx, w, seq)
		case 1:
			return b.exchange(ctx, w, seq)
		}
		path := "/api/v1/plans/" + strconv.FormatInt(b.plan, 10) + "/data?limit=100"
		if cursors[w] != "" {
			path += "&cursor=" + cursors[w]
		}
		body, err := b.get(ctx, path, "Authorization", "Bearer "+b.token, true)
		if err != nil {
			return err
		}
		cursors[w] = nextCursor(body)
		return nil
	})
	f := Figure{Row: 9, Name: fmt.Sprintf("mixed load (window, exchange, data pages), %d clients, %s", o.mixedConc, o.mixed),
		Goal: ZeroErrors, Value: r.RPS(), Unit: "req/s", Errors: r.Errors,
		P50ms: r.Percentile(0.50), P99ms: r.Percentile(0.99)}
	sum := func(xs []int) (n int) {
		for _, x := range xs {
			n += x
		}
		return n
	}
	f.Note = fmt.Sprintf("%d requests: %d window, %d exchange, %d data pages", r.Requests, sum(counts[0]), sum(counts[1]), sum(counts[2]))
	if r.FirstErr != "" {
		f.Note += "; first error: " + r.FirstErr
	}
	return f
}

// --- rows 4-5: export -------------------------------------------------------

// lineCounter counts the lines written to it.
type lineCounter struct{ lines, bytes int64 }

func (l *lineCounter) Write(p []byte) (int, error) {
	l.lines += int64(bytes.Count(p, []byte{'\n'}))
	l.bytes += int64(len(p))
	return len(p), nil
}

func exportFigures(ctx context.Context, o options, c *http.Client, srv *server, token string, plan int64, db *database, tool string) (Figure, Figure) {
	f4 := Figure{Row: 4, Name: fmt.Sprintf("CSV export of a %d-row plan", o.planRows), Unit: "rows/s", Goal: RatioAtLeast, Target: 1.0}
	f5 := Figure{Row: 5, Name: "peak memory growth of the server during that export", Unit: "MiB", Goal: AtMost, Target: 32}
	before, err := readProcMem(srv.pid)
	if err != nil {
		f5.Failed = err.Error()
	}
	sampler := sampleMem(srv.pid, 10*time.Millisecond)
	t0 := time.Now()
	var lc lineCounter
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.base+"/api/v1/plans/"+strconv.FormatInt(plan, 10)+"/export", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err == nil {
		if resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("export: status %d", resp.StatusCode)
		} else {
			_, err = io.Copy(&lc, resp.Body)
		}
		resp.Body.Close()
	}
	elapsed := time.Since(t0)
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

	query := `SELECT line FROM ` + db.table("plan_rows") + ` WHERE plan_id = ` + strconv.FormatInt(plan, 10) + ` ORDER BY id`
	exportBaseline(ctx, &f4, db, tool, query, o.planRows)
	return f4, f5
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

// --- row 6: import -----------------------------------------------------------

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

// --- rows 7-8: the scheduler -------------------------------------------------

// dueQuery is store.DueCredentials' query, for EXPLAIN; keep the two in
// step. On PostgreSQL the store adds FOR UPDATE SKIP LOCKED.
const dueQuery = `SELECT id, tenant_id, status, access_key, secret_hash, access_last4, secret_last4,
	created_at, changed_at, due_at, deadline_at, attempts, deactivated_at, last_used_at, coalesce(pending_action, '') FROM credentials
	WHERE due_at IS NOT NULL AND due_at <= $1 AND pending_action IS NOT NULL ORDER BY due_at LIMIT $2`

func schedulerFigures(ctx context.Context, o options, db *database, p progress) (f7, f8 Figure, plan []string, err error) {
	f7 = Figure{Row: 7, Name: fmt.Sprintf("one scheduler tick, %d credential rows, nothing due (median)", o.credRows),
		Unit: "ms", Goal: AtMost, Target: 1}
	f8 = Figure{Row: 8, Name: fmt.Sprintf("%d due activations, local activator, all done", o.dueRows),
		Unit: "s", Goal: AtMost, Target: 2}
	st, err := db.open(ctx)
	if err != nil {
		return f7, f8, nil, err
	}
	defer st.Close()

	t0 := time.Now()
	if err := insertFillerCredentials(ctx, st, o.credRows, time.Now()); err != nil {
		return f7, f8, nil, err
	}
	p.say("inserted %d credential rows in %s", o.credRows, time.Since(t0).Round(time.Millisecond))
	if st.Postgres() {
		// What autovacuum does soon after bulk writes, done now so that
		// it does not run in the middle of a figure: the plan import's
		// rows and the filler credentials, vacuumed and analysed.
		t0 := time.Now()
		if _, err := st.DB.ExecContext(ctx, `VACUUM (ANALYZE) plans, plan_rows, tenants, credentials`); err != nil {
			return f7, f8, nil, fmt.Errorf("vacuum: %w", err)
		}
		p.say("VACUUM (ANALYZE) in %s", time.Since(t0).Round(time.Millisecond))
	}

	sch := lifecycle.NewScheduler(st, lifecycle.LocalActivator{}, lifecycle.Config{}, nil, time.Now)
	// The first tick runs the weekly purge (nothing old enough to purge);
	// the figure is about the ticks in between.
	if _, err := sch.Tick(ctx, time.Now()); err != nil {
		return f7, f8, nil, err
	}
	p.say("row 7: %d ticks with nothing due", o.ticks)
	lat := make([]time.Duration, o.ticks)
	for i := range lat {
		t := time.Now()
		r, err := sch.Tick(ctx, t)
		lat[i] = time.Since(t)
		if err != nil {
			return f7, f8, nil, err
		}
		if r != (lifecycle.TickResult{}) {
			f7.Failed = fmt.Sprintf("a tick did work: %+v", r)
		}
	}
	slices.Sort(lat)
	msOf := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	f7.Value, f7.P50ms, f7.P99ms = msOf(lat[len(lat)/2]), msOf(lat[len(lat)/2]), msOf(lat[len(lat)*99/100])
	f7.Note = fmt.Sprintf("%d ticks; fastest %.3f ms, slowest %.3f ms", len(lat), msOf(lat[0]), msOf(lat[len(lat)-1]))

	plan, usesIndex, err := explainDue(ctx, st)
	if err != nil {
		return f7, f8, nil, err
	}
	if !usesIndex && f7.Failed == "" {
		f7.Failed = "the due query does not use an index: " + strings.Join(plan, "; ")
	}
	trimmed := make([]string, len(plan))
	for i, l := range plan {
		trimmed[i] = strings.TrimSpace(l)
	}
	f7.Note += "; query plan: " + strings.Join(trimmed, "; ")

	p.say("row 8: %d due activations", o.dueRows)
	if err := insertDueActivations(ctx, st, o.dueRows, time.Now()); err != nil {
		return f7, f8, plan, err
	}
	var total lifecycle.TickResult
	ticks := 0
	t0 = time.Now()
	for total.Activated+total.Failed < o.dueRows && time.Since(t0) < time.Minute {
		r, err := sch.Tick(ctx, time.Now())
		if err != nil {
			return f7, f8, plan, err
		}
		ticks++
		total.Activated += r.Activated
		total.Failed += r.Failed
		total.Retried += r.Retried
		if r.Activated+r.Failed+r.Retried == 0 {
			break
		}
	}
	elapsed := time.Since(t0)
	var activated int
	if err := st.DB.QueryRowContext(ctx, `SELECT count(*) FROM credentials WHERE access_key LIKE 'ESPAKDUE%' AND status = 'activated'`).Scan(&activated); err != nil {
		return f7, f8, plan, err
	}
	f8.Value = elapsed.Seconds()
	f8.Note = fmt.Sprintf("%d activated in %d tick(s) (%.0f activations/s)", activated, ticks, float64(activated)/elapsed.Seconds())
	if activated != o.dueRows {
		f8.Failed = fmt.Sprintf("%d of %d activated (%+v)", activated, o.dueRows, total)
	}
	return f7, f8, plan, nil
}

// explainDue prints the plan of the due query and says whether it uses an
// index.
func explainDue(ctx context.Context, st *store.Store) ([]string, bool, error) {
	if st.Postgres() {
		return explainDuePostgres(ctx, st)
	}
	rows, err := st.DB.QueryContext(ctx, `EXPLAIN QUERY PLAN `+dueQuery, time.Now().UnixNano(), 1000)
	return planLines(rows, err, func(rows *sql.Rows) (string, error) {
		var id, parent, unused int
		var detail string
		err := rows.Scan(&id, &parent, &unused, &detail)
		return detail, err
	}, "USING INDEX", "USING COVERING INDEX")
}

// planLines reads an EXPLAIN's answer (rows, or the error of its query),
// a line a row as line reads it, and says whether a line names one of the
// index scans.
func planLines(rows *sql.Rows, err error, line func(*sql.Rows) (string, error), index ...string) ([]string, bool, error) {
	if err != nil {
		return nil, false, fmt.Errorf("explain: %w", err)
	}
	defer rows.Close()
	var lines []string
	uses := false
	for rows.Next() {
		l, err := line(rows)
		if err != nil {
			return nil, false, err
		}
		lines = append(lines, l)
		for _, w := range index {
			uses = uses || strings.Contains(l, w)
		}
	}
	return lines, uses, rows.Err()
}

// explainDuePostgres is explainDue on PostgreSQL: EXPLAIN of the query as
// the store sends it there. PostgreSQL's planner rightly scans a table of
// a few hundred rows (a tiny run's) instead of using an index; then the
// query is explained again with sequential scans disabled, and an index
// used there counts: the figure fails only when no index serves the
// query. At the real sizes a planner that chose a scan would show in the
// tick's time.
func explainDuePostgres(ctx context.Context, st *store.Store) ([]string, bool, error) {
	explain := func(q interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	}) ([]string, bool, error) {
		rows, err := q.QueryContext(ctx, `EXPLAIN `+dueQuery+` FOR UPDATE SKIP LOCKED`, time.Now().UnixNano(), 1000)
		return planLines(rows, err, func(rows *sql.Rows) (string, error) {
			var line string
			err := rows.Scan(&line)
			return strings.TrimRight(line, " "), err
		}, "Index Scan", "Index Only Scan")
	}
	lines, uses, err := explain(st.DB)
	if err != nil || uses {
		return lines, uses, err
	}
	tx, err := st.DB.BeginTx(ctx, nil)
	if err != nil {
		return nil, false, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
		return nil, false, err
	}
	forced, uses, err := explain(tx)
	if err != nil {
		return nil, false, err
	}
	if uses {
		lines = append(append(lines, "(a table this small is scanned; with enable_seqscan off:)"), forced...)
	}
	return lines, uses, nil
}

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
