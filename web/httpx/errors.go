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

	"github.com/labstack/echo/v4"

	"esp/lifecycle"
)

// The codes of what only HTTP refuses: a request the domain never sees
// because its method, its media type, its body or its Accept header is
// wrong. They are codes of the one vocabulary, answered like the domain's.
const (
	MethodNotAllowed     lifecycle.Code = "method_not_allowed"
	NotAcceptable        lifecycle.Code = "not_acceptable"
	RequestTimeout       lifecycle.Code = "request_timeout"
	TooLarge             lifecycle.Code = "payload_too_large"
	UnsupportedMediaType lifecycle.Code = "unsupported_media_type"
)

// Codes lists every code an answer can come from: the domain's and
// HTTP's own.
func Codes() []lifecycle.Code {
	return append(lifecycle.Codes(), MethodNotAllowed, NotAcceptable, RequestTimeout, TooLarge, UnsupportedMediaType)
}

// answer is how a code is answered: its HTTP status, and the word the
// API's error envelope names it by unless the error gives a finer Reason.
type answer struct {
	status int
	word   string
}

// answers is the one mapping of codes to HTTP statuses. No two codes share
// a status, so that a status Echo answers with names its code (fromEcho).
var answers = map[lifecycle.Code]answer{
	lifecycle.NotFound:     {http.StatusNotFound, "not_found"},
	lifecycle.Conflict:     {http.StatusConflict, "conflict"},
	lifecycle.Invalid:      {http.StatusBadRequest, "bad_request"},
	lifecycle.Unauthorized: {http.StatusUnauthorized, "unauthorized"},
	lifecycle.Forbidden:    {http.StatusForbidden, "forbidden"},
	lifecycle.RateLimited:  {http.StatusTooManyRequests, "rate_limited"},
	lifecycle.Unavailable:  {http.StatusServiceUnavailable, "unavailable"},
	lifecycle.Internal:     {http.StatusInternalServerError, "internal_error"},
	MethodNotAllowed:       {http.StatusMethodNotAllowed, "method_not_allowed"},
	NotAcceptable:          {http.StatusNotAcceptable, "not_acceptable"},
	RequestTimeout:         {http.StatusRequestTimeout, "request_timeout"},
	TooLarge:               {http.StatusRequestEntityTooLarge, "payload_too_large"},
	UnsupportedMediaType:   {http.StatusUnsupportedMediaType, "unsupported_media_type"},
}

// StatusOf is the HTTP status err is answered with.
func StatusOf(err error) int { return answers[codedOf(err).Code].status }

// ErrRequestTimeout answers a request whose body did not arrive within the
// server's read timeout (408).
var ErrRequestTimeout = &lifecycle.Error{Code: RequestTimeout, Message: "The request body did not arrive in time."}

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

// ProblemOf is the one mapping of errors to answers: the status comes from
// the error's code alone. What went wrong inside stays in the log: every
// internal error says msgInternal.
func ProblemOf(err error) Problem {
	e := codedOf(err)
	a := answers[e.Code]
	p := Problem{Status: a.status, Code: a.word, Message: e.Message}
	if e.Reason != "" {
		p.Code = e.Reason
	}
	if p.Message == "" {
		p.Message = http.StatusText(p.Status) + "."
	}
	if p.Status >= 500 && e.Code != lifecycle.Unavailable {
		p.Message = msgInternal
	}
	return p
}

// codedOf is the first coded error in err's chain, one that Echo answered
// with (fromEcho), or else an Internal one (so is a code with no answer).
func codedOf(err error) *lifecycle.Error {
	var e *lifecycle.Error
	if errors.As(err, &e) {
		if _, ok := answers[e.Code]; ok {
			return e
		}
		return &lifecycle.Error{Code: lifecycle.Internal, Err: err}
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return fromEcho(he)
	}
	return &lifecycle.Error{Code: lifecycle.Internal, Err: err}
}

// fromEcho is the one place Echo's own errors (no route, a method the
// route does not take) join the vocabulary: the code whose status Echo
// chose, with Echo's message. A status no code has is a refusal of the
// request (Invalid), or an internal error from 500 on.
func fromEcho(he *echo.HTTPError) *lifecycle.Error {
	e := &lifecycle.Error{Code: lifecycle.Invalid, Err: he}
	if he.Code >= 500 {
		e.Code = lifecycle.Internal
	}
	for code, a := range answers {
		if a.status == he.Code {
			e.Code = code
		}
	}
	if m, ok := he.Message.(string); ok {
		e.Message = m
	} else {
		e.Message = http.StatusText(he.Code)
	}
	return e
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
		if ClientGone(c.Request()) && !BodyTimedOut(err) && codedOf(err).Code != RequestTimeout {
			// Nobody is left to read an answer, and nothing failed here.
			c.Response().Status = StatusClientClosedRequest
			log.Debug("client closed request", "method", c.Request().Method, "route", c.Path(), "request_id", RequestID(c), "err", err)
			return
		}
		code := codedOf(err).Code
		if code == lifecycle.Internal && reach != nil {
			err = reach(err)
			code = codedOf(err).Code
		}
		switch code {
		case lifecycle.Unavailable:
			log.Warn("database unavailable", "method", c.Request().Method, "route", c.Path(), "request_id", RequestID(c), "err", err)
			if c.Response().Header().Get("Retry-After") == "" {
				c.Response().Header().Set("Retry-After", RetryAfterUnavailable)
			}
		case lifecycle.Internal:
			log.Error("request failed", "method", c.Request().Method, "route", c.Path(), "request_id", RequestID(c), "err", err)
		case RequestTimeout:
			requestTimedOut(c)
		}
		answer := render
		if r, ok := c.Get(rendererCtxKey).(Renderer); ok {
			answer = r
		}
		if err := answer(c, ProblemOf(err)); err != nil {
			log.Error("writing error answer", "err", err)
		}
	}
}
