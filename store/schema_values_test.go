package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"esp/lifecycle"
	"esp/store"
)

// The value lists of the schema are the lifecycle's: the statuses and
// activator actions a credential may store, the live statuses the one-live
// index covers, the statuses the purge index covers. SQLite's schema is
// read here; TestSQLiteAndPostgresSchemasMatch holds PostgreSQL's to it.
func TestSchemaValueListsAreTheLifecyclesValues(t *testing.T) {
	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	credentials := readSQLite(t, st.DB)["credentials"]
	stored := statusesWhere(func(s lifecycle.Status) bool { return s != lifecycle.None })
	for _, c := range []struct {
		line, column string // the line's start in the table, the column its values are for
		want         []string
	}{
		{"check status in ", "status", stored},
		{"check pending_action in ", "pending_action", activatorActions()},
		{"unique index credentials_one_live ", "status", statusesWhere(lifecycle.Status.Live)},
		{"index credentials_purge ", "status", statusesWhere(func(s lifecycle.Status) bool {
			return slices.Contains(lifecycle.OnPurge.From(), s)
		})},
	} {
		i := slices.IndexFunc(credentials, func(l string) bool { return strings.HasPrefix(l, c.line) })
		if i < 0 {
			t.Errorf("credentials has no %q…", c.line)
			continue
		}
		got := inValues(credentials[i], c.column)
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %s takes %q, the lifecycle's values are %q", credentials[i], c.column, got, c.want)
		}
	}
}

// statusesWhere are the lifecycle's statuses that keep says, sorted.
func statusesWhere(keep func(lifecycle.Status) bool) []string {
	var out []string
	for _, s := range lifecycle.Statuses {
		if keep(s) {
			out = append(out, string(s))
		}
	}
	slices.Sort(out)
	return out
}

// activatorActions are the actions the lifecycle's transitions ask of the
// activator (ActionNone is the absence of work), sorted.
func activatorActions() []string {
	var out []string
	for _, s := range lifecycle.Statuses {
		for _, on := range lifecycle.Triggers {
			if tr, ok := s.On(on); ok && tr.Action != lifecycle.ActionNone && !slices.Contains(out, string(tr.Action)) {
				out = append(out, string(tr.Action))
			}
		}
	}
	slices.Sort(out)
	return out
}
