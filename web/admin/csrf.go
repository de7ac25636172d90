package admin

import (
	"crypto/subtle"

	"github.com/labstack/echo/v4"

	"esp/lifecycle"
)

// csrfField is the form field every POST form carries its token in.
const csrfField = "_csrf"

// errCSRF refuses a form that did not come from one of our pages.
var errCSRF = &lifecycle.Error{Code: lifecycle.Forbidden,
	Message: "This form has expired or did not come from ESP. Go back, reload the page and try again."}

// tokensMatch compares a sent token with the expected one in constant time;
// an empty expectation never matches.
func tokensMatch(sent, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(sent), []byte(want)) == 1
}

// RequireCSRF refuses (403) a signed-in user's POST whose _csrf field is not
// the session's token (read from the body only, never the URL). It runs
// after RequireSession, before any change.
func (h *Handlers) RequireCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !tokensMatch(c.Request().PostFormValue(csrfField), currentSession(c).csrf) {
			return errCSRF
		}
		return next(c)
	}
}
