package admin

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"esp/views"
)

// Home is GET /: the app shell and the tenant's plans.
func (h *Handlers) Home(c echo.Context) error {
	u := currentSession(c)
	plans, err := h.planSummaries(c.Request().Context(), u.tenant.ID)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, views.Home(views.HomeVM{Page: h.page(c, "Plans"), Plans: plans}))
}
