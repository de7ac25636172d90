package lifecycle_test

import (
	"context"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store/storetest"
)

// The scheduler's tick forgets the rate-limit rows of addresses whose
// allowance is whole again, so the table the replicas share stays small.
func TestTickForgetsWholeRateLimitAllowances(t *testing.T) {
	if storetest.Backend(t) != storetest.Postgres {
		t.Skip("rate limits are kept in the database only on PostgreSQL")
	}
	st := storetest.Open(t)
	clock := newClock()
	limit := st.AttemptLimit("login", 6*time.Second, 10, clock.Now)
	ctx := context.Background()
	for _, addr := range []string{"192.0.2.1", "192.0.2.2"} {
		if ok, _, err := limit.Take(ctx, addr); !ok || err != nil {
			t.Fatalf("take: %v, %v", ok, err)
		}
	}
	count := func() (n int) {
		t.Helper()
		if err := st.DB.QueryRow(`SELECT count(*) FROM rate_limits`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	sched := lifecycle.NewScheduler(st, lifecycle.LocalActivator{}, lifecycle.Config{}, nil, clock.Now)
	if _, err := sched.Tick(ctx, clock.Now()); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Fatalf("%d rate-limit rows after a tick while they count, want 2", n)
	}
	clock.Add(6 * time.Second)
	if _, err := sched.Tick(ctx, clock.Now()); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 0 {
		t.Fatalf("%d rate-limit rows after a tick once they are whole, want 0", n)
	}
}
