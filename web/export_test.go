package web

// OnKeyLookup makes s call f before each access-key lookup of the token
// exchange, so that tests can count the database lookups.
func OnKeyLookup(s *Server, f func()) { s.onKeyLookup = f }
