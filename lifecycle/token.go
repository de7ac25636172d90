package lifecycle

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"time"
)

// Token format: "esptk_" followed by the unpadded base64url encoding of 32
// bytes, 49 characters in all (the prefix lets secret scanners recognise a
// leaked token). The bytes describe themselves and are signed, so that an
// exchange writes no row and a bearer request checks a token without the
// database:
//
//	[0]      the low byte of the id of the key that signed it
//	[1:7]    its credential's id, 48 bits big-endian (2.8·10^14 credentials)
//	[7:12]   its expiry, Unix seconds, 40 bits big-endian (until year 36812)
//	[12:16]  32 random bits: two tokens of one credential made in the same
//	         second differ
//	[16:32]  HMAC-SHA256 of "esptk_" and bytes [0:16] under the key,
//	         truncated to 128 bits
//
// 128 bits of MAC keep a forgery at one chance in 2^128 per attempt, as the
// 256-bit random tokens before them were at least as hard to guess as to
// look up. Only the current key and the keys still in their overlap verify
// (see TokenKey), a handful at a time, so one byte of key id never names two.
const (
	tokenPrefix = "esptk_"
	tokenLen    = len(tokenPrefix) + 43
	tokenBytes  = 32
	tokenMACLen = 16
	// maxTokenCredentialID is the largest credential id a token carries.
	maxTokenCredentialID = 1<<48 - 1
)

// tokenClaims is what a token says of itself.
type tokenClaims struct {
	keyID        byte
	credentialID int64
	expires      time.Time
}

// WellFormedToken reports whether t could be a token, without a database call.
func WellFormedToken(t string) bool {
	_, ok := decodeToken(t)
	return ok
}

func decodeToken(t string) ([]byte, bool) {
	if len(t) != tokenLen || !strings.HasPrefix(t, tokenPrefix) {
		return nil, false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(t[len(tokenPrefix):])
	return b, err == nil && len(b) == tokenBytes
}

// signToken makes the token of c under key.
func signToken(key TokenKey, credentialID int64, expires time.Time) string {
	var b [tokenBytes]byte
	b[0] = byte(key.ID)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(credentialID))
	copy(b[1:7], n[2:])
	binary.BigEndian.PutUint64(n[:], uint64(expires.Unix()))
	copy(b[7:12], n[3:])
	rand.Read(b[12:16])
	copy(b[16:], tokenMAC(key.Secret, b[:16]))
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// parseToken reads a well-formed token's claims and returns its bytes, for
// signedBy; it checks no signature.
func parseToken(t string) (tokenClaims, []byte, bool) {
	b, ok := decodeToken(t)
	if !ok {
		return tokenClaims{}, nil, false
	}
	var n [8]byte
	copy(n[2:], b[1:7])
	id := int64(binary.BigEndian.Uint64(n[:]))
	n = [8]byte{}
	copy(n[3:], b[7:12])
	exp := time.Unix(int64(binary.BigEndian.Uint64(n[:])), 0).UTC()
	return tokenClaims{keyID: b[0], credentialID: id, expires: exp}, b, true
}

// signedBy reports whether the token's bytes b carry key's MAC, in
// constant time.
func signedBy(b []byte, key TokenKey) bool {
	return byte(key.ID) == b[0] && hmac.Equal(b[16:], tokenMAC(key.Secret, b[:16]))
}

func tokenMAC(secret, payload []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(tokenPrefix))
	m.Write(payload)
	return m.Sum(nil)[:tokenMACLen]
}

// TokenKey is a key that signs bearer tokens, kept in the database and
// shared by every server on it. A new key signs from SignsFrom on, which a
// rotation sets KeyPublish ahead, so that every server knows it before any
// token it signs arrives; the key before it still verifies the tokens it
// signed until they expire (one token lifetime after SignsFrom of its
// successor).
type TokenKey struct {
	ID        int64
	Secret    []byte // 32 random bytes
	SignsFrom time.Time
}

// TokenKeyLen is the length of a token key's secret.
const TokenKeyLen = 32

// newTokenKey returns a new random key with id and signing from signsFrom.
func newTokenKey(id int64, signsFrom time.Time) TokenKey {
	k := TokenKey{ID: id, Secret: make([]byte, TokenKeyLen), SignsFrom: signsFrom.UTC()}
	rand.Read(k.Secret)
	return k
}

// TokenGrant is what a token's credential is worth right now: its current
// status and last use, its tenant, and whether the tenant's public API
// feature is still on.
type TokenGrant struct {
	CredentialID     int64
	TenantID         int64
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
