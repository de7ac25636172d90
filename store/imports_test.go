package store_test

import (
	"go/ast"
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

// The store's SQL keeps to what both backends accept: new ids come back
// through RETURNING (PostgreSQL has no LastInsertId), a join on nothing is
// ON true (PostgreSQL refuses ON 1), and parameters are $1, $2, ...
// (PostgreSQL has no ? placeholders; SQLite binds $N by number).
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
		for _, q := range sqlLiterals(t, name) {
			if _, ok := sqliteOnlySQL[q.fn]; ok {
				continue
			}
			if i := questionMark(q.text); i >= 0 {
				t.Errorf("%s: a ? placeholder in %q; use $1, $2, ...", q.pos, strings.Join(strings.Fields(q.text), " "))
			}
		}
	}
}

// sqliteOnlySQL are the functions whose SQL only SQLite runs, each with
// the reason it is not written for both backends.
var sqliteOnlySQL = map[string]string{
	"planRowInsert": "the import's multi-row INSERT: PostgreSQL imports with COPY, and the SQLite driver binds " +
		"a ? without reading a parameter name for each of a million rows (about 13 % of the import's time)",
}

type sqlLiteral struct {
	pos  token.Position
	fn   string // the function it is in ("" at the top level)
	text string
}

// sqlWord is a keyword of the store's SQL (written in capitals), found
// in a string that holds SQL or a piece of it.
var sqlWord = regexp.MustCompile(`\b(SELECT|INSERT|UPDATE|DELETE|FROM|WHERE|VALUES|SET|AND|OR|LIMIT|IN)\b`)

// placeholderPiece is a piece of SQL made of parameters only, as a list of
// placeholders is built: "?, " or ",?)".
var placeholderPiece = regexp.MustCompile(`^[\s,()?]*\?[\s,()?]*$`)

// sqlLiterals are the string literals of the file that hold SQL words.
func sqlLiterals(t *testing.T, name string) []sqlLiteral {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var out []sqlLiteral
	for _, d := range f.Decls {
		fn := ""
		if fd, ok := d.(*ast.FuncDecl); ok {
			fn = fd.Name.Name
		}
		ast.Inspect(d, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			text, err := strconv.Unquote(lit.Value)
			if err != nil || !sqlWord.MatchString(text) && !placeholderPiece.MatchString(text) {
				return true
			}
			out = append(out, sqlLiteral{fset.Position(lit.Pos()), fn, text})
			return true
		})
	}
	return out
}

// questionMark is the index of the first ? of SQL text outside its quoted
// strings, or -1.
func questionMark(text string) int {
	quoted := false
	for i := 0; i < len(text); i++ {
		switch {
		case text[i] == '\'':
			quoted = !quoted
		case text[i] == '?' && !quoted:
			return i
		}
	}
	return -1
}

func TestQuestionMarkFindsPlaceholdersOutsideQuotes(t *testing.T) {
	for text, want := range map[string]int{
		`SELECT 1 WHERE id = ?`:         20,
		`WHERE a = ?1`:                  10,
		`(?, ?)`:                        1,
		`WHERE a = $1 AND b = 'why?'`:   -1,
		`WHERE name = 'it''s' AND x=?`:  27,
		`INSERT INTO t VALUES ($1, $2)`: -1,
	} {
		if got := questionMark(text); got != want {
			t.Errorf("questionMark(%q) = %d, want %d", text, got, want)
		}
	}
}
