package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"esp/store"
)

// A database an older ESP left with due rows gets each row's pending
// activator work named from what its status meant then; rows with nothing
// due get none.
func TestPendingActionIsNamedForRowsLeftDue(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), store.DBFile)
	old, err := store.OpenFileMigratedTo(ctx, path, "0008_claim_token.sql")
	if err != nil {
		t.Fatal(err)
	}
	rows := []struct {
		status string
		due    bool
		want   string
	}{
		{"pending_activation", true, "activate"},
		{"pending_deactivation", true, "deactivate"},
		{"activation_failed", true, "remove_failed_activation"},
		{"activation_failed", false, ""},
		{"activated", false, ""},
		{"deactivated", false, ""},
		{"deactivation_failed", false, ""},
	}
	for i, r := range rows {
		tenant := insertID(t, old, `INSERT INTO tenants (name, created_at) VALUES ('t' || hex(randomblob(8)), 0)`)
		var due any
		if r.due {
			due = 1
		}
		if _, err := old.Exec(`INSERT INTO credentials (id, tenant_id, status, access_key, secret_hash, access_last4,
			secret_last4, created_at, changed_at, due_at, deadline_at) VALUES ($1, $2, $3, 'ESPAK' || hex(randomblob(12)),
			randomblob(32), 'AAAA', 'aaaa', 0, 0, $4, $5)`, i+1, tenant, r.status, due, due); err != nil {
			t.Fatal(err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i, r := range rows {
		c, err := st.CredentialByID(ctx, int64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		if string(c.PendingAction) != r.want {
			t.Errorf("%s (due %v): pending action %q, want %q", r.status, r.due, c.PendingAction, r.want)
		}
	}
}
