package lifecycle

import "time"

// Plan is one of a tenant's staffing plans, with a summary of its rows.
type Plan struct {
	ID         int64
	TenantID   int64
	Name       string
	CreatedAt  time.Time
	Rows       int64
	FirstStart string // earliest interval_start ("" when the plan has no rows)
	LastStart  string // latest interval_start
	Interval   string // day, week or month when all rows share it; "mixed"; "" without rows
}
