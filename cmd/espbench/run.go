package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"esp/lifecycle"
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
	db, err := openDatabase(ctx, o, tmp, p)
	if err != nil {
		return rep, err
	}
	if db.postgres() {
		// Registered before the server starts, so run after it stops.
		defer func() {
			if cerr := db.close(o.keep); cerr != nil {
				rep.Notes = append(rep.Notes, cerr.Error())
				if err == nil {
					err = cerr
				}
			}
		}()
	}
	rep.Schema, rep.Backend, rep.Database = db.schema, db.backend(), db.describe()

	bin, err := espBinary(ctx, o, tmp, p)
	if err != nil {
		return rep, err
	}
	tool, toolNote := baselineTool(db)
	if toolNote != "" {
		rep.Notes = append(rep.Notes, toolNote)
	}
	return rep, measure(ctx, o, rep, bin, db, tool, tmp, p)
}

// measure seeds the database and measures every figure into rep, each
// where the others disturb it least. tool is the database's own tool, or
// "" without it; tmp is the run's folder.
func measure(ctx context.Context, o options, rep *Report, bin string, db *database, tool, tmp string, p progress) (err error) {
	csvPath := filepath.Join(tmp, "plan.csv")
	if err := seed(ctx, o, bin, db, csvPath, p); err != nil {
		return err
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
		return err
	}

	p.say("starting the server")
	srv, err := start(ctx, o, bin, db, filepath.Join(tmp, "server.log"))
	if err != nil {
		return err
	}
	defer func() {
		if serr := srv.stop(); serr != nil && err == nil {
			rep.Notes = append(rep.Notes, "server stop: "+serr.Error())
		}
	}()
	served, err := serverFigures(ctx, o, srv, bin, db, tool, tmp, csvPath, p)
	if err != nil {
		return err
	}
	addFigures(rep, append(served, f7, f8)...)
	return nil
}

// openDatabase is the run's database: SQLite in a data folder under tmp,
// or a new schema of the PostgreSQL database the options name.
func openDatabase(ctx context.Context, o options, tmp string, p progress) (*database, error) {
	if o.databaseURL == "" {
		return sqliteDatabase(filepath.Join(tmp, "data")), nil
	}
	db, err := newPostgres(ctx, o.databaseURL)
	if err != nil {
		return nil, err
	}
	if o.keep {
		p.say("keeping schema %s", db.schema)
	}
	return db, nil
}

// espBinary is the esp command the run drives: the one the options name,
// or else one built into tmp.
func espBinary(ctx context.Context, o options, tmp string, p progress) (string, error) {
	if o.esp != "" {
		return o.esp, nil
	}
	p.say("building esp/cmd/esp")
	return buildESP(ctx, tmp)
}

// baselineTool is the path of the database's own tool (sqlite3 or psql),
// the baseline of the export and import figures, or "" with a note saying
// that it is missing.
func baselineTool(db *database) (path, note string) {
	name := "sqlite3"
	if db.postgres() {
		name = "psql"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", name + " is not on PATH: the baselines of rows 4 and 6 are bare database/sql loops instead"
	}
	return path, ""
}

// seed writes the plan CSV to csvPath and adds the bench's tenant, with
// the public API on, and its admin.
func seed(ctx context.Context, o options, bin string, db *database, csvPath string, p progress) error {
	t0 := time.Now()
	if err := writePlanCSV(csvPath, o.planRows); err != nil {
		return fmt.Errorf("write plan CSV: %w", err)
	}
	p.say("wrote %d-row plan CSV in %s", o.planRows, time.Since(t0).Round(time.Millisecond))
	for _, args := range [][]string{
		{"tenant", "add", benchTenant},
		{"tenant", "feature", benchTenant, "public-api", "on"},
		{"user", "add", "--tenant", benchTenant, "--admin", benchAdmin},
	} {
		if _, err := runESP(ctx, bin, db, benchPassword+"\n", args...); err != nil {
			return err
		}
	}
	return setAllowedIPs(ctx, db, o.allowedIPs)
}

// setAllowedIPs gives the bench tenant n allowed-address ranges (none when
// n is 0): n-1 that the bench's client is outside of, then the IPv4
// loopback range it calls from, so that each API request walks the whole list.
func setAllowedIPs(ctx context.Context, db *database, n int) error {
	if n == 0 {
		return nil
	}
	var lines []string
	for i := range n - 1 {
		lines = append(lines, fmt.Sprintf("10.%d.%d.0/24", i/256, i%256))
	}
	lines = append(lines, "127.0.0.0/8")
	st, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	t, err := st.TenantByName(ctx, benchTenant)
	if err != nil {
		return err
	}
	svc := lifecycle.NewService(st, time.Now, lifecycle.Config{})
	_, err = svc.SetAllowedAddresses(ctx, t.ID, lifecycle.ESPActor, strings.Join(lines, "\n"))
	return err
}

// serverFigures measures the figures of the running server: rows 4, 5 and
// 12 first, while its heap holds only the set-up, then rows 1-3 and 9, and
// on PostgreSQL the exchange through PgBouncer, with a second server of bin.
func serverFigures(ctx context.Context, o options, srv *server, bin string, db *database, tool, tmp, csvPath string, p progress) ([]Figure, error) {
	b, err := signIn(ctx, o, srv.base)
	if err != nil {
		return nil, err
	}
	p.say("logged in, keys activated, plan %d", b.plan)
	p.say("rows 4, 5 and 12: export of %d rows, memory, gzipped, and the baselines", o.planRows)
	f4, f5, f12 := exportFigures(ctx, o, b.c, srv, b.token, b.plan, db, tool, csvPath)
	figs := append([]Figure{f4, f5, f12}, b.loadFigures(ctx, o, p)...)
	if db.postgres() && !o.inproc {
		figs = append(figs, b.pgbouncerFigure(ctx, o, bin, db, tmp, p))
	}
	return figs, nil
}

// signIn goes the way a client of the product goes: the admin logs in and
// generates keys in the window, the keys are exchanged for a bearer token,
// and the bench's plan is looked up with it.
func signIn(ctx context.Context, o options, base string) (benchHTTP, error) {
	br := newBrowser(base)
	sess, err := br.login(ctx, benchAdmin, benchPassword)
	if err != nil {
		return benchHTTP{}, fmt.Errorf("log in: %w", err)
	}
	k, err := br.generateKeys(ctx)
	if err != nil {
		return benchHTTP{}, fmt.Errorf("generate keys: %w", err)
	}
	client := newClient(max(o.conc, o.mixedConc))
	token, err := exchange(ctx, client, base, k)
	if err != nil {
		return benchHTTP{}, fmt.Errorf("token exchange: %w", err)
	}
	plan, err := planID(ctx, client, base, token, benchPlan)
	if err != nil {
		return benchHTTP{}, err
	}
	return benchHTTP{base: base, c: client, cookie: sess.cookie, token: token, body: tokenRequest(k), plan: plan}, nil
}

// addFigures adds figs to the report, puts its figures in row order and
// judges them.
func addFigures(rep *Report, figs ...Figure) {
	rep.Figures = append(rep.Figures, figs...)
	slices.SortFunc(rep.Figures, func(a, b Figure) int { return a.Row - b.Row })
	for i := range rep.Figures {
		rep.Figures[i].judge()
	}
}
