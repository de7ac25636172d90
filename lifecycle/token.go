package lifecycle

import "time"

// Token is a bearer token of the public API, known only by its SHA-256.
type Token struct {
	Hash         []byte
	CredentialID int64
	TenantID     int64
	CreatedAt    time.Time
	ExpiresAt    time.Time
}

// TokenGrant is what a token is worth right now: the token, its
// credential's current status and last use, and whether its tenant's public
// API feature is still on.
type TokenGrant struct {
	Token
	CredentialStatus Status
	LastUsedAt       time.Time
	PublicAPI        bool
	// AllowedIPs are the tenant's allowed addresses, parsed once per
	// change of the list (StoredAllowLists).
	AllowedIPs AllowList
	// CredentialExpiresAt is when the credential expires; zero: never.
	CredentialExpiresAt time.Time
}

// AccessKeyGrant is what a token exchange needs to know of an access key: its
// credential and whether the tenant's public API is on.
type AccessKeyGrant struct {
	CredentialID int64
	TenantID     int64
	Status       Status
	SecretHash   []byte
	LastUsedAt   time.Time
	PublicAPI    bool
	// AllowedIPs are the tenant's allowed addresses (see TokenGrant).
	AllowedIPs AllowList
	// CredentialExpiresAt is when the credential expires; zero: never.
	CredentialExpiresAt time.Time
}
