package store_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store"
)

// dueIDs are the ids of the credentials due for activation, in id order.
func dueIDs(t *testing.T, db *sql.DB) []int64 {
	t.Helper()
	rows, err := db.Query(`SELECT id FROM credentials WHERE due_at IS NOT NULL ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		t.Fatal("no due credentials")
	}
	return ids
}

// Two schedulers writing the same group of outcomes in opposite orders,
// one statement each, both stopped at a row a third session holds: when
// it lets go, one waits for the other instead of a deadlock, because each
// statement locks the group's rows in id order before it changes any. The
// table is large and analysed, so the planner walks the group in the
// order given, as it does in production.
func TestPostgresTransitionGroupsInOppositeOrdersDoNotDeadlock(t *testing.T) {
	app := uniqueApp("esp_groups")
	a, b, other := openPostgresPair(t, app)
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	_, acme, _ := withTenants(t, a)
	if err := a.SeedIdleCredentials(ctx, acme.ID, 20_000, now); err != nil {
		t.Fatal(err)
	}
	if err := a.SeedDueActivations(ctx, "group-", 100, now, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(`ANALYZE credentials`); err != nil {
		t.Fatal(err)
	}
	ids := dueIDs(t, other)
	var up, down []lifecycle.CredentialWrite
	for i := range ids {
		up = append(up, activation(ids[i], now))
		down = append(down, activation(ids[len(ids)-1-i], now))
	}
	tx, err := other.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`SELECT id FROM credentials WHERE id = $1 FOR UPDATE`, ids[len(ids)/2]); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, g := range [][]lifecycle.CredentialWrite{up, down} {
		st := []*store.Store{a, b}[i]
		wg.Go(func() { _, errs[i] = st.ApplyTransitions(ctx, g) })
	}
	waitForBlockedSessions(t, other, app, 2)
	tx.Rollback()
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, lifecycle.ErrConflict) {
			t.Fatalf("group: %v", err)
		}
	}
	var activated int
	if err := other.QueryRow(`SELECT count(*) FROM audit WHERE action = 'activate' AND credential_id = ANY ($1)`, ids).Scan(&activated); err != nil {
		t.Fatal(err)
	}
	if activated != len(ids) {
		t.Fatalf("%d activations audited, want %d: each once", activated, len(ids))
	}
}
