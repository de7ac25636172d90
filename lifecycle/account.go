package lifecycle

import "time"

// Tenant is one customer of ESP.
type Tenant struct {
	ID        int64
	Name      string
	PublicAPI bool
	CreatedAt time.Time
}

// User is a person who logs in to the web admin.
type User struct {
	ID           int64
	TenantID     int64
	Username     string
	PasswordHash string
	IsAdmin      bool
	Email        string // "" when the user has none
	CreatedAt    time.Time
}

// Session is one signed-in browser of the web admin. IDHash is the SHA-256
// of the random id the session cookie carries; the id itself is never stored.
type Session struct {
	IDHash     []byte
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
}
