package admin

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"esp/views"
	"esp/web/httpx"
)

// CredentialsDeactivate is POST /api-credentials/deactivate: 303 back to the
// window, now Pending Deactivation. A refusal (a Conflict: 409) answers
// with the window and the reason rather than a redirect carrying a flash
// message: nothing changed, so the browser resending the form is harmless,
// and no message has to be kept between requests.
//
// Deactivate cannot be undone, so the form must say confirm=yes. Without
// it (the window's Deactivate button with no script to open the
// confirmation) the answer is the window with the confirmation open, 200,
// and nothing changes; when Deactivate is not available it is refused as
// a confirmed one would be. An unconfirmed form never deactivates.
func (h *Handlers) CredentialsDeactivate(c echo.Context) error {
	u := currentSession(c)
	ctx := c.Request().Context()
	if c.Request().PostFormValue(views.ConfirmField) != views.ConfirmYes {
		cur, err := h.lc.Current(ctx, u.tenant.ID)
		if err != nil {
			return err
		}
		if !cur.Status.CanDeactivate() {
			return h.renderWindow(c, http.StatusConflict, window{refused: fmt.Sprintf(
				"Deactivate is not available while the status is %s.", cur.Status.Label())})
		}
		return h.renderWindow(c, http.StatusOK, window{confirm: true})
	}
	_, err := h.lc.Deactivate(ctx, u.tenant.ID, u.actor())
	if msg := refusal(err); msg != "" {
		return h.renderWindow(c, httpx.StatusOf(err), window{refused: msg})
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/api-credentials")
}
