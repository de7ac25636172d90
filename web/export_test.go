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
