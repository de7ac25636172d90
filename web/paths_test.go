package web_test

import (
	"go/ast"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// No code of the HTTP surface decides anything by the request's path: the
// routers route, and each route says what it needs through the middleware
// routes.go gives it. So no product file reads the request's URL path,
// compares a route path or tests one for a prefix, and only routes.go
// names the API's addresses.
func TestNoCodeDecidesByTheRequestPath(t *testing.T) {
	fset, files := parseWebFiles(t, 0, "e2e", "internal") // browser tests; the test helpers and the generated client
	if len(files) < 20 {
		t.Fatalf("read %d files: the walk missed the packages", len(files))
	}
	for path, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			where := func() string { return fset.Position(n.Pos()).String() }
			switch n := n.(type) {
			case *ast.SelectorExpr:
				if x, ok := n.X.(*ast.SelectorExpr); ok && x.Sel.Name == "URL" && (n.Sel.Name == "Path" || n.Sel.Name == "RawPath") {
					t.Errorf("%s reads the request's URL path", where())
				}
			case *ast.BinaryExpr:
				if (n.Op == token.EQL || n.Op == token.NEQ) && (isPathCall(n.X) || isPathCall(n.Y)) {
					t.Errorf("%s compares the route's path", where())
				}
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && strings.HasSuffix(sel.Sel.Name, "Prefix") {
					for _, a := range n.Args {
						if isPathCall(a) {
							t.Errorf("%s tests the route's path for a prefix", where())
						}
					}
				}
			case *ast.BasicLit:
				if s, err := strconv.Unquote(n.Value); n.Kind == token.STRING && err == nil &&
					strings.HasPrefix(s, "/api/") && filepath.Base(path) != "routes.go" {
					t.Errorf("%s names the API's address %q outside routes.go", where(), s)
				}
			}
			return true
		})
	}
}

// isPathCall reports whether e is a call of a method named Path (an
// echo.Context's route path).
func isPathCall(e ast.Expr) bool {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "Path" && len(call.Args) == 0
}
