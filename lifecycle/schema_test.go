package lifecycle_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"esp/lifecycle"
)

// schemaSQL is the definition of the named table or index in a new
// database, all migrations applied: SQLite's CREATE statement, or on
// PostgreSQL the index's definition or the table's constraints, written
// as SQLite's (x IN ('a', 'b') for PostgreSQL's x = ANY (ARRAY['a'::text,
// 'b'::text])) so that the same patterns read both.
func schemaSQL(tb testing.TB, name string) string {
	tb.Helper()
	f := newFixture(tb, nil, lifecycle.Config{})
	ctx := context.Background()
	var sql string
	if f.store.Postgres() {
		err := f.store.DB.QueryRowContext(ctx, `SELECT coalesce(
			(SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indexrelid = to_regclass($1)),
			(SELECT string_agg(pg_get_constraintdef(oid), E'\n') FROM pg_constraint WHERE conrelid = to_regclass($1)))`,
			name).Scan(&sql)
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		return strings.NewReplacer("::text", "", "= ANY (ARRAY[", "IN (", "])", ")", "WHERE (", "WHERE ", "CHECK ((", "CHECK (").Replace(sql)
	}
	if err := f.store.DB.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE name = $1`, name).Scan(&sql); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return sql
}

// quotedAfter lists the quoted values that follow the first match of
// pattern in sql, up to the closing parenthesis or the end.
func quotedAfter(tb testing.TB, sql, pattern string) []string {
	tb.Helper()
	m := regexp.MustCompile(`(?s)` + pattern + `([^)]*)`).FindStringSubmatch(sql)
	if m == nil {
		tb.Fatalf("%q not found in %s", pattern, sql)
	}
	var out []string
	for _, v := range regexp.MustCompile(`'([^']*)'`).FindAllStringSubmatch(m[1], -1) {
		out = append(out, v[1])
	}
	slices.Sort(out)
	return out
}

func sortedStatuses(keep func(lifecycle.Status) bool) []string {
	var out []string
	for _, s := range lifecycle.Statuses {
		if keep(s) {
			out = append(out, string(s))
		}
	}
	slices.Sort(out)
	return out
}

// The database enforces one live credential per tenant with a partial
// unique index; it must list exactly the statuses the table makes live.
func TestOneLiveIndexListsTheLiveStatuses(t *testing.T) {
	got := quotedAfter(t, schemaSQL(t, "credentials_one_live"), `WHERE\s+status\s+IN\s*\(`)
	if want := sortedStatuses(lifecycle.Status.Live); !slices.Equal(got, want) {
		t.Fatalf("credentials_one_live covers %q, the table's live statuses are %q", got, want)
	}
}

// The purge deletes, by its index, the statuses the table purges.
func TestPurgeIndexCoversThePurgedStatuses(t *testing.T) {
	got := quotedAfter(t, schemaSQL(t, "credentials_purge"), `WHERE\s+status\s*=\s*`)
	want := sortedStatuses(func(s lifecycle.Status) bool { return slices.Contains(lifecycle.OnPurge.From(), s) })
	if !slices.Equal(got, want) {
		t.Fatalf("credentials_purge covers %q, the table purges %q", got, want)
	}
}

// The columns accept exactly the statuses and activator actions the table
// knows (None is the absence of a row, ActionNone the absence of work).
func TestCredentialColumnsAcceptTheTablesValues(t *testing.T) {
	sql := schemaSQL(t, "credentials")
	if got, want := quotedAfter(t, sql, `CHECK\s*\(\s*status\s+IN\s*\(`),
		sortedStatuses(func(s lifecycle.Status) bool { return s != lifecycle.None }); !slices.Equal(got, want) {
		t.Errorf("credentials.status accepts %q, the table's stored statuses are %q", got, want)
	}
	var actions []string
	for _, s := range lifecycle.Statuses {
		for _, on := range lifecycle.Triggers {
			if tr, ok := s.On(on); ok && tr.Action != lifecycle.ActionNone && !slices.Contains(actions, string(tr.Action)) {
				actions = append(actions, string(tr.Action))
			}
		}
	}
	slices.Sort(actions)
	if got := quotedAfter(t, sql, `CHECK\s*\(\s*pending_action\s+IN\s*\(`); !slices.Equal(got, actions) {
		t.Errorf("credentials.pending_action accepts %q, the table's actions are %q", got, actions)
	}
}
