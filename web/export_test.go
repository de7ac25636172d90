package web

import (
	"context"
	"time"

	"esp/views"
)

// OnKeyLookup makes s call f before each access-key lookup of the token
// exchange, so that tests can count the database lookups.
func OnKeyLookup(s *Server, f func()) { s.onKeyLookup = f }

// SetPasswordChecks replaces the bound on simultaneous password checks: n
// at once, a login waits at most wait for one. onQueue runs when a login
// must wait, onCheck in the slot just before the password is checked (it
// may block, to hold the slot). Call it before the first request.
func (s *Server) SetPasswordChecks(n int, wait time.Duration, onQueue func(), onCheck func(context.Context)) {
	s.admin.checks = newPasswordChecks(n, wait)
	s.admin.checks.onQueue, s.admin.checks.onCheck = onQueue, onCheck
}

// OnPlanRead makes s call f before each read of a tenant's plans for the
// home page or the window, so that tests can count the reads.
func OnPlanRead(s *Server, f func()) { s.admin.plans = countedPlans{s.admin.plans, f} }

type countedPlans struct {
	planLister
	f func()
}

func (p countedPlans) PlanSummaries(ctx context.Context, tenantID int64) ([]views.PlanSummary, error) {
	p.f()
	return p.planLister.PlanSummaries(ctx, tenantID)
}
