package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"esp/lifecycle"
	"esp/store"
	"esp/store/storetest"
)

// Replicas started together on an empty PostgreSQL schema migrate it once:
// while the first one's migration transaction is open, every other one is
// inside the database waiting (on the advisory lock), and once it commits
// they find nothing left to do.
func TestPostgresReplicasOpeningTogetherMigrateOnce(t *testing.T) {
	const replicas = 6
	ctx := context.Background()
	app := uniqueApp("esp_migrate_once")
	u := storetest.PostgresURL(t) + "&application_name=" + app
	watch, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close()

	var mu sync.Mutex
	applied := map[string]int{}
	first := true
	store.OnPostgresMigration(t, func(name string) {
		mu.Lock()
		applied[name]++
		wait := first
		first = false
		mu.Unlock()
		if wait {
			// Hold the first migration open until the other replicas are
			// all blocked in the database: without the lock they would be
			// applying the migration alongside it.
			waitForBlockedSessions(t, watch, app, replicas-1)
		}
	})

	start := make(chan struct{})
	errs := make(chan error, replicas)
	var wg sync.WaitGroup
	for range replicas {
		wg.Go(func() {
			<-start
			st, err := store.OpenPostgres(ctx, u)
			if err == nil {
				st.Close()
			}
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("open: %v", err)
		}
	}
	if len(applied) == 0 {
		t.Fatal("no migration applied")
	}
	for name, n := range applied {
		if n != 1 {
			t.Errorf("migration %s applied %d times, want once", name, n)
		}
	}
	var recorded int
	if err := watch.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&recorded); err != nil {
		t.Fatal(err)
	}
	if recorded != len(applied) {
		t.Errorf("schema_migrations holds %d rows, want %d", recorded, len(applied))
	}
}

