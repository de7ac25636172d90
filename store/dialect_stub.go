package store

// postgres reports whether the store is on PostgreSQL. (Until the
// PostgreSQL backend lands: never.)
func (s *Store) postgres() bool { return false }
