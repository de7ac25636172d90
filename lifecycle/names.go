package lifecycle

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// NameKind is what a name names (a tenant, a user, a plan): the word its
// refusals use and the most bytes it may take.
type NameKind struct {
	word     string
	maxBytes int
}

// The kinds of names that enter ESP.
var (
	TenantName = NameKind{"tenant", 100}
	UserName   = NameKind{"user", 100}
	PlanName   = NameKind{"plan", 200}
)

// CheckName is the one rule for the names people give tenants, users and
// plans, wherever a name enters: valid text of 1 to the kind's limit in
// bytes, with no space at either end, and printable characters only (letters,
// marks, digits, punctuation, symbols and the plain space). So control
// characters (NUL, tab, new line, DEL) and Unicode format characters
// (category Cf: bidirectional overrides such as U+202E, zero-width spaces
// and joiners) are refused: they would let a name show as another one (an
// "adm\u202eni" shown as "admin") in the history and the pages. A refusal
// is Invalid, with a one-line message naming the character.
func CheckName(kind NameKind, name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return Errorf(Invalid, "%s name must not be empty", kind.word)
	case !utf8.ValidString(name):
		return Errorf(Invalid, "%s name must be valid UTF-8 text", kind.word)
	case len(name) > kind.maxBytes:
		return Errorf(Invalid, "%s name must be at most %d bytes", kind.word, kind.maxBytes)
	case strings.TrimSpace(name) != name:
		return Errorf(Invalid, "%s name must not start or end with spaces", kind.word)
	}
	for _, r := range name {
		switch {
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			return Errorf(Invalid, "%s name must not contain control characters or Unicode format characters (it holds %U)", kind.word, r)
		case !unicode.IsPrint(r):
			return Errorf(Invalid, "%s name must hold only printable characters and plain spaces (it holds %U)", kind.word, r)
		}
	}
	return nil
}
