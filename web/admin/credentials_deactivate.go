package admin

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"esp/web/httpx"
)

// CredentialsDeactivate is POST /api-credentials/deactivate: 303 back to the
// window, now Pending Deactivation. A refusal (a Conflict: 409) answers
// with the window and the reason rather than a redirect carrying a flash
// message: nothing changed, so the browser resending the form is harmless,
// and no message has to be kept between requests.
func (h *Handlers) CredentialsDeactivate(c echo.Context) error {
	u := currentSession(c)
	_, err := h.lc.Deactivate(c.Request().Context(), u.tenant.ID, u.actor())
	if msg := refusal(err); msg != "" {
		return h.renderWindow(c, httpx.StatusOf(err), window{refused: msg})
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/api-credentials")
}
