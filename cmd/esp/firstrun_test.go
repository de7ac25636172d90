package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store"
	"esp/store/storetest"
)

// TestFirstRunHappensOnceWhenServersStartTogether starts the first run of
// several servers at the same instant on one empty database: one of them
// creates the tenant, the two users and the plans and prints the
// passwords; the others print nothing about passwords and start.
// (On SQLite one server owns the data folder; on PostgreSQL three replicas
// share the database. Both run here whatever ESP_TEST_BACKEND says: this
// package's tests run once.)
func TestFirstRunHappensOnceWhenServersStartTogether(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		st, err := store.Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		firstRunTogether(t, []*store.Store{st})
	})
	t.Run("postgres", func(t *testing.T) {
		u := storetest.PostgresURL(t)
		var stores []*store.Store
		for range 3 {
			st, err := store.OpenPostgres(context.Background(), u)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			stores = append(stores, st)
		}
		firstRunTogether(t, stores)
	})
}

func firstRunTogether(t *testing.T, stores []*store.Store) {
	t.Helper()
	const servers = 6
	var (
		outs [servers]bytes.Buffer
		errs [servers]error
		wg   sync.WaitGroup
	)
	start := make(chan struct{})
	for i := range servers {
		st := stores[i%len(stores)]
		accounts := lifecycle.NewAccounts(st, time.Now) // the real cost: the first run is slow enough to overlap
		wg.Go(func() {
			<-start
			errs[i] = firstRun(context.Background(), env{stdout: &outs[i]}, st, accounts, &dbFlags{data: "data"})
		})
	}
	close(start)
	wg.Wait()
	printed := 0
	for i := range servers {
		if errs[i] != nil {
			t.Errorf("server %d: first run: %v", i+1, errs[i])
		}
		if n := strings.Count(outs[i].String(), "password "); n > 0 {
			printed++
			if n != 2 {
				t.Errorf("server %d printed %d passwords, want both:\n%s", i+1, n, outs[i].String())
			}
		} else if outs[i].Len() > 0 {
			t.Errorf("server %d printed, without doing the first run:\n%s", i+1, outs[i].String())
		}
	}
	if printed != 1 {
		t.Fatalf("%d servers printed passwords, want exactly 1", printed)
	}
	ctx := context.Background()
	if n, err := stores[0].CountUsers(ctx); err != nil || n != 2 {
		t.Fatalf("users: %d (%v), want 2", n, err)
	}
	tenant, err := stores[0].TenantByName(ctx, demoTenant)
	if err != nil {
		t.Fatal(err)
	}
	plans, err := stores[0].Plans(ctx, tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	once, err := demoPlanCount(t)
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) != once {
		t.Fatalf("demo tenant has %d plans, want the %d of one first run", len(plans), once)
	}
}

// demoPlanCount is how many plans one first run loads.
func demoPlanCount(t *testing.T) (int, error) {
	t.Helper()
	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		return 0, err
	}
	defer st.Close()
	tenant, err := lifecycle.NewAccounts(st, time.Now).AddTenant(context.Background(), demoTenant)
	if err != nil {
		return 0, err
	}
	if err := loadDemoPlans(context.Background(), st, tenant.ID); err != nil {
		return 0, err
	}
	plans, err := st.Plans(context.Background(), tenant.ID)
	return len(plans), err
}
