package lifecycle

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"hash/crc32"
	"strings"
)

// Key format.
//
// Access key: "ESPAK" followed by 24 characters of base32 (A-Z, 2-7) encoding
// 15 random bytes, 29 characters in all, e.g. ESPAKMZXW6YTBOI4DQNRXGQ2DAMBS.
//
// Secret key: "espsk_" followed by 52 characters of lower-case base32
// encoding 32 random bytes (256 bits from crypto/rand) and 7 characters of
// lower-case base32 encoding the big-endian CRC-32 (IEEE) of those 52
// characters, 65 characters in all. The prefixes let secret scanners find
// leaked keys; the checksum rejects a mistyped secret without a database call.
const (
	AccessKeyPrefix = "ESPAK"
	SecretKeyPrefix = "espsk_"
	accessKeyLen    = len(AccessKeyPrefix) + 24
	secretBodyLen   = 52
	secretSumLen    = 7
	secretKeyLen    = len(SecretKeyPrefix) + secretBodyLen + secretSumLen
)

// ErrMalformedKey means a key does not have the documented format.
var ErrMalformedKey = &Error{Code: Invalid, Message: "The key does not have the documented format."}

var (
	upperB32 = base32.StdEncoding.WithPadding(base32.NoPadding)
	lowerB32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)
)

// NewAccessKey returns a fresh random access key.
func NewAccessKey() string {
	b := make([]byte, 15)
	rand.Read(b)
	return AccessKeyPrefix + upperB32.EncodeToString(b)
}

// NewSecretKey returns a fresh random secret key with its checksum.
func NewSecretKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	body := lowerB32.EncodeToString(b)
	return SecretKeyPrefix + body + secretChecksum(body)
}

func secretChecksum(body string) string {
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], crc32.ChecksumIEEE([]byte(body)))
	return lowerB32.EncodeToString(sum[:])
}

// CheckAccessKey reports ErrMalformedKey unless k has the access key format.
func CheckAccessKey(k string) error {
	if len(k) != accessKeyLen || !strings.HasPrefix(k, AccessKeyPrefix) {
		return ErrMalformedKey
	}
	if _, err := upperB32.DecodeString(k[len(AccessKeyPrefix):]); err != nil {
		return ErrMalformedKey
	}
	return nil
}

// CheckSecretKey reports ErrMalformedKey unless k has the secret key format
// and a correct checksum.
func CheckSecretKey(k string) error {
	if len(k) != secretKeyLen || !strings.HasPrefix(k, SecretKeyPrefix) {
		return ErrMalformedKey
	}
	body := k[len(SecretKeyPrefix) : len(SecretKeyPrefix)+secretBodyLen]
	if _, err := lowerB32.DecodeString(body); err != nil {
		return ErrMalformedKey
	}
	if subtle.ConstantTimeCompare([]byte(secretChecksum(body)), []byte(k[len(k)-secretSumLen:])) != 1 {
		return ErrMalformedKey
	}
	return nil
}

// HashSecret is what the database keeps of a secret key: its SHA-256. A
// 256-bit random secret needs no salt or slow hash.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// SecretMatches compares a presented secret with a stored hash in constant time.
func SecretMatches(secret string, hash []byte) bool {
	return subtle.ConstantTimeCompare(HashSecret(secret), hash) == 1
}

// Last4 is the part of a key the window may show after Generate.
func Last4(k string) string {
	if len(k) <= 4 {
		return k
	}
	return k[len(k)-4:]
}

// Mask renders a stored last-4 the way the window shows it.
func Mask(last4 string) string {
	if last4 == "" {
		return ""
	}
	return "••••••••" + last4
}
