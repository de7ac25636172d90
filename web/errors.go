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

// problem is an error as its answer tells it: the status, the code of the
// API's error envelope, and a message the user may see.
type problem struct {
	status  int
	code    string
	message string
}

// msgInternal is all an answer says about an internal error.
const msgInternal = "Something went wrong on our side."

// problemOf is the one mapping of errors to answers. What went wrong
// inside stays in the log: every internal error says msgInternal.
func problemOf(err error) problem {
	p := problem{status: http.StatusInternalServerError, message: msgInternal}
	var apiErr *APIError
	var he *echo.HTTPError
	var le *lifecycle.Error
	switch {
	case errors.As(err, &apiErr):
		p = problem{status: apiErr.Status, code: apiErr.Code, message: apiErr.Message}
	case errors.As(err, &he):
		p.status = he.Code
		if m, ok := he.Message.(string); ok {
			p.message = m
		} else {
			p.message = http.StatusText(p.status)
		}
	case errors.As(err, &le):
		p.status, p.message = http.StatusConflict, le.Message
		if errors.Is(le, store.ErrNotFound) {
			p.status = http.StatusNotFound
		}
	case errors.Is(err, store.ErrNotFound):
		p.status, p.message = http.StatusNotFound, "Not found."
	}
	if p.status >= 500 {
		p.message = msgInternal
	}
	if p.code == "" {
		p.code = codeFor(p.status)
	}
	return p
}

// errorRenderer writes the answer to a problem in one shape: a page, the
// API's JSON envelope, an RFC 6749 error.
type errorRenderer func(c echo.Context, p problem) error

// rendererCtxKey holds, in the echo.Context, the errorRenderer a route chose.
const rendererCtxKey = "esp.errorRenderer"

// renderErrorsWith makes render answer the errors of the routes it guards.
func renderErrorsWith(render errorRenderer) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Set(rendererCtxKey, render)
			return next(c)
		}
	}
}

// errorHandler is the one place errors become answers: each is mapped by
// problemOf and written by the renderer its route chose, or else by render
// (the router's own shape). Only internal errors are logged, and never with
// request data (keys, tokens, passwords and cookies stay out of logs).
func (s *Server) errorHandler(render errorRenderer) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		p := problemOf(err)
		if p.status >= 500 {
			s.log.Error("request failed", "method", c.Request().Method, "route", c.Path(), "err", err)
		}
		if p.status == http.StatusRequestTimeout {
			s.requestTimedOut(c)
		}
		answer := render
		if r, ok := c.Get(rendererCtxKey).(errorRenderer); ok {
			answer = r
		}
		if err := answer(c, p); err != nil {
			s.log.Error("writing error answer", "err", err)
		}
	}
}

// renderAPIError answers with the public API's error envelope.
func (s *Server) renderAPIError(c echo.Context, p problem) error {
	if p.status == http.StatusUnauthorized && c.Response().Header().Get("WWW-Authenticate") == "" {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="esp"`)
	}
	return c.JSON(p.status, apiErrorBody{apiErrorDetail{Code: p.code, Message: p.message}})
}

// renderOAuthError answers the OAuth token route's errors as RFC 6749 §5.2
// does, invalid_request unless the handler chose another error itself. The
// RFC has no error for a failure on the server's side: those get the API's
// envelope.
func (s *Server) renderOAuthError(c echo.Context, p problem) error {
	if p.status >= 500 {
		return s.renderAPIError(c, p)
	}
	return oauthError(c, p.status, "invalid_request", p.message)
}

// renderErrorPage answers a page request with an error page, inside the app
// shell when the user is signed in.
func (s *Server) renderErrorPage(c echo.Context, p problem) error {
	status, msg := p.status, p.message
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
