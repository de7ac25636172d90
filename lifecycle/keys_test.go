package lifecycle_test

import (
	"errors"
	"regexp"
	"testing"

	"esp/lifecycle"
)

func TestKeyFormat(t *testing.T) {
	access, secret := lifecycle.NewAccessKey(), lifecycle.NewSecretKey()
	if !regexp.MustCompile(`^ESPAK[A-Z2-7]{24}$`).MatchString(access) {
		t.Fatalf("access key %q does not match the documented format", access)
	}
	if !regexp.MustCompile(`^espsk_[a-z2-7]{59}$`).MatchString(secret) {
		t.Fatalf("secret key does not match the documented format (len %d)", len(secret))
	}
	if err := lifecycle.CheckAccessKey(access); err != nil {
		t.Fatalf("CheckAccessKey(new key)=%v", err)
	}
	if err := lifecycle.CheckSecretKey(secret); err != nil {
		t.Fatalf("CheckSecretKey(new key)=%v", err)
	}
}

func TestKeysAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		for _, k := range []string{lifecycle.NewAccessKey(), lifecycle.NewSecretKey()} {
			if seen[k] {
				t.Fatalf("duplicate key %q", k)
			}
			seen[k] = true
		}
	}
}

// Any single-character typo in a secret is caught by its checksum.
func TestSecretChecksumCatchesTypos(t *testing.T) {
	secret := lifecycle.NewSecretKey()
	alphabet := "abcdefghijklmnopqrstuvwxyz234567"
	for i := len(lifecycle.SecretKeyPrefix); i < len(secret); i++ {
		for _, r := range alphabet {
			if byte(r) == secret[i] {
				continue
			}
			typo := secret[:i] + string(r) + secret[i+1:]
			if err := lifecycle.CheckSecretKey(typo); !errors.Is(err, lifecycle.ErrMalformedKey) {
				t.Fatalf("typo at %d (%c) accepted", i, r)
			}
		}
	}
	// Swapping two neighbouring characters is caught too.
	i := len(lifecycle.SecretKeyPrefix) + 10
	if secret[i] != secret[i+1] {
		swapped := secret[:i] + string(secret[i+1]) + string(secret[i]) + secret[i+2:]
		if lifecycle.CheckSecretKey(swapped) == nil {
			t.Fatal("transposition accepted")
		}
	}
}

func TestMalformedKeysRejected(t *testing.T) {
	secret := lifecycle.NewSecretKey()
	access := lifecycle.NewAccessKey()
	for _, k := range []string{"", "ESPAK", access + "A", access[:len(access)-1], "espak" + access[5:],
		access[:10] + "1" + access[11:], access[:10] + "a" + access[11:]} {
		if lifecycle.CheckAccessKey(k) == nil {
			t.Errorf("CheckAccessKey(%q) accepted", k)
		}
	}
	for _, k := range []string{"", "espsk_", secret + "a", secret[:len(secret)-1], "ESPSK_" + secret[6:],
		secret[:20] + "1" + secret[21:], secret[:20] + "A" + secret[21:], access} {
		if lifecycle.CheckSecretKey(k) == nil {
			t.Errorf("CheckSecretKey(%q) accepted", k)
		}
	}
}

func TestSecretMatchesOnlyItsHash(t *testing.T) {
	a, b := lifecycle.NewSecretKey(), lifecycle.NewSecretKey()
	h := lifecycle.HashSecret(a)
	if len(h) != 32 {
		t.Fatalf("hash length=%d, want 32 (SHA-256)", len(h))
	}
	if !lifecycle.SecretMatches(a, h) {
		t.Fatal("secret does not match its own hash")
	}
	if lifecycle.SecretMatches(b, h) {
		t.Fatal("another secret matches")
	}
}

func TestMaskShowsLast4(t *testing.T) {
	k := lifecycle.NewAccessKey()
	if got, want := lifecycle.Mask(lifecycle.Last4(k)), "••••••••"+k[len(k)-4:]; got != want {
		t.Fatalf("Mask=%q, want %q", got, want)
	}
	if got := lifecycle.Mask(""); got != "" {
		t.Fatalf("Mask(\"\")=%q, want empty", got)
	}
}

func BenchmarkCheckSecretKey(b *testing.B) {
	k := lifecycle.NewSecretKey()
	for b.Loop() {
		if lifecycle.CheckSecretKey(k) != nil {
			b.Fatal("rejected")
		}
	}
}
