package api

// UseTokens makes h exchange and authenticate tokens with t, so that tests
// can watch what the use case asks of its storage.
func (h *Handlers) UseTokens(t Tokens) { h.tokens = t }
