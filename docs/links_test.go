// Package docs holds ESP's documentation pages; its test checks that the
// links between them, and from README.md, lead somewhere.
package docs_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var (
	// mdLink is a Markdown link or image target: [text](target) or
	// ![alt](target "title").
	mdLink = regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	// htmlLink is an href or src attribute of inline HTML.
	htmlLink = regexp.MustCompile(`(?:href|src)="([^"]+)"`)
	// codeSpan is inline code, whose text is not a link.
	codeSpan = regexp.MustCompile("`[^`]*`")
	// heading is an ATX heading line.
	heading = regexp.MustCompile(`^#{1,6}\s+(.*?)\s*#*\s*$`)
)

// pages are README.md and every page under docs/.
func pages(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join("..", "README.md"))
	if len(files) < 5 {
		t.Fatalf("found only %v", files)
	}
	return files
}

// Every relative link and #anchor in README.md and docs/*.md names a file
// that exists and, with an anchor, a heading of that file.
func TestRelativeLinksAndAnchorsResolve(t *testing.T) {
	anchorsOf := map[string]map[string]bool{}
	checked := 0
	for _, page := range pages(t) {
		for _, l := range links(t, page) {
			if strings.Contains(l.target, "://") || strings.HasPrefix(l.target, "mailto:") {
				continue
			}
			checked++
			path, anchor, _ := strings.Cut(l.target, "#")
			file := page
			if path != "" {
				file = filepath.Join(filepath.Dir(page), filepath.FromSlash(path))
				if _, err := os.Stat(file); err != nil {
					t.Errorf("%s:%d: %s: no such file", page, l.line, l.target)
					continue
				}
			}
			if anchor == "" {
				continue
			}
			if anchorsOf[file] == nil {
				anchorsOf[file] = anchors(t, file)
			}
			if !anchorsOf[file][anchor] {
				t.Errorf("%s:%d: %s: %s has no heading #%s", page, l.line, l.target, file, anchor)
			}
		}
	}
	if checked < 10 {
		t.Fatalf("checked only %d links: the parser misses them", checked)
	}
}

type link struct {
	target string
	line   int
}

// links are the link targets of a Markdown file, outside code.
func links(t *testing.T, file string) []link {
	t.Helper()
	var out []link
	for i, line := range proseLines(t, file) {
		line = codeSpan.ReplaceAllString(line, "")
		for _, re := range []*regexp.Regexp{mdLink, htmlLink} {
			for _, m := range re.FindAllStringSubmatch(line, -1) {
				out = append(out, link{m[1], i + 1})
			}
		}
	}
	return out
}

// anchors are the #fragments GitHub gives the headings of a Markdown file.
func anchors(t *testing.T, file string) map[string]bool {
	t.Helper()
	set, seen := map[string]bool{}, map[string]int{}
	for _, line := range proseLines(t, file) {
		m := heading.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		slug := slugify(m[1])
		if n := seen[slug]; n > 0 {
			set[slug+"-"+strconv.Itoa(n)] = true
		} else {
			set[slug] = true
		}
		seen[slug]++
	}
	return set
}

// slugify is GitHub's heading anchor: lower case, punctuation dropped,
// spaces made hyphens.
func slugify(s string) string {
	s = strings.ToLower(strings.NewReplacer("`", "", "*", "").Replace(s))
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// proseLines are a file's lines, those inside fenced code blocks blanked
// (the line numbers stay).
func proseLines(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	fenced := false
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			fenced = !fenced
			lines[i] = ""
		} else if fenced {
			lines[i] = ""
		}
	}
	return lines
}

// The checker itself finds a broken link, a broken anchor and a good one.
func TestLinkCheckerFindsBrokenLinks(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "a.md")
	os.WriteFile(page, []byte("# Some Title: here\n\n[ok](#some-title-here) [bad](#nope) [gone](b.md) `[no](c.md)`\n```\n[no](d.md)\n```\n"), 0o644)
	ls := links(t, page)
	if len(ls) != 3 || ls[2].target != "b.md" {
		t.Fatalf("links = %v", ls)
	}
	a := anchors(t, page)
	if !a["some-title-here"] || a["nope"] {
		t.Fatalf("anchors = %v", a)
	}
}
