package httpx

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"esp/lifecycle"
)

// msgCrossOrigin is the answer to a change sent from another site's page.
const msgCrossOrigin = "This request came from another site. ESP accepts changes only from its own pages."

// errCrossOrigin refuses (403) a browser's unsafe request from another origin.
var errCrossOrigin = &lifecycle.Error{Code: lifecycle.Forbidden, Message: msgCrossOrigin}

// RefuseCrossOrigin is the second line against cross-site request forgery,
// beside the CSRF tokens: a browser's request with an unsafe method (all
// but GET, HEAD and OPTIONS) that its browser marks as coming from another
// origin (Sec-Fetch-Site, or else an Origin that is not this host) is
// refused before anything reads its body or changes a thing. It guards the
// API's token routes as well: API clients are not browsers and send neither
// header, so they pass, while a page on another site cannot make a
// visitor's browser spend the address's failed-authentication allowance.
// The refusal is a 403 in the route's own shape: the error page, the API's
// JSON error, or an RFC 6749 error on the OAuth token route.
func RefuseCrossOrigin(next echo.HandlerFunc) echo.HandlerFunc {
	cop := http.NewCrossOriginProtection()
	return func(c echo.Context) error {
		if err := cop.Check(c.Request()); err != nil {
			return errCrossOrigin
		}
		return next(c)
	}
}
