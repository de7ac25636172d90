package web

// apiRoutes registers the public API under /api/v1.
func (s *Server) apiRoutes() {}
