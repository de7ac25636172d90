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
func TestClaimSchedulerSlotIsWonOncePerPeriod(t *testing.T) {
	st, _, _ := openPlanStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	race := func(last int64, lastOK bool, at time.Time) int {
		t.Helper()
		const n = 8
		var wg sync.WaitGroup
		wins := make(chan bool, n)
		start := make(chan struct{})
		for range n {
			wg.Go(func() {
				<-start
				won, err := st.ClaimSchedulerSlot(ctx, "test_slot", last, lastOK, at)
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
	if won := race(0, false, now); won != 1 {
		t.Fatalf("first period: %d winners, want 1", won)
	}
	v, ok, err := st.SchedulerValue(ctx, "test_slot")
	if err != nil || !ok || v != now.UnixNano() {
		t.Fatalf("value %d, %v, %v; want %d", v, ok, err, now.UnixNano())
	}
	next := now.Add(time.Minute)
	if won := race(v, true, next); won != 1 {
		t.Fatalf("second period: %d winners, want 1", won)
	}
	if won := race(v, true, next.Add(time.Minute)); won != 0 {
		t.Fatalf("a stale last value: %d winners, want 0", won)
	}
}
