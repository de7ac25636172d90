package main

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"esp/lifecycle"
	"esp/store"
)

// dueQuery is store.DueCredentials' query, for EXPLAIN; keep the two in
// step. On PostgreSQL the store adds FOR UPDATE SKIP LOCKED.
const dueQuery = `SELECT id, tenant_id, status, access_key, secret_hash, access_last4, secret_last4,
	created_at, changed_at, due_at, deadline_at, attempts, deactivated_at, last_used_at, coalesce(pending_action, '') FROM credentials
	WHERE due_at IS NOT NULL AND due_at <= $1 AND pending_action IS NOT NULL ORDER BY due_at LIMIT $2`

// schedulerFigures measures rows 7 and 8 with a scheduler in this process
// on the run's database, and returns the due query's plan beside them.
func schedulerFigures(ctx context.Context, o options, db *database, p progress) (f7, f8 Figure, plan []string, err error) {
	f7 = Figure{Row: 7, Name: fmt.Sprintf("one scheduler tick, %d credential rows, nothing due (median)", o.credRows),
		Unit: "ms", Goal: AtMost, Target: 1}
	f8 = Figure{Row: 8, Name: fmt.Sprintf("%d due activations, local activator, all done", o.dueRows),
		Unit: "s", Goal: AtMost, Target: 2}
	if db.postgres() {
		f8.Target = 1 // a group's outcomes are one statement there (store.ApplyTransitions)
	}
	st, err := db.open(ctx)
	if err != nil {
		return f7, f8, nil, err
	}
	defer st.Close()
	if err := fillCredentials(ctx, st, o.credRows, p); err != nil {
		return f7, f8, nil, err
	}

	sch := lifecycle.NewScheduler(st, lifecycle.LocalActivator{}, lifecycle.Config{}, nil, time.Now)
	// The first tick runs the weekly purge (nothing old enough to purge);
	// the figure is about the ticks in between.
	if _, err := sch.Tick(ctx, time.Now()); err != nil {
		return f7, f8, nil, err
	}
	p.say("row 7: %d ticks with nothing due", o.ticks)
	if plan, err = idleTicks(ctx, &f7, sch, st, o.ticks); err != nil {
		return f7, f8, nil, err
	}
	p.say("row 8: %d due activations", o.dueRows)
	if err := dueActivations(ctx, &f8, sch, st, o.dueRows); err != nil {
		return f7, f8, plan, err
	}
	return f7, f8, plan, nil
}

// fillCredentials inserts n credential rows with nothing due, the table a
// tick looks through.
func fillCredentials(ctx context.Context, st *store.Store, n int, p progress) error {
	t0 := time.Now()
	if err := insertFillerCredentials(ctx, st, n, time.Now()); err != nil {
		return err
	}
	p.say("inserted %d credential rows in %s", n, time.Since(t0).Round(time.Millisecond))
	if !st.Postgres() {
		return nil
	}
	// What autovacuum does soon after bulk writes, done now so that it does
	// not run in the middle of a figure: the plan import's rows and the
	// filler credentials, vacuumed and analysed.
	t0 = time.Now()
	if _, err := st.DB.ExecContext(ctx, `VACUUM (ANALYZE) plans, plan_rows, tenants, credentials`); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	p.say("VACUUM (ANALYZE) in %s", time.Since(t0).Round(time.Millisecond))
	return nil
}

// idleTicks measures row 7 into f: n ticks with nothing due, each of which
// must do nothing, and the due query's plan, which must use an index. It
// returns that plan.
func idleTicks(ctx context.Context, f *Figure, sch *lifecycle.Scheduler, st *store.Store, n int) ([]string, error) {
	lat := make([]time.Duration, n)
	for i := range lat {
		t := time.Now()
		r, err := sch.Tick(ctx, t)
		lat[i] = time.Since(t)
		if err != nil {
			return nil, err
		}
		if r != (lifecycle.TickResult{}) {
			f.Failed = fmt.Sprintf("a tick did work: %+v", r)
		}
	}
	slices.Sort(lat)
	msOf := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	f.Value, f.P50ms, f.P99ms = msOf(lat[len(lat)/2]), msOf(lat[len(lat)/2]), msOf(lat[len(lat)*99/100])
	f.Note = fmt.Sprintf("%d ticks; fastest %.3f ms, slowest %.3f ms", len(lat), msOf(lat[0]), msOf(lat[len(lat)-1]))

	plan, usesIndex, err := explainDue(ctx, st)
	if err != nil {
		return nil, err
	}
	if !usesIndex && f.Failed == "" {
		f.Failed = "the due query does not use an index: " + strings.Join(plan, "; ")
	}
	trimmed := make([]string, len(plan))
	for i, l := range plan {
		trimmed[i] = strings.TrimSpace(l)
	}
	f.Note += "; query plan: " + strings.Join(trimmed, "; ")
	return plan, nil
}

// dueActivations measures row 8 into f: n activations made due at once,
// ticked until all are done (or a minute has passed, or a tick does
// nothing), every one of which must end activated.
func dueActivations(ctx context.Context, f *Figure, sch *lifecycle.Scheduler, st *store.Store, n int) error {
	if err := insertDueActivations(ctx, st, n, time.Now()); err != nil {
		return err
	}
	var total lifecycle.TickResult
	ticks := 0
	t0 := time.Now()
	for total.Activated+total.Failed < n && time.Since(t0) < time.Minute {
		r, err := sch.Tick(ctx, time.Now())
		if err != nil {
			return err
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
		return err
	}
	f.Value = elapsed.Seconds()
	f.Note = fmt.Sprintf("%d activated in %d tick(s) (%.0f activations/s)", activated, ticks, float64(activated)/elapsed.Seconds())
	if activated != n {
		f.Failed = fmt.Sprintf("%d of %d activated (%+v)", activated, n, total)
	}
	return nil
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
