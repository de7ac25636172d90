package lifecycle

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// KeyReload is how long a server uses the token keys it read before it
// reads them again (at its next exchange, or at a bearer request naming a
// key it does not know): a rotation is seen everywhere within it.
const KeyReload = time.Minute

// KeyPublish is how long after a rotation the new key starts signing:
// more than KeyReload, so that every server verifies its tokens before
// any is made.
const KeyPublish = 2 * KeyReload

// TokenKeyStore keeps the keys that sign tokens.
type TokenKeyStore interface {
	// TokenKeys returns every kept key, oldest (lowest id) first.
	TokenKeys(ctx context.Context) ([]TokenKey, error)
	// FirstTokenKey keeps k unless a key is kept already; servers starting
	// together on an empty database keep exactly one.
	FirstTokenKey(ctx context.Context, k TokenKey) error
	// AddTokenKey keeps k with the id after the newest kept key's (k.ID is
	// ignored) and returns it as kept.
	AddTokenKey(ctx context.Context, k TokenKey) (TokenKey, error)
}

// RotateTokenKey adds a new token key that signs from KeyPublish after
// now; the current key keeps verifying its tokens until they expire. On a
// database without keys (no server started on it yet) it keeps the first
// one, which signs at once.
func RotateTokenKey(ctx context.Context, st TokenKeyStore, now time.Time) (TokenKey, error) {
	keys, err := st.TokenKeys(ctx)
	if err == nil && len(keys) == 0 {
		if err = st.FirstTokenKey(ctx, newTokenKey(1, time.Unix(0, 0))); err == nil {
			keys, err = st.TokenKeys(ctx)
		}
		if err == nil && len(keys) > 0 {
			return keys[len(keys)-1], nil
		}
	}
	if err != nil {
		return TokenKey{}, fmt.Errorf("rotate token key: %w", err)
	}
	k, err := st.AddTokenKey(ctx, newTokenKey(0, now.Add(KeyPublish)))
	if err != nil {
		return TokenKey{}, fmt.Errorf("rotate token key: %w", err)
	}
	return k, nil
}

// keyRing is the token keys as a server last read them.
type keyRing struct {
	keys   []TokenKey // oldest first
	readAt time.Time
}

// signing is the key that signs tokens at now: the newest whose SignsFrom
// has come.
func (r *keyRing) signing(now time.Time) (TokenKey, bool) {
	for i := len(r.keys) - 1; i >= 0; i-- {
		if !r.keys[i].SignsFrom.After(now) {
			return r.keys[i], true
		}
	}
	return TokenKey{}, false
}

// verifying is the key whose id ends in id, if it verifies tokens at now:
// unless its successor has signed for a token lifetime ttl already (every
// token it signed has expired by then).
func (r *keyRing) verifying(id byte, now time.Time, ttl time.Duration) (TokenKey, bool) {
	for i := len(r.keys) - 1; i >= 0; i-- {
		if byte(r.keys[i].ID) != id {
			continue
		}
		if i+1 < len(r.keys) && !r.keys[i+1].SignsFrom.Add(ttl).After(now) {
			return TokenKey{}, false
		}
		return r.keys[i], true
	}
	return TokenKey{}, false
}

// knows reports whether b was signed by any kept key, retired or not.
func (r *keyRing) knows(b []byte) bool {
	return slices.ContainsFunc(r.keys, func(k TokenKey) bool { return signedBy(b, k) })
}

// keyCache reads the token keys from the store and keeps them for
// KeyReload.
type keyCache struct {
	store TokenKeyStore
	ring  atomic.Pointer[keyRing]
	mu    sync.Mutex // held while reading, so that one caller reads at a time
}

// get returns the keys, reading them when none were read yet, or when
// reload is set and they were read KeyReload or more before now. The first
// read keeps a first key when the database has none.
func (c *keyCache) get(ctx context.Context, now time.Time, reload bool) (*keyRing, error) {
	fresh := func(r *keyRing) bool {
		return r != nil && (!reload || now.Sub(r.readAt) < KeyReload && !now.Before(r.readAt))
	}
	if r := c.ring.Load(); fresh(r) {
		return r, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if r := c.ring.Load(); fresh(r) {
		return r, nil // read meanwhile by another caller
	}
	keys, err := c.store.TokenKeys(ctx)
	if err == nil && len(keys) == 0 {
		// The first key signs from the start of time: a server whose clock
		// is behind the one that kept it signs with it too.
		if err = c.store.FirstTokenKey(ctx, newTokenKey(1, time.Unix(0, 0))); err == nil {
			keys, err = c.store.TokenKeys(ctx)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("token keys: %w", err)
	}
	r := &keyRing{keys: keys, readAt: now}
	c.ring.Store(r)
	return r, nil
}
