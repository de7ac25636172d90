package web

// apiState is what the public API keeps between requests.
type apiState struct{}

func (s *Server) initAPI() error { return nil }

// apiRoutes registers the public API under /api/v1.
func (s *Server) apiRoutes() {}
