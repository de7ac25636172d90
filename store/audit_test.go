package store_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"esp/lifecycle"
	"esp/store"
)

// TestAuditAccessLast4MigrationFillsOldRows builds a database as the
// migrations before audit_access_last4 left it, with audit rows of a credential that still
// exists and of one already purged, and opens it with the current store:
// the first rows take their credential's last 4, the purged one's stay
// empty, and the tenant's history is read through its index.
func TestAuditAccessLast4MigrationFillsOldRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), store.DBFile)
	// Foreign keys off, as the store runs its migrations (table rebuilds).
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mustExec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%.80s: %v", q, err)
		}
	}
	mustExec(`CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`)
	names, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	before := slices.IndexFunc(names, func(n string) bool { return strings.HasSuffix(n, "_audit_access_last4.sql") })
	if before < 1 {
		t.Fatalf("no audit_access_last4 migration after the first in %v", names)
	}
	for _, name := range names[:before] {
		body, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		mustExec(string(body))
		mustExec(`INSERT INTO schema_migrations (name, applied_at) VALUES ($1, 0)`, filepath.Base(name))
	}
	mustExec(`INSERT INTO tenants (id, name, created_at) VALUES (1, 'acme', 0)`)
	mustExec(`INSERT INTO credentials (id, tenant_id, status, access_key, secret_hash, access_last4, secret_last4, created_at, changed_at)
		VALUES (2, 1, 'activated', 'ESPAKOLDKEYWXYZ', zeroblob(32), 'WXYZ', 'abcd', 0, 0)`)
	mustExec(`INSERT INTO audit (id, at, tenant_id, credential_id, actor, action, to_status) VALUES
		(1, 1, 1, 1, 'user:alice', 'generate', 'pending_activation'),
		(2, 2, 1, 1, 'scheduler', 'purge', NULL),
		(3, 3, 1, 2, 'user:alice', 'generate', 'pending_activation'),
		(4, 4, 1, 2, 'scheduler', 'activate', 'activated')`)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	st, err := store.OpenFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.TenantAudit(context.Background(), 1, 0, []lifecycle.AuditEvent{"generate", "activate", "purge"}, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, string(r.Action)+":"+r.AccessLast4)
	}
	if want := "activate:WXYZ generate:WXYZ purge: generate:"; strings.Join(got, " ") != want {
		t.Fatalf("audit rows after the migration: %q, want %q", strings.Join(got, " "), want)
	}
	var plan string
	if err := st.DB.QueryRow(`EXPLAIN QUERY PLAN SELECT id FROM audit WHERE tenant_id = 1 AND id < 10 ORDER BY id DESC LIMIT 5`).
		Scan(new(int), new(int), new(int), &plan); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan, "INDEX audit_tenant") {
		t.Fatalf("query plan %q, want a search of audit_tenant", plan)
	}
}
