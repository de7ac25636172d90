package httpx

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/labstack/echo/v4"

	"esp/lifecycle"
)

// MaxRequestBody bounds every request body: the admin forms carry a few
// short fields and the API's token requests two keys. Plan data is
// imported from the command line, never over HTTP.
const MaxRequestBody = 64 << 10

// errBodyTooLarge answers 413, in the route's own shape.
var errBodyTooLarge = &lifecycle.Error{Code: TooLarge,
	Message: fmt.Sprintf("The request body must be at most %d KiB.", MaxRequestBody>>10)}

// BoundBody bounds the request body at MaxRequestBody bytes: a body that
// turns out longer (chunked, or a lying Content-Length) stops at the limit,
// because every read goes through http.MaxBytesReader, which also tells the
// server to close the connection rather than read the rest. It never
// refuses a request itself: routes that read their own bodies (the API's
// token routes) answer a too-long one in their own shape, the others
// refuse it with RefuseLongBody or ParseForms.
func BoundBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if r := c.Request(); r.Body != nil && r.Body != http.NoBody {
			r.Body = &boundedBody{http.MaxBytesReader(c.Response().Writer, r.Body, MaxRequestBody), r.Body}
		}
		return next(c)
	}
}

// boundedBody is a body bounded by BoundBody, which keeps the body it
// bounds for AllowBody.
type boundedBody struct {
	io.ReadCloser // the body, bounded
	unbounded     io.ReadCloser
}

// AllowBody lets a route's request bodies be up to n bytes rather than
// MaxRequestBody (a secret scanner's report). It runs before the handler
// reads a byte: the new bound replaces BoundBody's.
func AllowBody(n int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if b, ok := r.Body.(*boundedBody); ok {
				r.Body = http.MaxBytesReader(c.Response().Writer, b.unbounded, n)
			}
			return next(c)
		}
	}
}

// RefuseLongBody refuses (413) a body that says it is longer than
// MaxRequestBody before a byte of it is read.
func RefuseLongBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().ContentLength > MaxRequestBody {
			return errBodyTooLarge
		}
		return next(c)
	}
}

// ParseForms parses the form posts to the pages, so that a too-long form
// is a 413 rather than an empty form (which the handlers would answer as a
// missing CSRF token).
func ParseForms(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Body == nil || r.Body == http.NoBody {
			return next(c)
		}
		if err := parseForm(r); err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return errBodyTooLarge
			}
			if BodyTimedOut(err) {
				return ErrRequestTimeout
			}
			// Anything else wrong with the form is left to the handler,
			// which sees missing fields and refuses as it always does.
		}
		return next(c)
	}
}

// parseForm reads a form body (URL-encoded or multipart) into r.PostForm.
// The body is already bounded, so nothing spills to disk.
func parseForm(r *http.Request) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/x-www-form-urlencoded":
		return r.ParseForm()
	case "multipart/form-data":
		return r.ParseMultipartForm(MaxRequestBody)
	}
	return nil
}
