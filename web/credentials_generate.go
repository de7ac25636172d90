package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"esp/views"
)

// credentialsGenerate is POST /api-credentials/generate. The answer is the
// only place the full keys ever appear: never stored, cached or logged. A
// refusal (the status does not allow Generate, or another admin won the
// race) is 409 with the window as it now stands and the reason.
func (s *Server) credentialsGenerate(c echo.Context) error {
	u := currentSession(c)
	// Everything the answer needs is loaded before the keys exist: once
	// generated, they must reach the admin.
	plans, err := s.admin.plans.PlanSummaries(c.Request().Context(), u.tenant.ID)
	if err != nil {
		return err
	}
	keys, err := s.lc.Generate(c.Request().Context(), u.tenant.ID, u.actor())
	if msg := refusal(err); msg != "" {
		return s.renderWindow(c, http.StatusConflict, msg)
	}
	if err != nil {
		return err
	}
	vm := s.windowVM(c, plans, keys.Current())
	vm.AccessKey, vm.SecretKey, vm.FullKeys = keys.AccessKey, keys.SecretKey, true
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return s.render(c, http.StatusOK, views.CredentialsWindow(vm))
}
