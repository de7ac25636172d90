package web

import (
	"errors"
	"fmt"
	"mime"
	"net/http"

	"github.com/labstack/echo/v4"
)

// maxRequestBody bounds every request body: the admin forms carry a few
// short fields and the API's token requests two keys (apiMaxBody, the same
// figure). Plan data is imported from the command line, never over HTTP.
const maxRequestBody = 64 << 10

// errBodyTooLarge answers 413, in the route's own shape.
var errBodyTooLarge = echo.NewHTTPError(http.StatusRequestEntityTooLarge,
	fmt.Sprintf("The request body must be at most %d KiB.", maxRequestBody>>10))

// boundBody bounds the request body at maxRequestBody bytes: a body that
// turns out longer (chunked, or a lying Content-Length) stops at the limit,
// because every read goes through http.MaxBytesReader, which also tells the
// server to close the connection rather than read the rest. It never
// refuses a request itself: routes that read their own bodies answer a
// too-long one in their own shape (readAPIBody), the others refuse it with
// refuseLongBody or parseForms.
func boundBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if r := c.Request(); r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(c.Response().Writer, r.Body, maxRequestBody)
		}
		return next(c)
	}
}

// refuseLongBody refuses (413) a body that says it is longer than
// maxRequestBody before a byte of it is read.
func refuseLongBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().ContentLength > maxRequestBody {
			return errBodyTooLarge
		}
		return next(c)
	}
}

// parseForms parses the form posts to the pages, so that a too-long form
// is a 413 rather than an empty form (which the handlers would answer as a
// missing CSRF token).
func parseForms(next echo.HandlerFunc) echo.HandlerFunc {
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
			if bodyTimedOut(err) {
				return errRequestTimeout
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
		return r.ParseMultipartForm(maxRequestBody)
	}
	return nil
}