// waitForBlockedSessions waits until n sessions named app wait on a lock.
func waitForBlockedSessions(t *testing.T, db *sql.DB, app string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var blocked int
		err := db.QueryRow(`SELECT count(*) FROM pg_stat_activity
			WHERE application_name = $1 AND wait_event_type = 'Lock'`, app).Scan(&blocked)
		if err != nil {
			t.Error(err)
			return
		}
		if blocked >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("only %d of %d replicas reached the database while the first migrated", blocked, n)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A PostgreSQL store reopened on its database applies nothing again and
// keeps its rows.
func TestPostgresReopenKeepsRowsAndMigratesNothing(t *testing.T) {
	ctx := context.Background()
	u := storetest.PostgresURL(t)
	st, err := store.OpenPostgres(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateTenant(ctx, "acme", true, time.Now()); err != nil {
		t.Fatal(err)
	}
	st.Close()
	store.OnPostgresMigration(t, func(name string) { t.Errorf("migration %s applied again", name) })
	again, err := store.OpenPostgres(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	tn, err := again.TenantByName(ctx, "acme")
	if err != nil || !tn.PublicAPI {
		t.Fatalf("tenant after reopening: %+v, %v", tn, err)
	}
}

// openPostgresPair is two stores on one fresh PostgreSQL schema, as two
// replicas have, and a third connection for the test's own transactions,
// all with the application name app.
func openPostgresPair(t *testing.T, app string) (a, b *store.Store, other *sql.DB) {
	t.Helper()
	ctx := context.Background()
	u := storetest.PostgresURL(t) + "&application_name=" + app
	var stores [2]*store.Store
	for i := range stores {
		st, err := store.OpenPostgres(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		stores[i] = st
	}
	other, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return stores[0], stores[1], other
}

// holdRow locks credential id in a transaction of db, as a claim or a
// change in progress on another replica does, until release.
func holdRow(t *testing.T, db *sql.DB, id int64) (release func()) {
	t.Helper()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`SELECT id FROM credentials WHERE id = $1 FOR UPDATE`, id); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() { once.Do(func() { tx.Rollback() }) }
	t.Cleanup(release)
	return release
}

// A scheduler neither waits for nor takes a due row that another
// replica's transaction holds (FOR UPDATE SKIP LOCKED): it lists and
// claims the others at once, and the held row once it is free.
func TestPostgresSchedulerSkipsDueRowsAnotherReplicaHolds(t *testing.T) {
	st, _, other := openPostgresPair(t, uniqueApp("esp_skip_locked"))
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	dueRows(t, st, 3, now)
	// Were it to wait for the held row, it would wait until this ends.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	due, err := st.DueCredentials(ctx, now, 10)
	if err != nil || len(due) != 3 {
		t.Fatalf("due: %d, %v", len(due), err)
	}
	held := due[0].ID
	release := holdRow(t, other, held)

	listed, err := st.DueCredentials(ctx, now, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range listed {
		if c.ID == held {
			t.Fatalf("the held row %d is listed as due", held)
		}
	}
	claims := make([]lifecycle.Claim, len(due))
	for i, c := range due {
		claims[i] = lifecycle.Claim{CredentialID: c.ID, Status: c.Status, DueAt: c.DueAt, Until: now.Add(time.Minute)}
	}
	won, err := st.ClaimDue(ctx, claims)
	if err != nil {
		t.Fatalf("claim beside a held row: %v", err)
	}
	if len(won) != 2 || won[0].CredentialID == held || won[1].CredentialID == held {
		t.Fatalf("won %+v, want the two rows not held", won)
	}
	release()
	won, err = st.ClaimDue(ctx, claims[:1])
	if err != nil || len(won) != 1 || won[0].CredentialID != held {
		t.Fatalf("the row once free: %+v, %v", won, err)
	}
}

// Two purges that meet on the same rows (both wait for a row another
// transaction holds, then go on together) delete and audit each
// credential once between them, and neither fails.
func TestPostgresPurgesMeetingOnTheSameRowsAuditEachOnce(t *testing.T) {
	app := uniqueApp("esp_purges")
	a, b, other := openPostgresPair(t, app)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	const rows = 5
	deactivatedRows(t, a, rows, now)
	var first int64
	if err := other.QueryRow(`SELECT min(id) FROM credentials`).Scan(&first); err != nil {
		t.Fatal(err)
	}
	release := holdRow(t, other, first)
	purged := make(chan int, 2)
	errs := make(chan error, 2)
	var wg sync.WaitGroup
	for _, st := range []*store.Store{a, b} {
		wg.Go(func() {
			n, err := st.PurgeDeactivated(ctx, lifecycle.Purge{Cutoff: now, At: now.Add(time.Hour), Actor: "test", Event: "purge"})
			purged <- n
			errs <- err
		})
	}
	waitForBlockedSessions(t, other, app, 2)
	release()
	wg.Wait()
	close(purged)
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("purge: %v", err)
		}
	}
	total := 0
	for n := range purged {
		total += n
	}
	checkPurgedOnce(t, a, rows, total)
}

// uniqueApp is an application name no other test run uses, so that
// counting the sessions named so counts this test's only.
func uniqueApp(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

// Two batches of transitions over the same rows in opposite orders (two
// replicas' schedulers) that run side by side both commit: rows are
// written in id order, so one waits for the other instead of a deadlock.
func TestPostgresTransitionBatchesInOppositeOrdersDoNotDeadlock(t *testing.T) {
	app := uniqueApp("esp_batches")
	a, b, other := openPostgresPair(t, app)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	_, acme, globex := withTenants(t, a)
	c1, c2 := newCredential(t, a, acme.ID, now), newCredential(t, a, globex.ID, now.Add(time.Nanosecond))
	write := func(c lifecycle.Credential) lifecycle.CredentialWrite {
		return lifecycle.CredentialWrite{CredentialID: c.ID, From: []lifecycle.Status{lifecycle.Activated},
			To: lifecycle.PendingDeactivation, At: now, Actor: "test", Action: "deactivate"}
	}
	// Both batches stop at their first audit row, each holding the row it
	// wrote first, until the audit table is free.
	tx, err := other.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`LOCK TABLE audit IN EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	var wg sync.WaitGroup
	for _, batch := range []struct {
		st *store.Store
		ws []lifecycle.CredentialWrite
	}{{a, []lifecycle.CredentialWrite{write(c1), write(c2)}}, {b, []lifecycle.CredentialWrite{write(c2), write(c1)}}} {
		wg.Go(func() {
			_, err := batch.st.ApplyTransitions(ctx, batch.ws)
			errs <- err
		})
	}
	waitForBlockedSessions(t, other, app, 2)
	tx.Rollback()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil && !errors.Is(err, lifecycle.ErrConflict) {
			t.Fatalf("batch: %v", err)
		}
	}
	for _, c := range []lifecycle.Credential{c1, c2} {
		trail := storetest.AuditTrail(t, a, c.TenantID, c.ID)
		if len(trail) != 2 {
			t.Fatalf("credential %d: trail %+v; want its generate and one deactivate", c.ID, trail)
		}
	}
}

// Two schedulers renewing leases on the same rows in opposite orders wait
// for each other instead of deadlocking: renewals, like every batch of
// writes to credentials, take the rows in id order.
func TestPostgresRenewalsInOppositeOrdersDoNotDeadlock(t *testing.T) {
	app := uniqueApp("esp_renewals")
	a, b, other := openPostgresPair(t, app)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	_, acme, globex := withTenants(t, a)
	c1, c2 := newCredential(t, a, acme.ID, now), newCredential(t, a, globex.ID, now.Add(time.Nanosecond))
	claim := func(c lifecycle.Credential) lifecycle.Claim {
		return lifecycle.Claim{CredentialID: c.ID, Status: c.Status, Until: now.Add(time.Minute), Token: 0}
	}
	// Both rows are held until both renewals wait: each then gets the row
	// it asked for first at once.
	tx, err := other.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`SELECT id FROM credentials WHERE id IN ($1, $2) FOR UPDATE`, c1.ID, c2.ID); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	var wg sync.WaitGroup
	for _, batch := range []struct {
		st     *store.Store
		claims []lifecycle.Claim
	}{{a, []lifecycle.Claim{claim(c1), claim(c2)}}, {b, []lifecycle.Claim{claim(c2), claim(c1)}}} {
		wg.Go(func() {
			lost, err := batch.st.RenewClaims(ctx, batch.claims)
			if err == nil && len(lost) > 0 {
				err = fmt.Errorf("renewals lost %v", lost)
			}
			errs <- err
		})
	}
	waitForBlockedSessions(t, other, app, 2)
	tx.Rollback()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("renewal: %v", err)
		}
	}
}
