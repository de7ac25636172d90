package web

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/labstack/echo/v4"

	"esp/lifecycle"
	"esp/store"
	"esp/views"
)

// apiErrorBody is the public API's error envelope.
type apiErrorBody struct {
	Error apiErrorDetail `json:"error"`
}

type apiErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// codeFor names a status for the API's error envelope.
func codeFor(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "bad_request"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusConflict:
		return "conflict"
	case http.StatusRequestEntityTooLarge:
		return "payload_too_large"
	case http.StatusUnsupportedMediaType:
		return "unsupported_media_type"
	case http.StatusNotAcceptable:
		return "not_acceptable"
	case http.StatusTooManyRequests:
		return "rate_limited"
	case http.StatusServiceUnavailable:
		return "unavailable"
	}
	if status >= 500 {
		return "internal_error"
	}
	return strings.ToLower(strings.ReplaceAll(http.StatusText(status), " ", "_"))
}

// APIError is an error the public API answers with its own code and message.
type APIError struct {
	Status  int
	Code    string // defaults to codeFor(Status)
	Message string
}

func (e *APIError) Error() string { return e.Message }

// errRequestTimeout answers a request whose body did not arrive within the
// server's read timeout (408).
var errRequestTimeout = echo.NewHTTPError(http.StatusRequestTimeout, "The request body did not arrive in time.")

// bodyTimedOut reports whether reading the request body failed because the
// client stopped sending it and the server's read deadline passed.
func bodyTimedOut(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// requestTimedOut prepares the 408 answer to a body that did not arrive in
// time. The rest of the body can never be read, so the connection closes;
// the client stalled, not the server, so this is one log line, not an error.
func (s *Server) requestTimedOut(c echo.Context) {
	c.Response().Header().Set("Connection", "close")
	s.log.Info("request body did not arrive in time", "method", c.Request().Method, "route", c.Path())
}

// errorHandler is the one place errors become answers: JSON under /api/,
// an HTML page elsewhere. Only internal errors are logged, and never with
// request data (keys, tokens, passwords and cookies stay out of logs).
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, code, msg := http.StatusInternalServerError, "", "Something went wrong on our side."
	var apiErr *APIError
	var he *echo.HTTPError
	var le *lifecycle.Error
	switch {
	case errors.As(err, &apiErr):
		status, code, msg = apiErr.Status, apiErr.Code, apiErr.Message
	case errors.As(err, &he):
		status = he.Code
		if m, ok := he.Message.(string); ok {
			msg = m
		} else {
			msg = http.StatusText(status)
		}
	case errors.As(err, &le):
		status, msg = http.StatusConflict, le.Message
		if errors.Is(le, store.ErrNotFound) {
			status = http.StatusNotFound
		}
	case errors.Is(err, store.ErrNotFound):
		status, msg = http.StatusNotFound, "Not found."
	}
	if status >= 500 {
		s.log.Error("request failed", "method", c.Request().Method, "route", c.Path(), "err", err)
		msg = "Something went wrong on our side."
	}
	if code == "" {
		code = codeFor(status)
	}
	if status == http.StatusRequestTimeout {
		s.requestTimedOut(c)
	}
	if strings.HasPrefix(c.Request().URL.Path, "/api/") {
		if status == http.StatusUnauthorized && c.Response().Header().Get("WWW-Authenticate") == "" {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="esp"`)
		}
		if err := c.JSON(status, apiErrorBody{apiErrorDetail{Code: code, Message: msg}}); err != nil {
			s.log.Error("writing error answer", "err", err)
		}
		return
	}
	if err := s.renderErrorPage(c, status, msg); err != nil {
		s.log.Error("writing error page", "err", err)
	}
}

// renderErrorPage answers a page request with an error page, inside the app
// shell when the user is signed in.
func (s *Server) renderErrorPage(c echo.Context, status int, msg string) error {
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
