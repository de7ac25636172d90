package lifecycle

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"time"
	"unicode"
)

// CredentialUse is the latest use of a credential from one address: a
// token exchange or a bearer request.
type CredentialUse struct {
	CredentialID int64
	Addr         netip.Addr // the invalid Addr when ESP could not tell
	Client       string     // the caller's User-Agent, shortened (ShortUserAgent)
	At           time.Time
}

// MaxUserAgent is how many characters of a User-Agent a use keeps.
const MaxUserAgent = 100

// RecentAddresses is how many addresses the window lists of the current
// credential's latest uses.
const RecentAddresses = 5

// ShortUserAgent is ua as a use keeps it: valid UTF-8, without control
// or format characters (a header cannot rewrite the window's text or a
// log's lines), at most MaxUserAgent characters.
func ShortUserAgent(ua string) string {
	ua = strings.ToValidUTF8(ua, "\uFFFD")
	var b strings.Builder
	n := 0
	for _, r := range ua {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			continue
		}
		if n == MaxUserAgent {
			break
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}

// useOf is the use from caller of the credential at now.
func useOf(credentialID int64, from Caller, now time.Time) CredentialUse {
	return CredentialUse{CredentialID: credentialID, Addr: from.Addr.Unmap(), Client: ShortUserAgent(from.UserAgent), At: now}
}

// recentUses remembers, for this process, when it last recorded a use of
// each credential from each address, so that a busy client costs one
// write a period per address rather than one per request. The database's
// write is conditional too, so several processes together still write at
// most once a period per credential and address.
type recentUses struct {
	mu   sync.Mutex
	last map[useKey]time.Time
}

type useKey struct {
	credentialID int64
	addr         netip.Addr
}

// maxRecentUses bounds the uses remembered; when full they are forgotten,
// which costs at most one more conditional write each.
const maxRecentUses = 8192

// due reports whether a use of u.CredentialID from u.Addr at u.At should
// be written: none was written by this process within every before.
func (r *recentUses) due(u CredentialUse, every time.Duration) bool {
	k := useKey{u.CredentialID, u.Addr}
	r.mu.Lock()
	defer r.mu.Unlock()
	last, ok := r.last[k]
	return !ok || u.At.Sub(last) >= every || u.At.Before(last)
}

// written records that u was written (or found written by another).
func (r *recentUses) written(u CredentialUse) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil || len(r.last) >= maxRecentUses {
		r.last = make(map[useKey]time.Time)
	}
	r.last[useKey{u.CredentialID, u.Addr}] = u.At
}

// usesMemo keeps each credential's recent uses with the last use of the
// credential they were read at. Every recorded use moves the credential's
// last use (the store does it in the same statement), so while the last
// use a caller sees is the same, so are the recent uses: the window reads
// them from the database only after a new use.
type usesMemo struct {
	mu sync.Mutex
	m  map[int64]usesEntry
}

type usesEntry struct {
	lastUsed time.Time
	uses     []CredentialUse
}

// maxMemoUses bounds the credentials remembered; when full they are
// forgotten, and read again as they come.
const maxMemoUses = 4096

func (m *usesMemo) get(id int64, lastUsed time.Time) ([]CredentialUse, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.m[id]
	return e.uses, ok && e.lastUsed.Equal(lastUsed)
}

func (m *usesMemo) put(id int64, lastUsed time.Time, uses []CredentialUse) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil || len(m.m) >= maxMemoUses {
		m.m = make(map[int64]usesEntry)
	}
	m.m[id] = usesEntry{lastUsed: lastUsed, uses: uses}
}

// recentUses are the latest uses of c, one per address, newest first: from
// the memo while c's last use is the one they were read at.
func (s *Service) recentUses(ctx context.Context, c Credential) ([]CredentialUse, error) {
	if uses, ok := s.uses.get(c.ID, c.LastUsedAt); ok {
		return uses, nil
	}
	uses, err := s.store.RecentUses(ctx, c.ID, RecentAddresses)
	if err != nil {
		return nil, err
	}
	s.uses.put(c.ID, c.LastUsedAt, uses)
	return uses, nil
}
