package admin

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"regexp"

	"github.com/labstack/echo/v4"

	"esp/lifecycle"
	"esp/views"
	"esp/web/httpx"
)

// generateRequestField is the Generate form's one-time request id.
const generateRequestField = "generate_request"

// expiryField is the Generate form's choice of lifetime
// (lifecycle.ExpiryOptions' values).
const expiryField = "expiry"

// generateRequestFormat is what randomRequestID makes: 16 random bytes,
// base64url without padding.
var generateRequestFormat = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)

func randomRequestID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// CredentialsGenerate is POST /api-credentials/generate. The answer is the
// only place the full keys ever appear: never stored, cached or logged. A
// refusal (the status does not allow Generate, or another admin won the
// race) is 409 with the window as it now stands and the reason.
//
// Reload and Back must never generate twice, and the server keeps no key
// to show again, so each Generate form carries a request id that is
// carried out once: sent again (a browser resubmitting the form), it is
// answered 303 to the window, which then shows the keys masked, with no
// error. The page's script also replaces the answer's history entry with
// the window's address, so that reload and Back load the window with a GET
// in the first place.
func (h *Handlers) CredentialsGenerate(c echo.Context) error {
	u := currentSession(c)
	r := c.Request()
	err := r.ParseForm() // done already by the CSRF check: the body is read once
	request, ok := r.PostForm[generateRequestField]
	if err != nil || !ok || len(request) != 1 || !generateRequestFormat.MatchString(request[0]) {
		return h.renderWindow(c, http.StatusBadRequest, window{
			refused: "This Generate form is out of date and nothing was generated. Press Generate again."})
	}
	// Everything the answer needs is loaded before the keys exist: once
	// generated, they must reach the admin.
	plans, err := h.planSummaries(c.Request().Context(), u.tenant.ID)
	if err != nil {
		return err
	}
	keys, err := h.lc.GenerateOnce(c.Request().Context(), u.tenant.ID, u.actor(), request[0], r.PostForm.Get(expiryField))
	if errors.Is(err, lifecycle.ErrAlreadyGenerated) {
		return c.Redirect(http.StatusSeeOther, views.WindowURL)
	}
	if msg := refusal(err); msg != "" {
		return h.renderWindow(c, httpx.StatusOf(err), window{plans: plans, refused: msg})
	}
	if err != nil {
		return err
	}
	return h.renderWindow(c, http.StatusOK, window{plans: plans, keys: &keys})
}
