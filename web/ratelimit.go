package web

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// failureLimiter counts failures (bad logins, bad API keys or tokens) per
// client address with a token bucket: Burst failures at once, refilled at
// Every. When the bucket is empty the address is refused until it refills.
type failureLimiter struct {
	mu      sync.Mutex
	every   time.Duration
	burst   int
	now     func() time.Time
	buckets map[string]*rate.Limiter
	swept   time.Time
}

func newFailureLimiter(every time.Duration, burst int, now func() time.Time) *failureLimiter {
	return &failureLimiter{every: every, burst: burst, now: now, buckets: map[string]*rate.Limiter{}}
}

// Blocked reports whether addr has run out of failures, and if so how long
// until it may try again.
func (l *failureLimiter) Blocked(addr string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[addr]
	if !ok {
		return false, 0
	}
	now := l.now()
	if b.TokensAt(now) >= 1 {
		return false, 0
	}
	r := b.ReserveN(now, 1)
	wait := r.DelayFrom(now)
	r.CancelAt(now)
	if wait < time.Second {
		wait = time.Second
	}
	return true, wait
}

// Fail records one failure from addr.
func (l *failureLimiter) Fail(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.sweep(now)
	b, ok := l.buckets[addr]
	if !ok {
		b = rate.NewLimiter(rate.Every(l.every), l.burst)
		l.buckets[addr] = b
	}
	b.AllowN(now, 1)
}

// sweep forgets addresses whose buckets are full again, so the map stays
// small under a spray of addresses.
func (l *failureLimiter) sweep(now time.Time) {
	if now.Sub(l.swept) < time.Minute {
		return
	}
	l.swept = now
	for k, b := range l.buckets {
		if b.TokensAt(now) >= float64(l.burst) {
			delete(l.buckets, k)
		}
	}
}
