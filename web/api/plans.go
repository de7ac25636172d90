package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"esp/lifecycle"
)

// planJSON is a plan as the API shows it.
type planJSON struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	Rows      int64     `json:"rows"`
	First     *string   `json:"first"` // earliest interval_start; null without rows
	Last      *string   `json:"last"`
	Interval  string    `json:"interval"` // day, week, month, mixed, or "" without rows
}

func toPlanJSON(p lifecycle.Plan) planJSON {
	out := planJSON{ID: p.ID, Name: p.Name, CreatedAt: p.CreatedAt.UTC(), Rows: p.Rows, Interval: p.Interval}
	if p.FirstStart != "" {
		out.First, out.Last = &p.FirstStart, &p.LastStart
	}
	return out
}

// PlanList lists the token's tenant's plans.
func (h *Handlers) PlanList(c echo.Context) error {
	plans, err := h.plans.List(c.Request().Context(), apiTenantID(c))
	if err != nil {
		return err
	}
	out := struct {
		Plans []planJSON `json:"plans"`
	}{Plans: make([]planJSON, 0, len(plans))}
	for _, p := range plans {
		out.Plans = append(out.Plans, toPlanJSON(p))
	}
	return c.JSON(http.StatusOK, out)
}

// PlanGet shows one plan.
func (h *Handlers) PlanGet(c echo.Context) error {
	p, err := h.apiPlan(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toPlanJSON(p))
}

// apiPlan loads the plan named by the :planID parameter, if it belongs to
// the token's tenant. An id that is not a positive integer in canonical
// form names no plan: 404, like another tenant's plan.
func (h *Handlers) apiPlan(c echo.Context) (lifecycle.Plan, error) {
	raw := c.Param("planID")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != raw {
		return lifecycle.Plan{}, planNotFound(raw)
	}
	p, err := h.plans.Get(c.Request().Context(), apiTenantID(c), id)
	if lifecycle.ErrorCode(err) == lifecycle.NotFound {
		return lifecycle.Plan{}, planNotFound(raw)
	}
	return p, err
}

func planNotFound(raw string) error {
	return &lifecycle.Error{Code: lifecycle.NotFound, Message: "No plan " + strconv.Quote(raw) + "."}
}
