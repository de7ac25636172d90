package lifecycle_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"esp/lifecycle"
)

// The regular expressions registered with secret scanners find every
// secret key and token ESP makes, whole, and docs/operations.md gives them as
// they are.
func TestSecretScanningPatternsFindEveryKeyAndToken(t *testing.T) {
	secret, token := regexp.MustCompile(lifecycle.SecretKeyPattern), regexp.MustCompile(lifecycle.TokenPattern)
	for range 200 {
		k := lifecycle.NewSecretKey()
		if got := secret.FindString("key: " + k + "\n"); got != k {
			t.Fatalf("secret key pattern found %q in a line holding %q", got, k)
		}
		tok := lifecycle.NewTokenForTest()
		if got := token.FindString(`"` + tok + `"`); got != tok {
			t.Fatalf("token pattern found %q in a line holding %q", got, tok)
		}
	}
	if secret.MatchString(lifecycle.NewAccessKey()) {
		t.Fatal("the secret key pattern matches an access key")
	}
	doc, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{lifecycle.SecretKeyPattern, lifecycle.TokenPattern} {
		if !strings.Contains(string(doc), "`"+p+"`") {
			t.Errorf("docs/operations.md (Leaked keys) does not give the pattern `%s`", p)
		}
	}
}
