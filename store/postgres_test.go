package store_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

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
	app := "esp_migrate_once_test"
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
