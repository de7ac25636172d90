package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"esp/lifecycle"
)

// Inserting a token deletes nothing, not even tokens long expired: that
// is the scheduler's housekeeping (DeleteExpiredTokens), which removes the
// tokens expired by its time, those expiring exactly then included, and
// no other.
func TestInsertTokenLeavesExpiredTokensToDeleteExpiredTokens(t *testing.T) {
	st, acme, _ := openPlanStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	c := newCredential(t, st, acme.ID, now)
	insert := func(name string, created, expires time.Time) {
		t.Helper()
		if err := st.InsertToken(ctx, lifecycle.Token{Hash: tokenHash(name), CredentialID: c.ID, TenantID: acme.ID,
			CreatedAt: created, ExpiresAt: expires}); err != nil {
			t.Fatal(err)
		}
	}
	stored := func(name string) bool {
		t.Helper()
		_, err := st.TokenGrant(ctx, tokenHash(name))
		if err != nil && !errors.Is(err, lifecycle.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	insert("old", now, now.Add(time.Hour))
	insert("edge", now, now.Add(2*time.Hour))
	later := now.Add(2 * time.Hour)
	insert("new", later, later.Add(time.Hour))
	if !stored("old") || !stored("edge") || !stored("new") {
		t.Fatalf("after a later insert: old %v, edge %v, new %v; want all three stored", stored("old"), stored("edge"), stored("new"))
	}
	n, err := st.DeleteExpiredTokens(ctx, later)
	if err != nil || n != 2 {
		t.Fatalf("DeleteExpiredTokens = %d, %v; want 2", n, err)
	}
	if stored("old") || stored("edge") || !stored("new") {
		t.Fatalf("after the housekeeping: old %v, edge %v, new %v; want only new", stored("old"), stored("edge"), stored("new"))
	}
}

// Of the schedulers that read the same last value, exactly one claims the
// period, however many try at once; the next period is claimed from the
// value the winner wrote.
func TestClaimRunIsWonOncePerPeriod(t *testing.T) {
	st, _, _ := openPlanStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	race := func(last, at time.Time) int {
		t.Helper()
		const n = 8
		var wg sync.WaitGroup
		wins := make(chan bool, n)
		start := make(chan struct{})
		for range n {
			wg.Go(func() {
				<-start
				won, err := st.ClaimRun(ctx, lifecycle.PeriodicRun{Job: "test_slot", Last: last, At: at})
				if err != nil {
					t.Error(err)
				}
				wins <- won
			})
		}
		close(start)
		wg.Wait()
		close(wins)
		won := 0
		for w := range wins {
			if w {
				won++
			}
		}
		return won
	}
	if won := race(time.Time{}, now); won != 1 {
		t.Fatalf("first period: %d winners, want 1", won)
	}
	v, err := st.LastRun(ctx, "test_slot")
	if err != nil || !v.Equal(now) {
		t.Fatalf("last run %v, %v; want %v", v, err, now)
	}
	next := now.Add(time.Minute)
	if won := race(v, next); won != 1 {
		t.Fatalf("second period: %d winners, want 1", won)
	}
	if won := race(v, next.Add(time.Minute)); won != 0 {
		t.Fatalf("a stale last value: %d winners, want 0", won)
	}
}
