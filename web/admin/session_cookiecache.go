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
//
// What it buys: without it (readCookie decoding every cookie), `make bench`
// row 1 fell by 28 % (ratio 0.400× → 0.288× of GET /healthz, median of 5
// alternating pairs on 2 busy cores, every pair between -18 % and -32 %);
// rows 2, 3 and 9 did not change beyond noise. To re-measure, build esp
// from HEAD and once more with readCookie skipping get and put, then run
// each binary in turn, at least 3 times each,
//
//	go run ./cmd/espbench -esp BIN -rows 50000 -creds 20000 -due 1000 -ticks 50 -dur 4s -mixed 20s -out OUT.json
//
// and compare the medians of row 1's ratio.
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
