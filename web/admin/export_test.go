package admin

import (
	"context"
	"time"

	"esp/lifecycle"
)

// SetPasswordChecks replaces the bound on simultaneous password checks: n
// at once, a login waits at most wait for one. onQueue runs when a login
// must wait, onCheck in the slot just before the password is checked (it
// may block, to hold the slot). Call it before the first request.
func (h *Handlers) SetPasswordChecks(n int, wait time.Duration, onQueue func(), onCheck func(context.Context)) {
	h.checks = newPasswordChecks(n, wait)
	h.checks.onQueue, h.checks.onCheck = onQueue, onCheck
}

// OnPlanRead makes h call f before each read of a tenant's plans for the
// home page or the window, so that tests can count the reads.
func (h *Handlers) OnPlanRead(f func()) { h.plans = countedPlans{h.plans, f} }

type countedPlans struct {
	Plans
	f func()
}

func (p countedPlans) List(ctx context.Context, tenantID int64) ([]lifecycle.Plan, error) {
	p.f()
	return p.Plans.List(ctx, tenantID)
}
