package lifecycle

import (
	"context"
	"errors"
	"net/netip"
	"time"
)

// LastUsedEvery is how often at most a credential's last use is written:
// busy clients do not queue on the database writer.
const LastUsedEvery = time.Minute

// TokenStore is the storage the token exchange and authentication need.
type TokenStore interface {
	AccessKeyGrant(ctx context.Context, accessKey string) (AccessKeyGrant, error)
	// TokenGrant reads a credential with its tenant's flag, by the
	// credential's id; ErrNotFound when it is gone (purged).
	TokenGrant(ctx context.Context, credentialID int64) (TokenGrant, error)
	// RecordUse writes u unless a use of its credential from its address
	// was written less than every before; it reports whether it wrote.
	RecordUse(ctx context.Context, u CredentialUse, every time.Duration) (bool, error)
	TokenKeyStore
}

// Tokens exchanges API credentials for bearer tokens and authenticates
// the tokens. A token is signed, not stored (see token.go): an exchange
// reads the access key's grant and writes nothing but, at most once a
// minute, the credential's last use.
type Tokens struct {
	store TokenStore
	keys  keyCache
	now   func() time.Time
	ttl   time.Duration
	uses  recentUses // the uses this process wrote lately (uses.go)
}

// NewTokens returns Tokens over st whose tokens live for ttl; now is the
// clock (time.Now in production). The signing keys are read from st at
// the first exchange or bearer request (LoadKeys reads them earlier).
func NewTokens(st TokenStore, now func() time.Time, ttl time.Duration) *Tokens {
	return &Tokens{store: st, keys: keyCache{store: st}, now: now, ttl: ttl}
}

// LoadKeys reads the token keys, keeping a first one when the database
// has none, so that a starting server fails early when it cannot.
func (t *Tokens) LoadKeys(ctx context.Context) error {
	_, err := t.keys.get(ctx, t.now(), true)
	return err
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
	token, expires, err := t.sign(ctx, grant.CredentialID, now, ttl)
	if err != nil {
		return IssuedToken{}, err
	}
	if err := t.touch(ctx, useOf(grant.CredentialID, from, now)); err != nil {
		return IssuedToken{}, err
	}
	return IssuedToken{Token: token, ExpiresIn: expires.Sub(now), CredentialExpires: grant.CredentialExpiresAt}, nil
}

// sign makes a token of the credential that expires ttl after now,
// rounded up to the second (the token keeps whole seconds, and expires_in
// counts them; a credential's expiry, which bounds ttl, is a whole second).
func (t *Tokens) sign(ctx context.Context, credentialID int64, now time.Time, ttl time.Duration) (string, time.Time, error) {
	if credentialID <= 0 || credentialID > maxTokenCredentialID {
		return "", time.Time{}, Errorf(Internal, "Credential id %d does not fit in a token.", credentialID)
	}
	ring, err := t.keys.get(ctx, now, true)
	if err != nil {
		return "", time.Time{}, err
	}
	key, ok := ring.signing(now)
	if !ok {
		return "", time.Time{}, Errorf(Internal, "No token key signs at %s.", now.Format(time.RFC3339))
	}
	expires := now.Add(ttl)
	if whole := expires.Truncate(time.Second); whole.Before(expires) {
		expires = whole.Add(time.Second)
	}
	return signToken(key, credentialID, expires), expires, nil
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

// Authenticate returns the tenant a bearer token acts for. The token's
// format, signature and expiry are checked first, without the database;
// then every call reads its credential's status and its tenant's feature
// flag, so that deactivating or purging the credential or turning the
// feature off refuses the very next request.
func (t *Tokens) Authenticate(ctx context.Context, token string, from Caller) (Bearer, error) {
	now := t.now()
	claims, err := t.verify(ctx, token, now)
	if err != nil {
		return Bearer{}, err
	}
	g, err := t.store.TokenGrant(ctx, claims.credentialID)
	if errors.Is(err, ErrNotFound) {
		return Bearer{}, ErrTokenRevoked
	}
	if err != nil {
		return Bearer{}, err
	}
	switch {
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

// verify checks a token's format, signature and expiry at now. It reads
// the keys only when they were never read, or when the token names a key
// this server does not know and its keys are KeyReload old: at most one
// read a minute, whatever tokens arrive.
func (t *Tokens) verify(ctx context.Context, token string, now time.Time) (tokenClaims, error) {
	claims, b, ok := parseToken(token)
	if !ok {
		return tokenClaims{}, ErrTokenInvalid
	}
	ring, err := t.keys.get(ctx, now, false)
	if err != nil {
		return tokenClaims{}, err
	}
	key, known := ring.verifying(claims.keyID, now, t.ttl)
	if !known {
		if ring, err = t.keys.get(ctx, now, true); err != nil {
			return tokenClaims{}, err
		}
		key, known = ring.verifying(claims.keyID, now, t.ttl)
	}
	switch {
	case !known || !signedBy(b, key):
		return tokenClaims{}, ErrTokenInvalid
	case !claims.expires.After(now):
		return tokenClaims{}, ErrTokenExpired
	}
	return claims, nil
}
