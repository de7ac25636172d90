package admin

import (
	"sync"
	"time"
)

// verifiedCookies remembers, for a short while, the values of cookies this
// server has already verified and decoded, by their exact text. Decoding a
// cookie (HMAC check, AES decryption, a fresh encoding/gob decoder) was a
// fifth of an admin request's CPU in `make bench` row 1's profile, for the
// same few cookies over and over. Only cookies that passed verification
// are remembered, keyed by their whole text (MAC included), so a hit is a
// cookie verified before; entries expire after verifiedCookieTTL, so a
// cookie outlives its own signed age limit by at most that. Whether the
// session behind a cookie is still valid is decided by the database on
// every request, as before.
type verifiedCookies struct {
	mu sync.Mutex
	m  map[string]verifiedCookie
}

type verifiedCookie struct {
	values map[any]any // shared by every reader: never modified
	at     time.Time
}

const (
	verifiedCookieTTL  = time.Minute
	maxVerifiedCookies = 4096
)

func newVerifiedCookies() *verifiedCookies {
	return &verifiedCookies{m: make(map[string]verifiedCookie)}
}

func (v *verifiedCookies) get(key string, now time.Time) (map[any]any, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	e, ok := v.m[key]
	if !ok {
		return nil, false
	}
	if now.Sub(e.at) >= verifiedCookieTTL || now.Before(e.at) {
		delete(v.m, key)
		return nil, false
	}
	return e.values, true
}

func (v *verifiedCookies) put(key string, values map[any]any, now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.m) >= maxVerifiedCookies {
		clear(v.m) // simpler than an LRU; the next requests decode again
	}
	v.m[key] = verifiedCookie{values: values, at: now}
}
