package httpx

import (
	"context"
	"testing"
	"time"
)

func TestMemoryLimitForgetsWholeAllowances(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	l := NewMemoryLimit(6*time.Second, 10, func() time.Time { return now }).(*memoryLimit)
	for range 3 {
		l.Take(context.Background(), "a")
	}
	now = now.Add(2 * time.Minute)
	l.Take(context.Background(), "b") // sweeps
	if _, ok := l.full["a"]; ok || len(l.full) != 1 {
		t.Fatalf("remembered %v, want only b", l.full)
	}
}
