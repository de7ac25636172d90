package web

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"esp/views"
	"esp/web/httpx"
)

// apiErrorBody is the public API's error envelope.
type apiErrorBody struct {
	Error apiErrorDetail `json:"error"`
}

type apiErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// renderAPIError answers with the public API's error envelope.
func (s *Server) renderAPIError(c echo.Context, p httpx.Problem) error {
	if p.Status == http.StatusUnauthorized && c.Response().Header().Get("WWW-Authenticate") == "" {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="esp"`)
	}
	return c.JSON(p.Status, apiErrorBody{apiErrorDetail{Code: p.Code, Message: p.Message}})
}

// renderOAuthError answers the OAuth token route's errors as RFC 6749 §5.2
// does, invalid_request unless the handler chose another error itself. The
// RFC has no error for a failure on the server's side: those get the API's
// envelope.
func (s *Server) renderOAuthError(c echo.Context, p httpx.Problem) error {
	if p.Status >= 500 {
		return s.renderAPIError(c, p)
	}
	return oauthError(c, p.Status, "invalid_request", p.Message)
}

// renderErrorPage answers a page request with an error page, inside the app
// shell when the user is signed in.
func (s *Server) renderErrorPage(c echo.Context, p httpx.Problem) error {
	status, msg := p.Status, p.Message
	if msg == "" || msg == http.StatusText(status) {
		msg = errorMessage(status)
	}
	vm := views.ErrorVM{Page: s.page(c, errorTitle(status)), Code: status, Message: msg}
	if c.Request().Method == http.MethodHead {
		return c.NoContent(status)
	}
	// The page is written even when the request's context has ended (a
	// body that timed out ends it), so the client gets its status.
	return s.renderContext(context.WithoutCancel(c.Request().Context()), c, status, views.ErrorPage(vm))
}
