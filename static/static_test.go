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
// remote fonts or scripts, no eval. The SVG namespace in the stylesheet's
// data: icons is a name, not an address anything is loaded from.
func TestAssetsLoadNothingFromElsewhere(t *testing.T) {
	for _, name := range []string{"app.css", "app.js", "favicon.svg"} {
		b, err := fs.ReadFile(static.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ReplaceAll(string(b), svgNamespace, "")
		for _, bad := range []string{"http://", "https://", "@import", "eval(", "new Function", "innerHTML", "<script", "href="} {
			if strings.Contains(text, bad) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
	}
}

const svgNamespace = "xmlns='http://www.w3.org/2000/svg'"

// TestTheFaviconIsAnSVG: the icon the layout links is embedded and is SVG.
func TestTheFaviconIsAnSVG(t *testing.T) {
	b, err := fs.ReadFile(static.FS, "favicon.svg")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "<svg "+svgNamespace) {
		t.Errorf("favicon.svg starts %.50q, want an SVG element", b)
	}
}
