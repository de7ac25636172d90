package lifecycle_test

import (
	"context"
	"testing"
	"time"

	"esp/lifecycle"
)

// fillCredentials adds n credentials of the fixture's tenant that need no
// scheduler work (failed or recently deactivated), in one statement.
func fillCredentials(tb testing.TB, f *fixture, n int) {
	tb.Helper()
	now := f.clock.Now().UnixNano()
	_, err := f.store.DB.Exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
		INSERT INTO credentials (tenant_id, status, access_key, secret_hash, access_last4, secret_last4,
			created_at, changed_at, deactivated_at)
		SELECT $2, CASE i % 3 WHEN 0 THEN 'activation_failed' WHEN 1 THEN 'deactivation_failed' ELSE 'deactivated' END,
			printf('ESPAKFILL%020d', i), randomblob(32), 'abcd', 'abcd', $3, $4, CASE i % 3 WHEN 2 THEN $5 END
		FROM n`, n, f.tenant.ID, now, now, now)
	if err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkTickNothingDue is one scheduler tick over 100,000 credentials of
// which none is due: the cost of the scheduler when there is nothing to do
// (cmd/espbench measures the same over 1,000,000 rows).
func BenchmarkTickNothingDue(b *testing.B) {
	f := newFixture(b, nil, lifecycle.Config{})
	fillCredentials(b, f, 100_000)
	f.tick(b) // the first tick runs the weekly purge
	ctx := context.Background()
	now := f.clock.Now()
	for b.Loop() {
		r, err := f.sched.Tick(ctx, now)
		if err != nil {
			b.Fatal(err)
		}
		if r != (lifecycle.TickResult{}) {
			b.Fatalf("tick did work: %+v", r)
		}
	}
}

// BenchmarkTickActivate is one tick activating 1,000 due credentials (one
// per tenant) with the local activator; it reports activations per second.
// The tick's context can be cancelled, as Run's is.
func BenchmarkTickActivate(b *testing.B) {
	const due = 1000
	f := newFixture(b, nil, lifecycle.Config{})
	f.tick(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	round := 0
	var activated int
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		round++
		now := f.clock.Now().UnixNano()
		_, err := f.store.DB.Exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
			INSERT INTO tenants (name, public_api, created_at) SELECT printf('due-%d-%d', $2, i), 1, $3 FROM n`, due, round, now)
		if err == nil {
			_, err = f.store.DB.Exec(`INSERT INTO credentials (tenant_id, status, access_key, secret_hash,
				access_last4, secret_last4, created_at, changed_at, due_at, deadline_at, pending_action)
				SELECT id, 'pending_activation', printf('ESPAKDUE%021d', id), randomblob(32), 'abcd', 'abcd', $1, $2, $3, $4, 'activate'
				FROM tenants WHERE name LIKE printf('due-%d-%%', $5)`, now, now, now, now+int64(24*time.Hour), round)
		}
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0 := time.Now()
		r, err := f.sched.Tick(ctx, f.clock.Now())
		elapsed += time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		activated += r.Activated
		if r.Activated != due {
			b.Fatalf("activated %d, want %d", r.Activated, due)
		}
	}
	b.ReportMetric(float64(activated)/elapsed.Seconds(), "activations/s")
}
