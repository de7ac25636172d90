package web_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The HTTP surface reaches the rows only through the domain: no package
// file under web/, the test helpers of web/internal included, imports
// package store. Handlers call lifecycle's use cases through interfaces
// they declare; cmd/app builds those over the store.
func TestWebImportsNoStore(t *testing.T) {
	fset, files := parseWebFiles(t, parser.ImportsOnly)
	if len(files) < 40 {
		t.Fatalf("read %d files: the walk missed the packages", len(files))
	}
	for _, f := range files {
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == "esp/store" {
				t.Errorf("%s imports %s", fset.Position(imp.Pos()), p)
			}
		}
	}
}

// parseWebFiles parses, with mode, every package file (no test) under
// web/ but in the folders named skip, by path.
func parseWebFiles(t *testing.T, mode parser.Mode, skip ...string) (*token.FileSet, map[string]*ast.File) {
	t.Helper()
	fset, files := token.NewFileSet(), map[string]*ast.File{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && slices.Contains(skip, path) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		files[path], err = parser.ParseFile(fset, path, nil, mode)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return fset, files
}
