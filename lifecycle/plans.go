package lifecycle

import (
	"context"
	"errors"
	"time"
)

// PlanStore is the storage the plan use cases need.
type PlanStore interface {
	Plans(ctx context.Context, tenantID int64) ([]Plan, error)
	TenantPlan(ctx context.Context, tenantID, planID int64) (Plan, error)
	PlanRowsAfter(ctx context.Context, planID, afterID int64, limit int) ([]PlanRow, error)
	EachPlanRow(ctx context.Context, planID int64, fn func(r *PlanRow) error) error
	EachPlanChunk(ctx context.Context, planID int64, fn func(lines []byte, rows int) error) error
	TenantByName(ctx context.Context, name string) (Tenant, error)
	ImportPlan(ctx context.Context, tenantID int64, name string, now time.Time, next func(*PlanRow) error) (Plan, error)
}

// Plans lists, pages, exports and imports a tenant's staffing plans.
type Plans struct {
	store PlanStore
	now   func() time.Time
}

// NewPlans returns Plans over st; now is the clock (time.Now in production).
func NewPlans(st PlanStore, now func() time.Time) *Plans {
	return &Plans{store: st, now: now}
}

// List is the tenant's plans in the order they were created.
func (p *Plans) List(ctx context.Context, tenantID int64) ([]Plan, error) {
	return p.store.Plans(ctx, tenantID)
}

// Get is one plan of the tenant; another tenant's plan is NotFound,
// exactly like a plan that does not exist.
func (p *Plans) Get(ctx context.Context, tenantID, planID int64) (Plan, error) {
	plan, err := p.store.TenantPlan(ctx, tenantID, planID)
	return plan, err
}

// Page is one page of a plan's rows.
type Page struct {
	Rows []PlanRow
	More bool // rows follow the last one of this page
}

// Page is up to limit rows of the plan after the row afterID (0: from the
// first), in id order. Ids only grow, so paging by the last id seen
// returns every row once.
func (p *Plans) Page(ctx context.Context, planID, afterID int64, limit int) (Page, error) {
	rows, err := p.store.PlanRowsAfter(ctx, planID, afterID, limit+1)
	if err != nil {
		return Page{}, err
	}
	if len(rows) > limit {
		return Page{Rows: rows[:limit], More: true}, nil
	}
	return Page{Rows: rows}, nil
}

// RowWriter receives a plan's rows one at a time.
type RowWriter interface {
	WriteRow(r *PlanRow) error
}

// LineWriter is a RowWriter that takes the rows' stored lines (their
// canonical CSV records, each with its line end) in blocks, as they are:
// the CSV export, with no decoding and encoding a row.
type LineWriter interface {
	RowWriter
	WriteLines(lines []byte, rows int) error
}

// Export writes every row of the plan to w in id order, a block at a time,
// so that memory stays flat however many rows the plan has and a slow
// reader never holds a database connection. An error from w stops it and
// is returned.
func (p *Plans) Export(ctx context.Context, planID int64, w RowWriter) error {
	if lw, ok := w.(LineWriter); ok {
		return p.store.EachPlanChunk(ctx, planID, lw.WriteLines)
	}
	return p.store.EachPlanRow(ctx, planID, w.WriteRow)
}

// Import creates the plan name for the named tenant and fills it with the
// rows next yields (next fills its argument and returns io.EOF after the
// last row), all or nothing. A name CheckName refuses is Invalid, an
// unknown tenant NotFound, a name the tenant already uses Conflict.
func (p *Plans) Import(ctx context.Context, tenant, name string, next func(*PlanRow) error) (Plan, error) {
	if err := CheckName(PlanName, name); err != nil {
		return Plan{}, err
	}
	t, err := p.store.TenantByName(ctx, tenant)
	if errors.Is(err, ErrNotFound) {
		return Plan{}, Errorf(NotFound, "unknown tenant %q: %w", tenant, err)
	}
	if err != nil {
		return Plan{}, err
	}
	plan, err := p.store.ImportPlan(ctx, t.ID, name, p.now(), next)
	if errors.Is(err, ErrConflict) {
		return Plan{}, Errorf(Conflict, "tenant %q already has a plan named %q: %w", tenant, name, err)
	}
	return plan, err
}
