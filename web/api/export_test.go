package api

// OnKeyLookup makes h call f before each access-key lookup of the token
// exchange, so that tests can count the database lookups.
func (h *Handlers) OnKeyLookup(f func()) { h.onKeyLookup = f }
