package admin

import (
	"context"

	"esp/views"
)

// planSummaries are the tenant's plans as the pages list them.
func (h *Handlers) planSummaries(ctx context.Context, tenantID int64) ([]views.PlanSummary, error) {
	plans, err := h.plans.List(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	out := make([]views.PlanSummary, len(plans))
	for i, pl := range plans {
		out[i] = views.PlanSummary{ID: pl.ID, Name: pl.Name, Rows: pl.Rows, First: pl.FirstStart, Last: pl.LastStart, Interval: pl.Interval}
	}
	return out, nil
}
