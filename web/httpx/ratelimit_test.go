package httpx_test

import (
	"slices"
	"testing"
	"time"

	"esp/web/httpx"
	"esp/web/httpx/limittest"
)

func TestMemoryLimitAnswersTheSharedTable(t *testing.T) {
	limittest.Run(t, func(_ *testing.T, every time.Duration, burst int, now func() time.Time) httpx.AttemptLimit {
		return httpx.NewMemoryLimit(every, burst, now)
	})
}

func TestMemoryLimitTakesExactlyTheBurstUnderConcurrency(t *testing.T) {
	clock := limittest.NewClock()
	l := httpx.NewMemoryLimit(3*time.Second, 20, clock.Now)
	taken, waits := limittest.TakeTogether(t, []httpx.AttemptLimit{l}, "a", 200)
	if taken != 20 || len(waits) != 180 || slices.Min(waits) != 3*time.Second || slices.Max(waits) != 3*time.Second {
		t.Fatalf("200 simultaneous attempts: %d taken, %d refused with waits %s..%s; want 20 taken, 180 told 3s",
			taken, len(waits), slices.Min(waits), slices.Max(waits))
	}
}

func TestMemoryLimitsCountEachNameApart(t *testing.T) {
	clock := limittest.NewClock()
	limits := httpx.MemoryLimits(clock.Now)
	login, api := limits("login", 6*time.Second, 10), limits("api", 6*time.Second, 10)
	if taken, _ := limittest.TakeN(t, login, "a", 11); taken != 10 {
		t.Fatalf("login: %d taken, want 10", taken)
	}
	if taken, _ := limittest.TakeN(t, api, "a", 11); taken != 10 {
		t.Fatalf("api after login spent its allowance: %d taken, want its own 10", taken)
	}
}
