package lifecycle_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"esp/lifecycle"
)

// recordingObserver keeps what the scheduler told it, in order.
type recordingObserver struct{ heard []string }

func (o *recordingObserver) Claimed(late time.Duration) {
	o.heard = append(o.heard, fmt.Sprintf("claimed %s late", late))
}

func (o *recordingObserver) ActivatorCalled(a lifecycle.Action, r lifecycle.CallResult) {
	o.heard = append(o.heard, fmt.Sprintf("%s %s", a, r))
}

// The observer hears of each claim with how late the claimed work was, and
// of each activator call with its action and result: retried, succeeded,
// failed for good.
func TestSchedulerObserverHearsClaimLatenessAndCallResults(t *testing.T) {
	fails := 1
	permanent := false
	act := activatorFunc(func(context.Context, lifecycle.Event) error {
		switch {
		case permanent:
			return lifecycle.ErrPermanent
		case fails > 0:
			fails--
			return context.DeadlineExceeded
		}
		return nil
	})
	f := newFixture(t, act, lifecycle.Config{RetryBase: 10 * time.Second})
	obs := &recordingObserver{}
	f.sched.Observer = obs

	f.generate(t) // due at once
	f.clock.Add(3 * time.Second)
	f.tick(t) // 3s late; fails for now, due again 10s on
	f.clock.Add(11 * time.Second)
	f.tick(t) // 1s late; succeeds
	f.deactivate(t)
	permanent = true
	f.tick(t) // at once; fails for good
	f.tick(t) // nothing due: nothing heard

	want := []string{
		"claimed 3s late", "activate retried",
		"claimed 1s late", "activate succeeded",
		"claimed 0s late", "deactivate failed",
	}
	if !slices.Equal(obs.heard, want) {
		t.Fatalf("the observer heard\n%q\nwant\n%q", obs.heard, want)
	}
}
