package admin

import (
	"context"

	"esp/store"
	"esp/views"
)

// storePlans lists a tenant's plans from the store's summaries.
type storePlans struct{ store *store.Store }

func (p storePlans) PlanSummaries(ctx context.Context, tenantID int64) ([]views.PlanSummary, error) {
	plans, err := p.store.Plans(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	out := make([]views.PlanSummary, len(plans))
	for i, pl := range plans {
		out[i] = views.PlanSummary{ID: pl.ID, Name: pl.Name, Rows: pl.Rows, First: pl.FirstStart, Last: pl.LastStart, Interval: pl.Interval}
	}
	return out, nil
}
