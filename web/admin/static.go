package admin

import (
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"

	"github.com/labstack/echo/v4"

	"esp/static"
	"esp/web/httpx"
)

// staticFile is one embedded asset, read once at start.
type staticFile struct {
	body        []byte
	contentType string
	etag        string
}

// loadStatic reads every embedded asset into memory. Requests are answered
// from this map by exact name, so no path can reach outside it and there is
// no directory listing.
func loadStatic() (map[string]staticFile, error) {
	files := map[string]staticFile{}
	err := fs.WalkDir(static.FS, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(static.FS, name)
		if err != nil {
			return err
		}
		ctype := mime.TypeByExtension(path.Ext(name))
		if ctype == "" {
			ctype = http.DetectContentType(body)
		}
		files[name] = staticFile{body: body, contentType: ctype, etag: httpx.ETagOf(body)}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: read embedded static files: %w", err)
	}
	return files, nil
}

// StaticFile serves /static/NAME. The file names carry no version, so
// browsers keep a copy but revalidate it each time (a cheap 304 thanks to the
// content-hash ETag): a new release is never hidden behind a stale script.
func (h *Handlers) StaticFile(c echo.Context) error {
	return h.serveStatic(c, c.Param("*"))
}

// Favicon serves the icon at /favicon.ico too: pages link
// /static/favicon.svg, but browsers still ask for /favicon.ico on their own
// (for the API's JSON, say), and a 404 there fills the log.
func (h *Handlers) Favicon(c echo.Context) error {
	return h.serveStatic(c, "favicon.svg")
}

// serveStatic answers with the embedded file name, or 404.
func (h *Handlers) serveStatic(c echo.Context, name string) error {
	f, ok := h.static[name]
	if !ok {
		return echo.ErrNotFound
	}
	return httpx.ServeBlob(c, "no-cache", f.contentType, f.body, f.etag)
}
