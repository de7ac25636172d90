package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"esp/cmd/internal/pgbouncer"
	"esp/store/storetest"
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
	rep := tinyRun(t, "", 9)
	if rep.Backend != "sqlite" || rep.Schema != "" {
		t.Errorf("backend %q, schema %q: want sqlite and none", rep.Backend, rep.Schema)
	}
}

// The same tiny run on PostgreSQL (ESP_TEST_DATABASE_URL; under CI=true
// it must be set): esp serve and every esp command on the run's own
// schema, seeded through PostgreSQL's SQL, the baselines by psql, the
// exchange through PgBouncer, and the schema dropped at the end.
func TestTinyRunMeasuresEveryFigurePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs esp")
	}
	u := storetest.PostgresURL(t)
	if _, err := pgbouncer.Binary(); err != nil && os.Getenv("CI") != "true" {
		t.Skipf("SKIPPED: %v, and the PostgreSQL run measures the token exchange through it (row %d)", err, pgbouncerRow)
	}
	rep := tinyRun(t, u, pgbouncerRow)
	if rep.Backend != "postgres" || !strings.HasPrefix(rep.Schema, "espbench_") || !strings.Contains(rep.Database, "PostgreSQL") {
		t.Errorf("backend %q, schema %q, database %q: want PostgreSQL in an espbench_ schema", rep.Backend, rep.Schema, rep.Database)
	}
	for _, f := range rep.Figures {
		if f.Row == 6 && !strings.HasPrefix(f.BaselineName, "psql") {
			t.Errorf("row %d's baseline is %q, not PostgreSQL's", f.Row, f.BaselineName)
		}
		if strings.Contains(f.BaselineName, "sqlite") {
			t.Errorf("row %d's baseline is %q on PostgreSQL", f.Row, f.BaselineName)
		}
	}
	if !schemaGone(t, u, rep.Schema) {
		t.Errorf("schema %s is still there after the run", rep.Schema)
	}
}

// -keep keeps the run's schema; without it, it is dropped.
func TestPostgresSchemaKeptOnlyWithKeep(t *testing.T) {
	u := storetest.PostgresURL(t)
	ctx := context.Background()
	for _, keep := range []bool{false, true} {
		d, err := newPostgres(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if schemaGone(t, u, d.schema) {
			t.Fatalf("schema %s was not created", d.schema)
		}
		if err := d.close(keep); err != nil {
			t.Fatal(err)
		}
		if gone := schemaGone(t, u, d.schema); gone == keep {
			t.Errorf("keep=%v: schema %s gone=%v", keep, d.schema, gone)
		}
		if keep {
			dropSchema(t, u, d.schema)
		}
	}
}

// tinyRun runs the bench with tiny sizes and checks that each row up to
// last was measured.
func tinyRun(t *testing.T, databaseURL string, last int) *Report {
	t.Helper()
	o := options{
		out: filepath.Join(t.TempDir(), "bench.json"), dur: 200 * time.Millisecond, conc: 2,
		mixed: 500 * time.Millisecond, mixedConc: 2, planRows: 500, credRows: 200, dueRows: 20, ticks: 5,
		databaseURL: databaseURL,
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
			t.Errorf("row %d (%s) measured %v (%s)", f.Row, f.Name, f.Value, f.Failed)
		}
		if f.Failed != "" {
			t.Errorf("row %d (%s) not measured: %s", f.Row, f.Name, f.Failed)
		}
		if f.Errors != 0 {
			t.Errorf("row %d (%s): %d errors", f.Row, f.Name, f.Errors)
		}
	}
	for row := 1; row <= last; row++ {
		if !rows[row] {
			t.Errorf("no figure for row %d", row)
		}
	}
	return rep
}

func pgConn(t *testing.T, u string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func schemaGone(t *testing.T, u, schema string) bool {
	t.Helper()
	var n int
	if err := pgConn(t, u).QueryRow(`SELECT count(*) FROM pg_namespace WHERE nspname = $1`, schema).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 0
}

func dropSchema(t *testing.T, u, schema string) {
	t.Helper()
	if _, err := pgConn(t, u).Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
		t.Fatal(err)
	}
}
