package web

// adminRoutes registers the login, the pages and the API Credentials window.
func (s *Server) adminRoutes() {}
