package web

import (
	"net/http"
	"sort"

	"github.com/labstack/echo/v4"
)

// GETRoutes lists the path of every route of both routers that answers
// GET, for the tests that walk the whole surface.
func GETRoutes(s *Server) []string {
	var paths []string
	for _, e := range []*echo.Echo{s.admin, s.public} {
		for _, r := range e.Routes() {
			if r.Method == http.MethodGet {
				paths = append(paths, r.Path)
			}
		}
	}
	sort.Strings(paths)
	return paths
}

// Routers are the server's three Echo routers: the one that hands each
// request on, and the admin's and the API's.
func Routers(s *Server) []*echo.Echo { return []*echo.Echo{s.echo, s.admin, s.public} }

// RefuseWith routes GET path on the admin's router, and GET /api+path on
// the API's, to a handler that returns err.
func RefuseWith(s *Server, path string, err error) {
	refuse := func(echo.Context) error { return err }
	s.admin.GET(path, refuse)
	s.public.GET("/api"+path, refuse)
}
