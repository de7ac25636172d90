package web

// adminState is what the admin pages keep between requests.
type adminState struct{}

func (s *Server) initAdmin() error { return nil }

// adminRoutes registers the login, the pages and the API Credentials window.
func (s *Server) adminRoutes() {}
