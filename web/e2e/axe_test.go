package e2e_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// axe-core checks each page for accessibility problems. It is installed for
// the tests with npm, never shipped in static/: .ci/run (and `make test-tools`)
// puts it in .ci/node_modules/ at the root of the module, which git ignores.
// $ESP_AXE_JS names another copy of axe.min.js. Without one the axe checks
// are skipped with a loud message, except under CI=true, where they fail.
const axeSkipMessage = "AXE CHECKS SKIPPED: axe-core not found; run `make test-tools` or set ESP_AXE_JS"

// axeRelPath is where `make test-tools` installs axe-core, from the module root.
var axeRelPath = filepath.Join(".ci", "node_modules", "axe-core", "axe.min.js")

var (
	axeOnce     sync.Once
	axeSource   string
	axeErr      error
	axeSkipOnce sync.Once
)

// findAxe returns the axe-core script: $ESP_AXE_JS, else the copy in
// .ci/node_modules/ under the module root.
func findAxe() (string, error) {
	path := os.Getenv("ESP_AXE_JS")
	if path == "" {
		root, err := moduleRoot()
		if err != nil {
			return "", err
		}
		path = filepath.Join(root, axeRelPath)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("axe-core: %w", err)
	}
	if !strings.Contains(string(b), "axe") {
		return "", fmt.Errorf("axe-core: %s does not look like axe.min.js", path)
	}
	return string(b), nil
}

// moduleRoot is the folder of go.mod above the working directory (the
// package's folder under go test).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// axeViolation is one failed axe rule with the elements that fail it.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// checkAxe runs axe-core on the tab's page as it is now and fails the test
// on any violation, naming the page as what.
func (tb *tab) checkAxe(what string) {
	tb.t.Helper()
	violations, ok := tb.axe(what)
	if !ok {
		return
	}
	for _, v := range violations {
		tb.t.Errorf("%s on %s: axe %s (%s): %s\n\t%s", what, tb.dev.name, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n\t"))
	}
}

// axe runs axe-core on the page and returns its violations; ok is false
// when axe-core is not installed (outside CI only).
func (tb *tab) axe(what string) (violations []axeViolation, ok bool) {
	tb.t.Helper()
	axeOnce.Do(func() { axeSource, axeErr = findAxe() })
	if axeErr != nil {
		if underCI, _ := strconv.ParseBool(os.Getenv("CI")); underCI {
			tb.t.Fatalf("axe checks cannot run under CI=true: %v; run `make test-tools` or set ESP_AXE_JS", axeErr)
		}
		axeSkipOnce.Do(func() { fmt.Fprintf(os.Stderr, "%s (%v)\n", axeSkipMessage, axeErr) })
		tb.t.Logf("%s: %s", what, axeSkipMessage)
		return nil, false
	}
	// The script is evaluated through the DevTools protocol, which the
	// page's Content-Security-Policy does not govern; the page itself never
	// loads it.
	if !eval[bool](tb, `typeof window.axe === 'object'`) {
		eval[chromedp.Void](tb, axeSource+"\n;undefined")
	}
	violations = eval[[]axeViolation](tb, `axe.run(document, {resultTypes: ['violations']}).then(r =>
  r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help,
    nodes: v.nodes.map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').replace(/\s+/g, ' '))})))`,
		chromedp.EvalAwaitPromise)
	return violations, true
}

// TestAxeFindsAProblem proves the axe checks can fail: an image without a
// text alternative, added to the login page, is a violation.
func TestAxeFindsAProblem(t *testing.T) {
	srv := startServer(t, "--activator", "local")
	tb := startBrowser(t)
	if code := tb.navigate(srv.LocalURL() + "/login"); code != 200 {
		t.Fatalf("GET /login: %d, want 200", code)
	}
	eval[chromedp.Void](tb, `document.querySelector('main').appendChild(document.createElement('img')).src = '/static/app.css'`)
	violations, ok := tb.axe("the login page with an image without alt")
	if !ok {
		t.Skip(axeSkipMessage)
	}
	for _, v := range violations {
		if v.ID == "image-alt" {
			return
		}
	}
	t.Fatalf("axe found %+v on a page with an image without alt; want image-alt among them", violations)
}
