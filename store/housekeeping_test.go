package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"esp/lifecycle"
)

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
