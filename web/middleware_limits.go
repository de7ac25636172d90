package web

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// maxRequestBody bounds every request body: the admin forms carry a few
// short fields and the API's token requests two keys (apiMaxBody, the same
// figure). Plan data is imported from the command line, never over HTTP.
const maxRequestBody = 64 << 10

// The token routes (apiRoutes), which read their own bodies.
const (
	tokenAccessKeyPath = "/api/v1/token/access-key"
	oauthTokenPath     = "/api/v1/oauth/token"
)

// errBodyTooLarge answers 413: JSON under /api/, the error page elsewhere.
var errBodyTooLarge = echo.NewHTTPError(http.StatusRequestEntityTooLarge,
	fmt.Sprintf("The request body must be at most %d KiB.", maxRequestBody>>10))

// limitBody bounds the request body at maxRequestBody bytes. A body that
// says it is longer is refused before a byte is read; one that turns out
// longer (chunked, or a lying Content-Length) stops at the limit, because
// every read goes through http.MaxBytesReader. Form posts to the pages are
// parsed here, so that a too-long form is a 413 rather than an empty form
// (which the handlers would answer as a missing CSRF token).
//
// The token routes read their own bodies (readAPIBody) and answer a
// too-long one in their own error shape, so for them only the reader is
// bounded here.
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		api := strings.HasPrefix(r.URL.Path, "/api/")
		readsOwnBody := r.Method == http.MethodPost && (c.Path() == tokenAccessKeyPath || c.Path() == oauthTokenPath)
		if r.ContentLength > maxRequestBody && !readsOwnBody {
			return errBodyTooLarge
		}
		if r.Body == nil || r.Body == http.NoBody {
			return next(c)
		}
		r.Body = http.MaxBytesReader(c.Response().Writer, r.Body, maxRequestBody)
		if api {
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
