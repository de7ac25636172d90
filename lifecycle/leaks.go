package lifecycle

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"time"
)

// Leak reports: a secret scanner (GitHub's) tells ESP that a secret key or
// a bearer token was found in public. The credential it belongs to is
// deactivated at once, as an admin's Deactivate does, and the report is
// kept in the history.

// The regular expressions ESP registers with secret scanners: a secret
// key (whose checksum CheckSecretKey then verifies) and a bearer token.
const (
	SecretKeyPattern = `\bespsk_[a-z2-7]{59}\b`
	TokenPattern     = `\besptk_[A-Za-z0-9_-]{43}`
)

// AuditReportLeak is the audit event of a leak report; the row's detail
// is the address where the token was found.
const AuditReportLeak AuditEvent = "report_leak"

// SecretScanningActor is the audit actor of a leak report and of the
// deactivation it makes.
const SecretScanningActor = "secret-scanning"

// maxLeakURL bounds the address a report keeps: a scanner's links are
// short, and the history shows it whole.
const maxLeakURL = 2048

// LeakedCredential is the credential a reported token belongs to.
type LeakedCredential struct {
	CredentialID int64
	TenantID     int64
	AccessLast4  string
}

// LeakReport is one reported token as the store keeps it: by its hash.
type LeakReport struct {
	TokenHash    []byte
	CredentialID int64
	TenantID     int64
	At           time.Time
	URL          string
}

// LeakStore is the storage leak reports need.
type LeakStore interface {
	// LeakedCredential finds the credential, current or past, whose secret
	// key has the hash, or whose id is credentialID (that of a token whose
	// signature was verified; 0 for a secret key), or that a report of the
	// same hash named before; ErrNotFound when none has.
	LeakedCredential(ctx context.Context, hash []byte, credentialID int64) (LeakedCredential, error)
	// TokenKeys are the keys that sign tokens (TokenKeyStore's).
	TokenKeys(ctx context.Context) ([]TokenKey, error)
	// ReportLeak records r in one transaction with its audit row a and the
	// conditional write w, unless r's token was reported for its
	// credential before: then it changes nothing and reports false.
	ReportLeak(ctx context.Context, r LeakReport, a AuditEntry, w CredentialWrite) (first bool, err error)
}

// Leaks acts on leak reports.
type Leaks struct {
	store LeakStore
	now   func() time.Time
	cfg   Config
}

// NewLeaks returns Leaks over st; now is the clock (time.Now in production).
func NewLeaks(st LeakStore, now func() time.Time, cfg Config) *Leaks {
	return &Leaks{store: st, now: now, cfg: cfg.withDefaults()}
}

// TokenHash is the SHA-256 of a reported token, as scanners name it back.
func TokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Report acts on one reported token found at url. ours says whether the
// token is or was an ESP secret key or bearer token: a bearer token is
// ours when a kept key signed it, expired or not, and whether or not its
// credential is still there. The first report of a token of a credential
// that Deactivate applies to deactivates it, with the events "Reported
// leaked" and "Deactivation requested" (an expired token too: whoever
// leaked it may have leaked its keys); the first of a credential no longer
// live records "Reported leaked" only; any later one changes nothing.
func (l *Leaks) Report(ctx context.Context, token, url string) (ours bool, err error) {
	credentialID, ours, err := l.tokenCredential(ctx, token)
	if err != nil || !ours {
		return false, err
	}
	hash := TokenHash(token)
	c, err := l.store.LeakedCredential(ctx, hash, credentialID)
	if errors.Is(err, ErrNotFound) {
		// A signed token of a credential whose every trace is gone: ours,
		// with nothing left to record it against.
		return credentialID != 0, nil
	}
	if err != nil {
		return false, err
	}
	now := l.now().UTC()
	url = leakURL(url)
	audit := AuditEntry{At: now, TenantID: c.TenantID, CredentialID: c.CredentialID, AccessLast4: c.AccessLast4,
		Actor: SecretScanningActor, Action: AuditReportLeak, Detail: url}
	_, err = l.store.ReportLeak(ctx, LeakReport{TokenHash: hash, CredentialID: c.CredentialID, TenantID: c.TenantID, At: now, URL: url},
		audit, deactivation().write(c.CredentialID, OnDeactivate.From(), now, l.cfg, SecretScanningActor, ""))
	if err != nil {
		return false, err
	}
	return true, nil
}

// tokenCredential tells whether token could be ours: a well-formed secret
// key (credentialID 0: the store finds it by its hash), or a bearer token
// signed by a kept key (the credential it names). A string of neither
// format was never ours, and costs no database call.
func (l *Leaks) tokenCredential(ctx context.Context, token string) (credentialID int64, ours bool, err error) {
	if CheckSecretKey(token) == nil {
		return 0, true, nil
	}
	claims, b, ok := parseToken(token)
	if !ok {
		return 0, false, nil
	}
	keys, err := l.store.TokenKeys(ctx)
	if err != nil {
		return 0, false, err
	}
	ring := keyRing{keys: keys}
	return claims.credentialID, ring.knows(b), nil
}

// deactivation is the transition of Deactivate, the same from every
// status it applies to.
func deactivation() Transition {
	tr, _ := OnDeactivate.From()[0].On(OnDeactivate)
	return tr
}

// leakURL is the report's address as kept: valid UTF-8, bounded.
func leakURL(u string) string {
	u = strings.ToValidUTF8(u, "\uFFFD")
	if len(u) > maxLeakURL {
		u = strings.ToValidUTF8(u[:maxLeakURL], "")
	}
	return u
}
