package httpx

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// ETagOf is a strong entity tag for body: a hash of its bytes, so that it
// changes exactly when the body does.
func ETagOf(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// ServeBlob answers a GET or HEAD with a body that never changes while the
// server runs, tagged with etag and kept by caches as cacheControl says; a
// request whose If-None-Match names etag gets 304 and no body. HEAD gets
// the headers of GET.
func ServeBlob(c echo.Context, cacheControl, contentType string, body []byte, etag string) error {
	h := c.Response().Header()
	h.Set(echo.HeaderCacheControl, cacheControl)
	h.Set("ETag", etag)
	if etagMatches(c.Request().Header.Get("If-None-Match"), etag) {
		return c.NoContent(http.StatusNotModified)
	}
	if c.Request().Method == http.MethodHead {
		h.Set(echo.HeaderContentType, contentType)
		h.Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
		return c.NoContent(http.StatusOK)
	}
	return c.Blob(http.StatusOK, contentType, body)
}

// etagMatches reports whether an If-None-Match header names etag, weak or
// strong alike (RFC 9110 compares weakly for GET and HEAD), or is "*".
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}
