package lifecycle

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
)

// AllowList is a tenant's allowed addresses: the ranges its API
// credentials may be used from, normalised (host bits masked, an IPv4
// address as IPv4 even when written IPv4-mapped, no duplicates), in the
// order the admin wrote them. Empty allows any address.
type AllowList []netip.Prefix

// MaxAllowedAddresses is how many entries a tenant's list may hold.
const MaxAllowedAddresses = 100

// AuditAllowedAddresses is the audit event of a change of a tenant's
// allowed addresses; the row's detail is the new list (AllowList.Detail).
const AuditAllowedAddresses AuditEvent = "allowed_addresses"

// ReasonIPNotAllowed names the refusal of a caller outside its tenant's
// allowed addresses, for the API's error envelope.
const ReasonIPNotAllowed = "ip_not_allowed"

// ParseAllowList reads an admin's list: one IPv4 or IPv6 address or CIDR
// range a line; blank lines and surrounding spaces are ignored. A line
// that is none of these, or that carries a zone (fe80::1%eth0: a zone
// means nothing beyond the host that wrote it), is refused with its line
// number, as is a list of more than MaxAllowedAddresses distinct entries.
func ParseAllowList(text string) (AllowList, error) {
	var out AllowList
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		p, err := parseAllowed(line)
		if err != nil {
			return nil, Errorf(Invalid, "Line %d: %s", i+1, err)
		}
		if slices.Contains(out, p) {
			continue
		}
		if len(out) == MaxAllowedAddresses {
			return nil, Errorf(Invalid, "Line %d: at most %d addresses or ranges are allowed.", i+1, MaxAllowedAddresses)
		}
		out = append(out, p)
	}
	return out, nil
}

// parseAllowed is one line of a list as a normalised prefix: a single
// address is a /32 or /128, an IPv4-mapped IPv6 address or range (one of
// ::ffff:0:0/96) is its IPv4 twin, and host bits are masked off.
func parseAllowed(s string) (netip.Prefix, error) {
	bad := fmt.Errorf("%q is not an IPv4 or IPv6 address or CIDR range (such as 203.0.113.9, 203.0.113.0/24 or 2001:db8::/32).", s)
	if strings.Contains(s, "%") {
		return netip.Prefix{}, fmt.Errorf("%q carries a zone (the part after %%), which means nothing outside its own host: leave it out.", s)
	}
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return netip.Prefix{}, bad
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, bad
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// String is the list as the page shows it back: one entry a line.
func (l AllowList) String() string {
	lines := make([]string, len(l))
	for i, p := range l {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Detail is the list as the history and the notices tell it.
func (l AllowList) Detail() string {
	if len(l) == 0 {
		return "any address"
	}
	return strings.ReplaceAll(l.String(), "\n", ", ")
}

// Allows reports whether a may use the tenant's credentials: any address
// when the list is empty; otherwise only one inside an entry (an unknown
// address is in none).
func (l AllowList) Allows(a netip.Addr) bool {
	if len(l) == 0 {
		return true
	}
	a = a.Unmap()
	for _, p := range l {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// check refuses a caller outside the list, naming its address as ESP sees
// it, so that a client's developer can ask for exactly that to be added.
func (l AllowList) check(from Caller) error {
	if l.Allows(from.Addr) {
		return nil
	}
	addr := "an unknown address"
	if from.Addr.IsValid() {
		addr = from.Addr.Unmap().String()
	}
	return &Error{Code: Forbidden, Reason: ReasonIPNotAllowed,
		Message: fmt.Sprintf("Requests from %s are not allowed for this tenant's API credentials: ask an ESP admin of the tenant to add %s to its allowed addresses.", addr, addr)}
}

// StoredAllowLists turns the lists as the store keeps them (AllowList.String)
// back into AllowLists, parsing each distinct text once: the lookups
// behind every API request hand it the same text until the list changes.
// A stored text that does not parse (never written by ESP) allows no
// address at all: the check fails closed.
type StoredAllowLists struct {
	mu     sync.Mutex
	parsed map[string]AllowList
}

// maxStoredAllowLists bounds the lists kept parsed; when full, they are
// forgotten and parsed again as they come.
const maxStoredAllowLists = 1024

// denyAll is a list no address is inside: the zero Prefix contains none.
var denyAll = AllowList{netip.Prefix{}}

// Parse is the AllowList of text as stored.
func (s *StoredAllowLists) Parse(text string) AllowList {
	if text == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.parsed[text]; ok {
		return l
	}
	l, err := ParseAllowList(text)
	if err != nil || len(l) == 0 {
		l = denyAll
	}
	if s.parsed == nil || len(s.parsed) >= maxStoredAllowLists {
		s.parsed = make(map[string]AllowList)
	}
	s.parsed[text] = l
	return l
}

// AddressStore is the storage of a tenant's allowed addresses and of the
// uses of its credentials.
type AddressStore interface {
	// AllowedIPs is the tenant's list as stored ("" for any address).
	AllowedIPs(ctx context.Context, tenantID int64) (string, error)
	// SetAllowedIPs stores list as e's tenant's list and, when that
	// changed it, writes e (with its notices) in the same transaction; it
	// reports whether it changed the list.
	SetAllowedIPs(ctx context.Context, list string, e AuditEntry) (bool, error)
	// RecentUses lists up to limit of the latest uses of the credential,
	// one per address, newest first.
	RecentUses(ctx context.Context, credentialID int64, limit int) ([]CredentialUse, error)
}

// AllowedAddresses is the tenant's list of allowed addresses.
func (s *Service) AllowedAddresses(ctx context.Context, tenantID int64) (AllowList, error) {
	text, err := s.store.AllowedIPs(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	return ParseAllowList(text)
}

// SetAllowedAddresses replaces the tenant's list with the one text gives
// (ParseAllowList; a bad line changes nothing). A list that differs from
// the stored one is a history event of actor with its notices, whoever
// saves at the same moment: the last save wins, and each change is
// recorded once. It returns the list now in force.
func (s *Service) SetAllowedAddresses(ctx context.Context, tenantID int64, actor, text string) (AllowList, error) {
	l, err := ParseAllowList(text)
	if err != nil {
		return nil, err
	}
	e := AuditEntry{At: s.now().UTC(), TenantID: tenantID, Actor: actor, Action: AuditAllowedAddresses, Detail: l.Detail()}
	if _, err := s.store.SetAllowedIPs(ctx, l.String(), e); err != nil {
		return nil, err
	}
	return l, nil
}
