package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store"
	"esp/web/internal/webtest"
)

// A key that does not have the documented format is refused by its format
// alone, on both token routes, with the message that says which key and
// what the format is, and without any database lookup: not even for a
// real, Activated access key paired with a mistyped secret.
func TestMalformedKeysAreRefusedBeforeAnyLookup(t *testing.T) {
	env := webtest.NewEnv(t)
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	var lookups atomic.Int32
	env.API.UseTokens(lifecycle.NewTokens(countedLookups{env.Store, func() { lookups.Add(1) }}, env.Clock.Now, time.Hour))
	a, s := keys.AccessKey, keys.SecretKey
	const (
		badAccess = "The access key is not an ESP access key (ESPAK followed by 24 characters A-Z and 2-7)."
		badSecret = "The secret key is not an ESP secret key (espsk_..., 65 characters, with a checksum): check it was copied whole."
	)
	// other returns k with the character at i replaced by another one of
	// the same alphabet, so that only a checksum can tell.
	other := func(k string, i int, alphabet string) string {
		c := alphabet[0]
		if k[i] == c {
			c = alphabet[1]
		}
		return k[:i] + string(c) + k[i+1:]
	}
	const lowerB32 = "abcdefghijklmnopqrstuvwxyz234567"
	cases := []struct {
		name, access, secret, message string
	}{
		{"access key one short", a[:len(a)-1], s, badAccess},
		{"access key one long", a + "A", s, badAccess},
		{"access key lower case", strings.ToLower(a), s, badAccess},
		{"access key another prefix", "ESPAX" + a[5:], s, badAccess},
		{"access key with 1 (not base32)", a[:len(a)-1] + "1", s, badAccess},
		{"access key with padding", a[:len(a)-1] + "=", s, badAccess},
		{"access key is a secret", s, s, badAccess},
		{"both malformed", a[1:], s[1:], badAccess},
		{"secret one character mistyped", a, other(s, len(lifecycle.SecretKeyPrefix)+10, lowerB32), badSecret},
		{"secret checksum mistyped", a, other(s, len(s)-1, lowerB32), badSecret},
		{"secret one short", a, s[:len(s)-1], badSecret},
		{"secret one long", a, s + "a", badSecret},
		{"secret upper case", a, strings.ToUpper(s), badSecret},
		{"secret another prefix", a, "espsk-" + s[len(lifecycle.SecretKeyPrefix):], badSecret},
		{"secret is the access key", a, a, badSecret},
	}
	for _, c := range cases {
		if c.message == badSecret && lifecycle.CheckAccessKey(c.access) != nil ||
			c.message == badAccess && lifecycle.CheckAccessKey(c.access) == nil {
			t.Fatalf("%s: the case is built wrong", c.name)
		}
	}
	// Each request comes from its own address, so that the failed
	// authentication limit never answers in place of the exchange.
	var addr int
	send := func(req *http.Request) *http.Request {
		addr++
		req.RemoteAddr = fmt.Sprintf("198.51.100.%d:4000", addr)
		return req
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := lookups.Load()
			rec := env.Do(send(webtest.KeyRequest(c.access, c.secret)))
			webtest.MustAPIError(t, rec, http.StatusUnauthorized, "invalid_credentials")
			var body struct {
				Error struct{ Message string } `json:"error"`
			}
			json.Unmarshal(rec.Body.Bytes(), &body)
			if body.Error.Message != c.message {
				t.Errorf("JSON route: message %q, want %q", body.Error.Message, c.message)
			}
			for _, basic := range []bool{false, true} {
				rec := env.Do(send(webtest.OAuthRequest(c.access, c.secret, basic)))
				webtest.MustStatus(t, rec, http.StatusUnauthorized)
				var e struct {
					Error       string `json:"error"`
					Description string `json:"error_description"`
				}
				json.Unmarshal(rec.Body.Bytes(), &e)
				if e.Error != "invalid_client" || e.Description != c.message {
					t.Errorf("OAuth route (basic=%v): %s %q, want invalid_client %q", basic, e.Error, e.Description, c.message)
				}
			}
			if got := lookups.Load() - before; got != 0 {
				t.Errorf("%d access-key lookups, want none", got)
			}
		})
	}
	// The count is real: well-formed keys are looked up, once per exchange.
	before := lookups.Load()
	webtest.MustStatus(t, env.Do(send(webtest.KeyRequest(a, lifecycle.NewSecretKey()))), http.StatusUnauthorized)
	webtest.MustStatus(t, env.Do(send(webtest.OAuthRequest(a, s, true))), http.StatusOK)
	if got := lookups.Load() - before; got != 2 {
		t.Fatalf("well-formed keys: %d lookups, want 2", got)
	}
}

// countedLookups is the store, with f called before each access-key lookup.
type countedLookups struct {
	*store.Store
	f func()
}

func (s countedLookups) AccessKeyGrant(ctx context.Context, accessKey string) (lifecycle.AccessKeyGrant, error) {
	s.f()
	return s.Store.AccessKeyGrant(ctx, accessKey)
}
