package admin

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"esp/views"
)

// planLister lists a tenant's plans for the home page and behind the window.
type planLister interface {
	PlanSummaries(ctx context.Context, tenantID int64) ([]views.PlanSummary, error)
}

// Home is GET /: the app shell and the tenant's plans.
func (h *Handlers) Home(c echo.Context) error {
	u := currentSession(c)
	plans, err := h.plans.PlanSummaries(c.Request().Context(), u.tenant.ID)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, views.Home(views.HomeVM{Page: h.page(c, "Plans"), Plans: plans}))
}
