package lifecycle_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The domain speaks no wire format and no database: adapters that do (the
// webhook activator) live in sub-packages of their own. It owns its types
// and declares the storage it needs, so it never imports package store.
func TestLifecycleImportsNoAdapterPackages(t *testing.T) {
	forbidden := map[string]bool{"net/http": true, "database/sql": true, "encoding/csv": true, "encoding/json": true,
		"esp/store": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checkImports(t, files, forbidden)
}

// The domain's adapters (the webhook activator, the plan file codec) work
// on its types, not on the store's.
func TestLifecycleAdaptersDoNotImportTheStore(t *testing.T) {
	files, err := filepath.Glob("*/*.go")
	if err != nil {
		t.Fatal(err)
	}
	checkImports(t, files, map[string]bool{"esp/store": true})
}

func checkImports(t *testing.T, files []string, forbidden map[string]bool) {
	t.Helper()
	fset := token.NewFileSet()
	var checked int
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if forbidden[path] {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no package files found")
	}
}
