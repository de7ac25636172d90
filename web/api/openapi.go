package api

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openAPIDoc is the OpenAPI 3 description of the public API. A test checks
// real answers against it, so it cannot drift from the code unnoticed.
//
//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI serves openAPIDoc.
func (h *Handlers) OpenAPI(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSONCharsetUTF8, openAPIDoc)
}
