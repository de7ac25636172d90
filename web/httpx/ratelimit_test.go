package httpx

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func takeN(t *testing.T, l AttemptLimit, addr string, n int) (taken int, wait time.Duration) {
	t.Helper()
	for range n {
		ok, w, err := l.Take(context.Background(), addr)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			taken++
		} else {
			wait = w
		}
	}
	return taken, wait
}

func TestMemoryLimitAllowsBurstThenOnePerPeriod(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	l := NewMemoryLimit(6*time.Second, 10, clock.now)
	if taken, wait := takeN(t, l, "a", 12); taken != 10 || wait != 6*time.Second {
		t.Fatalf("12 attempts at once: %d taken, wait %s; want 10 and 6s", taken, wait)
	}
	clock.add(4 * time.Second)
	if taken, wait := takeN(t, l, "a", 1); taken != 0 || wait != 2*time.Second {
		t.Fatalf("4s later: %d taken, wait %s; want 0 and 2s", taken, wait)
	}
	clock.add(2 * time.Second)
	if taken, _ := takeN(t, l, "a", 2); taken != 1 {
		t.Fatalf("6s later: %d taken, want 1", taken)
	}
	if taken, _ := takeN(t, l, "b", 11); taken != 10 {
		t.Fatalf("another address: %d taken, want its own 10", taken)
	}
	clock.add(time.Hour)
	if taken, _ := takeN(t, l, "a", 11); taken != 10 {
		t.Fatalf("an hour later: %d taken, want 10 (no more than the burst)", taken)
	}
}

func TestMemoryLimitRefundGivesBackOneAndNeverMoreThanTheBurst(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	l := NewMemoryLimit(6*time.Second, 10, clock.now)
	ctx := context.Background()
	for range 3 {
		if err := l.Refund(ctx, "a"); err != nil {
			t.Fatal(err)
		}
	}
	if taken, _ := takeN(t, l, "a", 11); taken != 10 {
		t.Fatalf("after refunds to a whole allowance: %d taken, want 10", taken)
	}
	if err := l.Refund(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if taken, _ := takeN(t, l, "a", 2); taken != 1 {
		t.Fatalf("after one refund: %d taken, want 1", taken)
	}
}

func TestMemoryLimitTakesExactlyTheBurstUnderConcurrency(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	l := NewMemoryLimit(3*time.Second, 20, clock.now)
	var taken atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 200 {
		wg.Go(func() {
			<-start
			if ok, _, _ := l.Take(context.Background(), "a"); ok {
				taken.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if taken.Load() != 20 {
		t.Fatalf("%d of 200 simultaneous attempts taken, want 20", taken.Load())
	}
}

func TestMemoryLimitForgetsWholeAllowances(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	l := NewMemoryLimit(6*time.Second, 10, clock.now).(*memoryLimit)
	takeN(t, l, "a", 3)
	clock.add(2 * time.Minute)
	takeN(t, l, "b", 1) // sweeps
	if _, ok := l.full["a"]; ok || len(l.full) != 1 {
		t.Fatalf("remembered %v, want only b", l.full)
	}
}
