package store_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// The two backends print one expression differently: PostgreSQL writes
// x IN ('a', 'b') as x = ANY (ARRAY['a'::text, 'b'::text]), x BETWEEN a AND
// b as x >= a AND x <= b, wraps every comparison in parentheses and names
// SQLite's length of a blob octet_length. normExpr writes a CHECK or an
// index predicate of either in one form: lower case, casts and grouping
// parentheses gone, BETWEEN spelt out, IN-lists sorted.

var (
	anyArray = regexp.MustCompile(`(?i)=\s*ANY\s*\(\s*ARRAY\[([^\]]*)\]\s*\)`)
	cast     = regexp.MustCompile(`(?i)::[a-z_]+( varying)?(\[\])?`)
	between  = regexp.MustCompile(`(?i)(\w+\([^()]*\)|\w+)\s+BETWEEN\s+(\S+)\s+AND\s+(\S+)`)
)

// normExpr is expression e in the common form.
func normExpr(e string) string {
	e = anyArray.ReplaceAllString(e, "IN ($1)")
	e = cast.ReplaceAllString(e, "")
	e = between.ReplaceAllString(e, "$1 >= $2 AND $1 <= $3")
	toks := sortInLists(dropGrouping(tokens(e)))
	for i, t := range toks {
		if t == "octet_length" {
			toks[i] = "length"
		}
	}
	return render(toks)
}

// tokens splits SQL text into words (lower case), quoted strings, numbers
// and operators, leaving out comments and white space.
func tokens(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		c := rune(s[i])
		switch {
		case unicode.IsSpace(c):
			i++
		case strings.HasPrefix(s[i:], "--"):
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(s) && (s[j] != byte(c) || j+1 < len(s) && s[j+1] == byte(c)) {
				if s[j] == byte(c) {
					j++
				}
				j++
			}
			tok := s[i:min(j+1, len(s))]
			if c == '"' {
				tok = strings.ToLower(strings.Trim(tok, `"`))
			}
			out = append(out, tok)
			i = j + 1
		case c == '_' || unicode.IsLetter(c) || unicode.IsDigit(c):
			j := i
			for j < len(s) && (s[j] == '_' || unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j]))) {
				j++
			}
			out = append(out, strings.ToLower(s[i:j]))
			i = j
		case strings.ContainsRune("<>!=|", c) && i+1 < len(s) && strings.ContainsRune("<>=|", rune(s[i+1])):
			out = append(out, s[i:i+2])
			i += 2
		default:
			out = append(out, string(c))
			i++
		}
	}
	return out
}

// notCallers are the words a grouping parenthesis may follow; after any
// other word a parenthesis opens a call's arguments or an IN-list.
var notCallers = []string{"and", "or", "not", "check", "where", "when", "then", "else", "case", "is"}

func isWord(t string) bool {
	r := rune(t[0])
	return r == '_' || unicode.IsLetter(r)
}

// dropGrouping leaves out the parentheses that only group.
func dropGrouping(toks []string) []string {
	drop := make([]bool, len(toks))
	var open []int
	for i, t := range toks {
		switch t {
		case "(":
			open = append(open, i)
		case ")":
			if len(open) == 0 {
				continue
			}
			o := open[len(open)-1]
			open = open[:len(open)-1]
			if o == 0 || !isWord(toks[o-1]) || slices.Contains(notCallers, toks[o-1]) {
				drop[o], drop[i] = true, true
			}
		}
	}
	var out []string
	for i, t := range toks {
		if !drop[i] {
			out = append(out, t)
		}
	}
	return out
}

// sortInLists sorts the values of each IN-list.
func sortInLists(toks []string) []string {
	for i := 0; i+1 < len(toks); i++ {
		if toks[i] != "in" || toks[i+1] != "(" {
			continue
		}
		end := slices.Index(toks[i+2:], ")")
		if end < 0 {
			break
		}
		list := toks[i+2 : i+2+end]
		var vals []string
		for _, t := range list {
			if t != "," {
				vals = append(vals, t)
			}
		}
		slices.Sort(vals)
		for j := range list {
			if j%2 == 0 && j/2 < len(vals) {
				list[j] = vals[j/2]
			} else {
				list[j] = ","
			}
		}
	}
	return toks
}

// render writes tokens back as text: a space between them, none inside
// parentheses, before a comma or between a function and its arguments.
func render(toks []string) string {
	var b strings.Builder
	for i, t := range toks {
		if i > 0 {
			prev := toks[i-1]
			call := t == "(" && isWord(prev) && !slices.Contains(notCallers, prev) && prev != "in"
			if prev != "(" && t != ")" && t != "," && !call {
				b.WriteByte(' ')
			}
		}
		b.WriteString(t)
	}
	return b.String()
}

// inValues are the values expression e (in the common form) allows for
// column col: its IN-list, or the one value it compares col with; nil when
// e says neither.
func inValues(e, col string) []string {
	toks := tokens(e)
	for i := 0; i+2 < len(toks); i++ {
		if toks[i] != col {
			continue
		}
		if toks[i+1] == "=" {
			return []string{strings.Trim(toks[i+2], "'")}
		}
		if toks[i+1] != "in" || toks[i+2] != "(" {
			continue
		}
		var vals []string
		for _, t := range toks[i+3:] {
			if t == ")" {
				break
			}
			if t != "," {
				vals = append(vals, strings.Trim(t, "'"))
			}
		}
		return vals
	}
	return nil
}

// checks are the bodies of the CHECK constraints in a CREATE TABLE
// statement, in order.
func checks(createTable string) []string {
	toks := tokens(createTable)
	var out []string
	for i := 0; i+1 < len(toks); i++ {
		if toks[i] != "check" || toks[i+1] != "(" {
			continue
		}
		depth := 0
		for j := i + 1; j < len(toks); j++ {
			switch toks[j] {
			case "(":
				depth++
			case ")":
				depth--
			}
			if depth == 0 {
				out = append(out, render(toks[i+2:j]))
				i = j
				break
			}
		}
	}
	return out
}

// Each backend's way of writing one expression comes out as one text.
func TestNormExprWritesBothBackendsAlike(t *testing.T) {
	for _, c := range []struct{ sqlite, postgres, want string }{
		{`status IN (
			'b', 'a')`, `(status = ANY (ARRAY['a'::text, 'b'::text]))`, `status in ('a', 'b')`},
		{`length(name) BETWEEN 1 AND 100`, `((length(name) >= 1) AND (length(name) <= 100))`,
			`length(name) >= 1 and length(name) <= 100`},
		{`x IS NULL OR length(x) = 32 -- a hash`, `((x IS NULL) OR (octet_length(x) = 32))`, `x is null or length(x) = 32`},
		{`status = 'deactivated'`, `(status = 'deactivated'::text)`, `status = 'deactivated'`},
	} {
		for _, e := range []string{c.sqlite, c.postgres} {
			if got := normExpr(e); got != c.want {
				t.Errorf("normExpr(%q) = %q, want %q", e, got, c.want)
			}
		}
	}
}
