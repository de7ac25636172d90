package main

import (
	"strings"
	"testing"
)

// nameCases are the names every command that names something new refuses
// (control and Unicode format characters, nothing but spaces) and accepts.
var nameCases = []struct {
	label, name string
	ok          bool
}{
	{"right-to-left override U+202E", "adm\u202eni", false},
	{"zero-width space U+200B", "ad\u200bmin", false},
	{"zero-width joiner U+200D", "ad\u200dmin", false},
	{"byte order mark U+FEFF", "\ufeffadmin", false},
	{"NUL", "ad\x00min", false},
	{"new line", "ad\nmin", false},
	{"carriage return", "ad\rmin", false},
	{"tab", "ad\tmin", false},
	{"DEL", "ad\x7fmin", false},
	{"C1 control U+0085", "ad\u0085min", false},
	{"line separator U+2028", "ad\u2028min", false},
	{"empty", "", false},
	{"only spaces", "   ", false},
	{"accented letters", "Zoë", true},
	{"other scripts", "Ζωή-東京", true},
}

// Each command that names something refuses the same names: a one-line
// error, a failure, and nothing changed; and takes ordinary Unicode names.
func TestNamesWithControlOrFormatCharactersAreRefused(t *testing.T) {
	csv := writeCSV(t, goodRow)
	commands := []struct {
		what  string
		stdin string
		args  func(name string) []string
	}{
		{"tenant add", "", func(n string) []string { return []string{"tenant", "add", n} }},
		{"user add", "pw\n", func(n string) []string { return []string{"user", "add", "--tenant", "acme", n} }},
		{"plan import", "", func(n string) []string {
			return []string{"plan", "import", "--tenant", "acme", "--name", n, csv}
		}},
	}
	for _, cmd := range commands {
		for _, c := range nameCases {
			t.Run(cmd.what+"/"+c.label, func(t *testing.T) {
				dir := t.TempDir()
				mustRun(t, dir, "", "tenant", "add", "acme")
				before := snapshot(t, dir)
				r := runCLI(t, dir, cmd.stdin, cmd.args(c.name)...)
				if c.ok {
					if r.err != nil {
						t.Fatalf("%q refused: %v", c.name, r.err)
					}
					return
				}
				if r.err == nil {
					t.Fatalf("%q accepted: %s", c.name, r.stdout)
				}
				if msg := oneLine(r.err); strings.ContainsAny(msg, "\n\r") || !strings.Contains(msg, "name") {
					t.Fatalf("error %q: want one line about the name", msg)
				}
				if after := snapshot(t, dir); after != before {
					t.Fatalf("the database changed:\nbefore:\n%s\nafter:\n%s", before, after)
				}
			})
		}
	}
}
