package store_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The store persists: it speaks no HTTP and no wire format (the plan file
// format lives in lifecycle/plancsv).
func TestStoreImportsNoHTTPOrWireFormat(t *testing.T) {
	forbidden := map[string]bool{"net/http": true, "encoding/csv": true, "encoding/json": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
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

// The store's SQL keeps to what a second backend accepts too: new ids come
// back through RETURNING (PostgreSQL has no LastInsertId), and a join on
// nothing is ON true (PostgreSQL refuses ON 1).
func TestStoreSQLIsPortable(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	onOne := regexp.MustCompile(`(?i)\bON\s+1\b`)
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(src), "LastInsertId(") {
			t.Errorf("%s uses LastInsertId; use RETURNING id", name)
		}
		if onOne.Match(src) {
			t.Errorf("%s joins ON 1; use ON true", name)
		}
	}
}
