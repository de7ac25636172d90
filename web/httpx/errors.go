// Package httpx is the HTTP plumbing the admin pages and the public API
// share: the one mapping of errors to answers, security headers, body
// limits, the cross-origin check, the attempt limit and client addresses.
package httpx

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/labstack/echo/v4"

	"esp/lifecycle"
)

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

// Error is an error answered with its own status, code and message.
type Error struct {
	Status  int
	Code    string // the API envelope's code; defaults to the status's own
	Message string
}

func (e *Error) Error() string { return e.Message }

// ErrRequestTimeout answers a request whose body did not arrive within the
// server's read timeout (408).
var ErrRequestTimeout = echo.NewHTTPError(http.StatusRequestTimeout, "The request body did not arrive in time.")

// BodyTimedOut reports whether reading the request body failed because the
// client stopped sending it and the server's read deadline passed.
func BodyTimedOut(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// StatusClientClosedRequest is the status the access log and the metrics
// give a request whose client closed the connection before its answer was
// complete (nginx's 499): no answer reached anyone, and it is no error.
const StatusClientClosedRequest = 499

// ClientGone reports whether the client closed the connection: the server
// cancels the request's context then (and only once the handler returns,
// which is after every use of this). A body that stopped arriving ends the
// context too; that request is answered 408, so callers check it first.
func ClientGone(r *http.Request) bool {
	return errors.Is(context.Cause(r.Context()), context.Canceled)
}

// requestTimedOut prepares the 408 answer to a body that did not arrive in
// time. The rest of the body can never be read, so the connection closes.
// The client stalled, not the server: this is no error, and the access
// log's line for the request (status 408) says all there is to say.
func requestTimedOut(c echo.Context) {
	c.Response().Header().Set("Connection", "close")
}

// Problem is an error as its answer tells it: the status, the code of the
// API's error envelope, and a message the user may see.
type Problem struct {
	Status  int
	Code    string
	Message string
}

// msgInternal is all an answer says about an internal error.
const msgInternal = "Something went wrong on our side."

// ProblemOf is the one mapping of errors to answers. What went wrong
// inside stays in the log: every internal error says msgInternal.
func ProblemOf(err error) Problem {
	p := Problem{Status: http.StatusInternalServerError, Message: msgInternal}
	var coded *Error
	var he *echo.HTTPError
	var le *lifecycle.Error
	switch {
	case errors.As(err, &coded):
		p = Problem{Status: coded.Status, Code: coded.Code, Message: coded.Message}
	case errors.As(err, &he):
		p.Status = he.Code
		if m, ok := he.Message.(string); ok {
			p.Message = m
		} else {
			p.Message = http.StatusText(p.Status)
		}
	case errors.As(err, &le):
		p.Status, p.Message = statusOf[le.Code], le.Message
		if p.Message == "" {
			p.Message = http.StatusText(p.Status) + "."
		}
	case errors.Is(err, lifecycle.ErrNotFound):
		// Until the store's own errors carry codes, its not-found is one.
		p.Status, p.Message = http.StatusNotFound, "Not found."
	}
	if p.Status == 0 {
		p.Status = http.StatusInternalServerError
	}
	if p.Status >= 500 && !errors.Is(err, lifecycle.ErrUnavailable) {
		p.Message = msgInternal
	}
	if p.Code == "" {
		p.Code = codeFor(p.Status)
	}
	return p
}

// statusOf is the HTTP status of each code of the domain's errors.
var statusOf = map[lifecycle.Code]int{
	lifecycle.NotFound:     http.StatusNotFound,
	lifecycle.Conflict:     http.StatusConflict,
	lifecycle.Invalid:      http.StatusBadRequest,
	lifecycle.Unauthorized: http.StatusUnauthorized,
	lifecycle.Forbidden:    http.StatusForbidden,
	lifecycle.RateLimited:  http.StatusTooManyRequests,
	lifecycle.Unavailable:  http.StatusServiceUnavailable,
	lifecycle.Internal:     http.StatusInternalServerError,
}

// Renderer writes the answer to a problem in one shape: a page, the API's
// JSON envelope, an RFC 6749 error.
type Renderer func(c echo.Context, p Problem) error

// rendererCtxKey holds, in the echo.Context, the Renderer a route chose.
const rendererCtxKey = "esp.errorRenderer"

// RenderErrorsWith makes render answer the errors of the routes it guards.
func RenderErrorsWith(render Renderer) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Set(rendererCtxKey, render)
			return next(c)
		}
	}
}

// RetryAfterUnavailable is the Retry-After, in seconds, of an answer that
// the database cannot be reached (503).
const RetryAfterUnavailable = "5"

// ErrorHandler is the one place errors become answers: each is mapped by
// ProblemOf and written by the renderer its route chose, or else by render
// (the router's own shape). An error that would be internal is first given
// to reach (the store's Reach; nil, none), which marks one that says the
// database cannot be reached as lifecycle.ErrUnavailable: 503 with
// Retry-After. Only internal errors are logged, and never with request data
// (keys, tokens, passwords and cookies stay out of logs). A request whose
// client went away is answered nothing: it is logged at debug level, and
// counted as StatusClientClosedRequest.
func ErrorHandler(log *slog.Logger, render Renderer, reach func(error) error) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		if ClientGone(c.Request()) && !BodyTimedOut(err) && ProblemOf(err).Status != http.StatusRequestTimeout {
			// Nobody is left to read an answer, and nothing failed here.
			c.Response().Status = StatusClientClosedRequest
			log.Debug("client closed request", "method", c.Request().Method, "route", c.Path(), "request_id", RequestID(c), "err", err)
			return
		}
		p := ProblemOf(err)
		if p.Status == http.StatusInternalServerError && reach != nil {
			err = reach(err)
			p = ProblemOf(err)
		}
		switch {
		case errors.Is(err, lifecycle.ErrUnavailable):
			log.Warn("database unavailable", "method", c.Request().Method, "route", c.Path(), "request_id", RequestID(c), "err", err)
		case p.Status >= 500:
			log.Error("request failed", "method", c.Request().Method, "route", c.Path(), "request_id", RequestID(c), "err", err)
		}
		if p.Status == http.StatusServiceUnavailable && c.Response().Header().Get("Retry-After") == "" {
			c.Response().Header().Set("Retry-After", RetryAfterUnavailable)
		}
		if p.Status == http.StatusRequestTimeout {
			requestTimedOut(c)
		}
		answer := render
		if r, ok := c.Get(rendererCtxKey).(Renderer); ok {
			answer = r
		}
		if err := answer(c, p); err != nil {
			log.Error("writing error answer", "err", err)
		}
	}
}
