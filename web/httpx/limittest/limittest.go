// Package limittest holds the behaviour every httpx.AttemptLimit must
// show, as one table: the in-memory limit and the one kept in PostgreSQL
// run the same cases, so their answers cannot drift apart.
package limittest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"esp/web/httpx"
)

// Open makes a fresh, empty limit of burst attempts at once and one more per
// every, reading the time from now. Each call must give a limit that shares
// nothing with the limits of earlier calls.
type Open func(t *testing.T, every time.Duration, burst int, now func() time.Time) httpx.AttemptLimit

// Clock is a settable clock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock is a clock set to a fixed instant.
func NewClock() *Clock { return &Clock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)} }

// Now is the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// step is one moment of a case: the clock moves on by after, then addr
// either gets refunds back or makes takes attempts one after another, of
// which want are taken; wait is the wait the last refused attempt is told
// (0 when none is refused).
type step struct {
	after   time.Duration
	addr    string
	refunds int
	takes   int
	want    int
	wait    time.Duration
}

var cases = []struct {
	name  string
	every time.Duration
	burst int
	steps []step
}{
	{"burst at once then one per period", 6 * time.Second, 10, []step{
		{addr: "a", takes: 12, want: 10, wait: 6 * time.Second},
		{after: 4 * time.Second, addr: "a", takes: 1, want: 0, wait: 2 * time.Second},
		{after: 2 * time.Second, addr: "a", takes: 2, want: 1, wait: 6 * time.Second},
		{after: 13 * time.Second, addr: "a", takes: 3, want: 2, wait: 5 * time.Second},
	}},
	{"addresses have their own allowances", 6 * time.Second, 10, []step{
		{addr: "a", takes: 11, want: 10, wait: 6 * time.Second},
		{addr: "b", takes: 11, want: 10, wait: 6 * time.Second},
		{addr: "2001:db8::1", takes: 3, want: 3},
	}},
	{"a long pause gives back no more than the burst", 6 * time.Second, 10, []step{
		{addr: "a", takes: 10, want: 10},
		{after: time.Hour, addr: "a", takes: 11, want: 10, wait: 6 * time.Second},
	}},
	{"a wait under a second is told as a second", 6 * time.Second, 10, []step{
		{addr: "a", takes: 10, want: 10},
		{after: 5500 * time.Millisecond, addr: "a", takes: 1, want: 0, wait: time.Second},
		{after: 400 * time.Millisecond, addr: "a", takes: 1, want: 0, wait: time.Second},
		{after: 100 * time.Millisecond, addr: "a", takes: 2, want: 1, wait: 6 * time.Second},
	}},
	{"a refund gives back one attempt", 6 * time.Second, 10, []step{
		{addr: "a", takes: 11, want: 10, wait: 6 * time.Second},
		{addr: "a", refunds: 1},
		{addr: "a", takes: 2, want: 1, wait: 6 * time.Second},
		{addr: "a", refunds: 3},
		{addr: "a", takes: 4, want: 3, wait: 6 * time.Second},
	}},
	{"refunds never make more than the burst", 6 * time.Second, 10, []step{
		{addr: "a", refunds: 3},
		{addr: "a", takes: 11, want: 10, wait: 6 * time.Second},
		{after: 30 * time.Second, addr: "a", refunds: 20},
		{addr: "a", takes: 11, want: 10, wait: 6 * time.Second},
	}},
	{"a refund adds to what time gave back", 3 * time.Second, 20, []step{
		{addr: "a", takes: 20, want: 20},
		{after: 45 * time.Second, addr: "a", refunds: 1},
		{addr: "a", takes: 17, want: 16, wait: 3 * time.Second},
	}},
	{"a burst of one", time.Minute, 1, []step{
		{addr: "a", takes: 2, want: 1, wait: time.Minute},
		{after: 59 * time.Second, addr: "a", takes: 1, want: 0, wait: time.Second},
		{after: time.Second, addr: "a", takes: 2, want: 1, wait: time.Minute},
	}},
}

// Run runs every case of the table against limits made by open.
func Run(t *testing.T, open Open) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := NewClock()
			l := open(t, tc.every, tc.burst, clock.Now)
			ctx := context.Background()
			for i, s := range tc.steps {
				clock.Add(s.after)
				for range s.refunds {
					if err := l.Refund(ctx, s.addr); err != nil {
						t.Fatalf("step %d: refund: %v", i+1, err)
					}
				}
				if s.takes == 0 {
					continue
				}
				taken, wait := TakeN(t, l, s.addr, s.takes)
				if taken != s.want || wait != s.wait {
					t.Fatalf("step %d: %d attempts from %s: %d taken, last wait %s; want %d and %s",
						i+1, s.takes, s.addr, taken, wait, s.want, s.wait)
				}
			}
		})
	}
}

// TakeN makes n attempts from addr one after another: how many were taken,
// and the wait the last refused one was told.
func TakeN(t *testing.T, l httpx.AttemptLimit, addr string, n int) (taken int, wait time.Duration) {
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

// TakeTogether makes n attempts from addr at the same moment, spread
// round-robin over limits (which may be several handles on one shared
// limit): how many were taken, and the sorted waits of the refused ones.
func TakeTogether(t *testing.T, limits []httpx.AttemptLimit, addr string, n int) (taken int, waits []time.Duration) {
	t.Helper()
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs []error
	)
	start := make(chan struct{})
	for i := range n {
		l := limits[i%len(limits)]
		wg.Go(func() {
			<-start
			ok, wait, err := l.Take(context.Background(), addr)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs = append(errs, err)
			case ok:
				taken++
			default:
				waits = append(waits, wait)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d attempts failed, the first: %v", len(errs), n, errs[0])
	}
	slices.Sort(waits)
	return taken, waits
}
