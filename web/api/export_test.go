package api

import (
	"context"

	"esp/lifecycle"
	"esp/store"
)

// OnKeyLookup makes h call f before each access-key lookup of the token
// exchange, so that tests can count the database lookups.
func (h *Handlers) OnKeyLookup(f func()) {
	h.tokens = lifecycle.NewTokens(countedLookups{h.store, f}, h.now, h.tokenTTL)
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
