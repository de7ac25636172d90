package lifecycle

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/netip"
	"strings"
	"time"
)

// Token format: "esptk_" followed by the unpadded base64url encoding of 32
// bytes from crypto/rand (256 bits), 49 characters in all. The prefix lets
// secret scanners recognise a leaked token; the database keeps only its
// SHA-256.
const (
	tokenPrefix = "esptk_"
	tokenLen    = len(tokenPrefix) + 43
)

// LastUsedEvery is how often at most a credential's last use is written:
// busy clients do not queue on the database writer.
const LastUsedEvery = time.Minute

func newToken() (token string, hash []byte) {
	b := make([]byte, 32)
	rand.Read(b)
	token = tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// WellFormedToken reports whether t could be a token, without a database call.
func WellFormedToken(t string) bool {
	if len(t) != tokenLen || !strings.HasPrefix(t, tokenPrefix) {
		return false
	}
	_, err := base64.RawURLEncoding.Strict().DecodeString(t[len(tokenPrefix):])
	return err == nil
}

// TokenStore is the storage the token exchange and authentication need.
type TokenStore interface {
	AccessKeyGrant(ctx context.Context, accessKey string) (AccessKeyGrant, error)
	InsertToken(ctx context.Context, t Token) error
	TokenGrant(ctx context.Context, hash []byte) (TokenGrant, error)
	// RecordUse writes u unless a use of its credential from its address
	// was written less than every before; it reports whether it wrote.
	RecordUse(ctx context.Context, u CredentialUse, every time.Duration) (bool, error)
}

// Tokens exchanges API credentials for bearer tokens and authenticates
// the tokens.
type Tokens struct {
	store TokenStore
	now   func() time.Time
	ttl   time.Duration
	uses  recentUses // the uses this process wrote lately (uses.go)
}

// NewTokens returns Tokens over st whose tokens live for ttl; now is the
// clock (time.Now in production).
func NewTokens(st TokenStore, now func() time.Time, ttl time.Duration) *Tokens {
	return &Tokens{store: st, now: now, ttl: ttl}
}

// IssuedToken is a new bearer token and how long it lives.
type IssuedToken struct {
	Token     string
	ExpiresIn time.Duration
	// CredentialExpires is when the credential that got the token expires;
	// zero for a credential that does not.
	CredentialExpires time.Time
}

// Caller is who sends a token exchange or a bearer request: the client
// address as ESP sees it (after the trusted proxies) and its User-Agent.
// The zero Caller (no address) is a caller whose address is unknown.
type Caller struct {
	Addr      netip.Addr
	UserAgent string
}

// Bearer is what an authenticated bearer token acts for.
type Bearer struct {
	TenantID     int64
	CredentialID int64
	// CredentialExpires is when the token's credential expires; zero for
	// a credential that does not.
	CredentialExpires time.Time
}

// The refusals of a token exchange: Unauthorized for keys that do not get a
// token (a failed authentication), Forbidden for a tenant whose public API
// is off.
var (
	ErrKeysRejected = &Error{Code: Unauthorized, Message: "The access key and secret key do not match activated API credentials."}
	ErrFeatureOff   = &Error{Code: Forbidden, Message: "The public API feature is turned off for this tenant."}
)

// dummyHash keeps the time of a lookup for an unknown access key close to
// that of a wrong secret.
var dummyHash = HashSecret(SecretKeyPrefix)

// Exchange exchanges an access key and secret key for a new token. Only an
// Activated credential of a tenant whose public API is on gets one. The key
// formats are checked first, so a mistyped key costs no database call.
func (t *Tokens) Exchange(ctx context.Context, accessKey, secretKey string, from Caller) (IssuedToken, error) {
	if CheckAccessKey(accessKey) != nil {
		return IssuedToken{}, Errorf(Unauthorized, "The access key is not an ESP access key (%s followed by 24 characters A-Z and 2-7).", AccessKeyPrefix)
	}
	if CheckSecretKey(secretKey) != nil {
		return IssuedToken{}, Errorf(Unauthorized, "The secret key is not an ESP secret key (%s..., 65 characters, with a checksum): check it was copied whole.", SecretKeyPrefix)
	}
	grant, err := t.store.AccessKeyGrant(ctx, accessKey)
	if errors.Is(err, ErrNotFound) {
		SecretMatches(secretKey, dummyHash)
		return IssuedToken{}, ErrKeysRejected
	}
	if err != nil {
		return IssuedToken{}, err
	}
	if !SecretMatches(secretKey, grant.SecretHash) {
		return IssuedToken{}, ErrKeysRejected
	}
	if err := grant.AllowedIPs.check(from); err != nil {
		return IssuedToken{}, err
	}
	// The caller holds the real secret from here on: telling the status helps
	// and gives nothing away.
	if st := grant.Status; !st.Authenticates() {
		return IssuedToken{}, Errorf(Unauthorized, "These API credentials are %s; only Activated credentials get tokens.", st.Label())
	}
	now := t.now().UTC()
	if Expired(grant.CredentialExpiresAt, now) {
		return IssuedToken{}, errCredentialExpired(grant.CredentialExpiresAt)
	}
	if !grant.PublicAPI {
		return IssuedToken{}, ErrFeatureOff
	}
	ttl := tokenLifetime(t.ttl, now, grant.CredentialExpiresAt) // never past the credential's expiry
	token, hash := newToken()
	err = t.store.InsertToken(ctx, Token{Hash: hash, CredentialID: grant.CredentialID, TenantID: grant.TenantID,
		CreatedAt: now, ExpiresAt: now.Add(ttl)})
	if err != nil {
		return IssuedToken{}, err
	}
	if err := t.touch(ctx, useOf(grant.CredentialID, from, now)); err != nil {
		return IssuedToken{}, err
	}
	return IssuedToken{Token: token, ExpiresIn: ttl, CredentialExpires: grant.CredentialExpiresAt}, nil
}

// touch records a use of the credential, with its address and client,
// unless this process recorded one from that address lately: the write is
// conditional, and skipping it spares the database writer.
func (t *Tokens) touch(ctx context.Context, u CredentialUse) error {
	if !t.uses.due(u, LastUsedEvery) {
		return nil
	}
	if _, err := t.store.RecordUse(ctx, u, LastUsedEvery); err != nil {
		return err
	}
	t.uses.written(u)
	return nil
}

// The refusals of Authenticate besides ErrFeatureOff, all Unauthorized.
var (
	ErrTokenInvalid = &Error{Code: Unauthorized, Message: "The access token is not valid."}
	ErrTokenExpired = &Error{Code: Unauthorized, Message: "The access token has expired; exchange the keys for a new one."}
	ErrTokenRevoked = &Error{Code: Unauthorized, Message: "The access token was revoked: its API credentials are no longer activated."}
)

// Authenticate returns the tenant a bearer token acts for. Every call
// re-reads the token, its credential's status and its tenant's feature
// flag, so that deactivating the credential or turning the feature off
// refuses the very next request.
func (t *Tokens) Authenticate(ctx context.Context, token string, from Caller) (Bearer, error) {
	if !WellFormedToken(token) {
		return Bearer{}, ErrTokenInvalid
	}
	g, err := t.store.TokenGrant(ctx, hashToken(token))
	if errors.Is(err, ErrNotFound) {
		return Bearer{}, ErrTokenInvalid
	}
	if err != nil {
		return Bearer{}, err
	}
	now := t.now()
	switch {
	case Expired(g.CredentialExpiresAt, now): // before the token's own end, which it bounds: new tokens will not help
		return Bearer{}, errCredentialExpired(g.CredentialExpiresAt)
	case !g.ExpiresAt.After(now):
		return Bearer{}, ErrTokenExpired
	case !g.CredentialStatus.Authenticates():
		return Bearer{}, ErrTokenRevoked
	case !g.PublicAPI:
		return Bearer{}, ErrFeatureOff
	}
	if err := g.AllowedIPs.check(from); err != nil {
		return Bearer{}, err
	}
	if err := t.touch(ctx, useOf(g.CredentialID, from, now)); err != nil {
		return Bearer{}, err
	}
	return Bearer{TenantID: g.TenantID, CredentialID: g.CredentialID, CredentialExpires: g.CredentialExpiresAt}, nil
}
