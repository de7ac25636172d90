package httpx

import (
	"context"
	"sync"
	"time"
)

// AttemptLimit is an allowance of attempts per client address (logins, or
// failed API authentications): burst at once, then one more per period.
// Take is a single atomic step, so attempts that arrive together cost
// exactly what the same attempts cost one after another. The in-memory
// limit below serves one process; one kept in a shared database can take
// its place when replicas must share the count, which is why the methods
// take a context and may fail.
type AttemptLimit interface {
	// Take takes one attempt from addr's allowance. When none is left it
	// takes nothing, and wait says how long until one is.
	Take(ctx context.Context, addr string) (ok bool, wait time.Duration, err error)
	// Refund gives back one attempt that Take took, for an attempt that
	// turned out not to count (a right password, a check that never ran).
	Refund(ctx context.Context, addr string) error
}

// NewLimit makes the AttemptLimit called name (each name counts apart):
// burst attempts at once, then one more per every. The server's parts take
// one, so that serve decides where the counts live: in this process
// (NewMemoryLimit), or in the database that the replicas share.
type NewLimit func(name string, every time.Duration, burst int) AttemptLimit

// MemoryLimits is the NewLimit of limits in this process, by the clock now.
func MemoryLimits(now func() time.Time) NewLimit {
	return func(_ string, every time.Duration, burst int) AttemptLimit {
		return NewMemoryLimit(every, burst, now)
	}
}

// memoryLimit is an AttemptLimit in memory. Each address keeps one time,
// full: when its allowance will be whole again (GCRA, the "generic cell
// rate algorithm"). An attempt moves full one period later; it is refused
// when that would put full more than burst periods ahead of now. A shared
// implementation needs the same single time per address, changed by one
// conditional UPDATE.
type memoryLimit struct {
	mu     sync.Mutex
	every  time.Duration
	burst  int
	now    func() time.Time
	full   map[string]time.Time
	swept  time.Time
	window time.Duration // burst * every
}

// NewMemoryLimit is an AttemptLimit for one process: burst attempts at
// once, then one more per every, by the clock now.
func NewMemoryLimit(every time.Duration, burst int, now func() time.Time) AttemptLimit {
	return &memoryLimit{every: every, burst: burst, now: now, full: map[string]time.Time{},
		window: time.Duration(burst) * every}
}

func (l *memoryLimit) Take(_ context.Context, addr string) (bool, time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.sweep(now)
	next := l.fullAt(addr, now).Add(l.every)
	if over := next.Sub(now) - l.window; over > 0 {
		if over < time.Second {
			over = time.Second
		}
		return false, over, nil
	}
	l.full[addr] = next
	return true, 0, nil
}

func (l *memoryLimit) Refund(_ context.Context, addr string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if full := l.fullAt(addr, now).Add(-l.every); full.After(now) {
		l.full[addr] = full
	} else {
		delete(l.full, addr)
	}
	return nil
}

// fullAt is when addr's allowance is whole again, now at the earliest.
func (l *memoryLimit) fullAt(addr string, now time.Time) time.Time {
	if full, ok := l.full[addr]; ok && full.After(now) {
		return full
	}
	return now
}

// sweep forgets addresses whose allowance is whole again, so the map stays
// small under a spray of addresses.
func (l *memoryLimit) sweep(now time.Time) {
	if now.Sub(l.swept) < time.Minute {
		return
	}
	l.swept = now
	for addr, full := range l.full {
		if !full.After(now) {
			delete(l.full, addr)
		}
	}
}
