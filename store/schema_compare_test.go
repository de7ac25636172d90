package store_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"esp/store"
	"esp/store/storetest"
)

// oneBackendTables are the tables only one backend has, each with the
// backend and the reason.
var oneBackendTables = map[string][2]string{
	"change_counter": {storetest.SQLite, "the read cache's change counter, bumped by triggers; the read cache is off on PostgreSQL"},
	"session_keys":   {storetest.Postgres, "the cookie and CSRF keys every replica shares; SQLite's one server keeps them in a file of its data folder"},
	"rate_limits":    {storetest.Postgres, "the rate limits' counts every replica shares; SQLite's one server counts in memory"},
}

// allowedDifferences are the lines of the schemas' diff kept on purpose,
// as the diff prints them, each with the reason.
var allowedDifferences = map[string]string{
	"sqlite only:   plan_rows: id int not null":                                   plainRowid,
	"sqlite only:   plan_rows: foreign key plan_id -> plans.id on delete cascade": rowsCheckedByImport,
	"sqlite only:   plan_rows: index plan_rows_plan (plan_id, id)":                oneKeyForImport,
	"sqlite only:   plan_rows: primary key (id)":                                  oneKeyForImport,
	"postgres only: plan_rows: primary key (plan_id, id)":                         oneKeyForImport,
	"postgres only: plan_rows: id int not null identity":                          plainRowid,
	"sqlite only:   scheduler_state: name text":                                   nullKey,
	"postgres only: scheduler_state: name text not null":                          nullKey,
	"sqlite only:   schema_migrations: name text":                                 nullKey,
	"postgres only: schema_migrations: name text not null":                        nullKey,
	"sqlite only:   sessions: id_hash bytes":                                      nullKey,
	"postgres only: sessions: id_hash bytes not null":                             nullKey,
}

// The reasons of allowedDifferences.
const (
	plainRowid          = "SQLite may give a deleted plan row's id again: a row id leaves the process only in a paging cursor beside its plan's id, which is never given again"
	oneKeyForImport     = "an import's COPY on PostgreSQL writes one index a row instead of two (half its inserts' time): every read walks one plan's rows in id order, and id alone is an identity; SQLite's rowid is its table (postgres/0010)"
	rowsCheckedByImport = "PostgreSQL checks a foreign key with a trigger per row, three quarters of a COPY import's time: its plan rows are written only by the import that creates their plan, in its transaction, and no plan is deleted (postgres/0010)"
	nullKey             = "SQLite lets a rowid table's non-integer PRIMARY KEY hold NULL (a quirk it keeps for old databases); the store always writes the key"
)

// openBothBackends opens a store on a fresh SQLite database and one on a
// fresh PostgreSQL schema (ESP_TEST_DATABASE_URL: skipped without it,
// failing under CI=true), their migrations applied.
func openBothBackends(t *testing.T) (lite, pg *store.Store) {
	t.Helper()
	ctx := context.Background()
	u := storetest.PostgresURL(t)
	lite, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	if pg, err = store.OpenPostgres(ctx, u); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	return lite, pg
}

// The migrations of SQLite and the ones of PostgreSQL leave the same
// schema: the same tables with the same columns (types in a shared
// vocabulary, nullability, defaults), keys, indexes (columns, uniqueness,
// predicates), CHECKs and foreign keys, but for the tables and lines
// allowed above with their reasons.
func TestSQLiteAndPostgresSchemasMatch(t *testing.T) {
	lite, pg := openBothBackends(t)
	diff := schemaDiff(t, readSQLite(t, lite.DB), readPostgres(t, pg.DB))
	var unexplained []string
	for _, line := range diff {
		if _, ok := allowedDifferences[line]; !ok {
			unexplained = append(unexplained, line)
		}
	}
	if len(unexplained) > 0 {
		t.Errorf("the live schemas differ (fix it with a migration, or allow the line in allowedDifferences with its reason):\n%s",
			strings.Join(unexplained, "\n"))
	}
	for line := range allowedDifferences {
		if !slices.Contains(diff, line) {
			t.Errorf("allowed difference no longer found, remove it from allowedDifferences: %s", line)
		}
	}
}

// schemaDiff lists, table by table, the lines only one backend has, as
// "sqlite only:   table: line" and "postgres only: table: line". A table
// of oneBackendTables is left out where its backend has it alone.
func schemaDiff(t *testing.T, lite, pg liveSchema) []string {
	t.Helper()
	var diff []string
	tables := map[string]bool{}
	for name := range lite {
		tables[name] = true
	}
	for name := range pg {
		tables[name] = true
	}
	for _, name := range slices.Sorted(maps.Keys(tables)) {
		l, inLite := lite[name]
		p, inPG := pg[name]
		if only, ok := oneBackendTables[name]; ok {
			if want := only[0]; (want == storetest.SQLite) != inLite || (want == storetest.Postgres) != inPG {
				t.Errorf("table %s: on SQLite %v, on PostgreSQL %v; oneBackendTables says only on %s", name, inLite, inPG, want)
			}
			continue
		}
		if !inLite || !inPG {
			diff = append(diff, missingTable(name, inLite))
			continue
		}
		diff = append(diff, linesOnlyIn(storetest.SQLite, name, l, p)...)
		diff = append(diff, linesOnlyIn(storetest.Postgres, name, p, l)...)
	}
	return diff
}

func missingTable(name string, inLite bool) string {
	if inLite {
		return "sqlite only:   table " + name
	}
	return "postgres only: table " + name
}

// linesOnlyIn are the lines of a not in b, each labelled with a's backend
// and the table.
func linesOnlyIn(backend, table string, a, b []string) []string {
	var out []string
	for _, line := range a {
		if !slices.Contains(b, line) {
			out = append(out, fmt.Sprintf("%-14s %s: %s", backend+" only:", table, line))
		}
	}
	return out
}
