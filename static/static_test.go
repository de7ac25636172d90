package static_test

import (
	"io/fs"
	"strings"
	"testing"

	"esp/static"
)

func TestFSHoldsTheStylesheetAndScript(t *testing.T) {
	for _, name := range []string{"app.css", "app.js"} {
		b, err := fs.ReadFile(static.FS, name)
		if err != nil {
			t.Fatalf("ReadFile(%q): %v", name, err)
		}
		if len(b) == 0 {
			t.Errorf("%s is empty", name)
		}
	}
}

// TestAssetsLoadNothingFromElsewhere keeps the CSP at 'self': no @import, no
// remote fonts or scripts, no eval.
func TestAssetsLoadNothingFromElsewhere(t *testing.T) {
	for _, name := range []string{"app.css", "app.js"} {
		b, err := fs.ReadFile(static.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"http://", "https://", "@import", "eval(", "new Function", "innerHTML"} {
			if strings.Contains(string(b), bad) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
	}
}
