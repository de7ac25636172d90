package lifecycle_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"esp/lifecycle"
)

// A list is read one entry a line and shown back normalised: a single
// address is a /32 or /128, host bits are masked off, an IPv4-mapped IPv6
// address or range is its IPv4 twin, duplicates (after normalising) are
// dropped, blank lines and spaces are ignored, the order is kept.
func TestAllowListParsesAndNormalises(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"\n  \n", ""},
		{"203.0.113.9", "203.0.113.9/32"},
		{" 203.0.113.77/24 ", "203.0.113.0/24"},
		{"2001:db8::1", "2001:db8::1/128"},
		{"2001:DB8:0:0:1::/48", "2001:db8::/48"},
		{"::ffff:203.0.113.9", "203.0.113.9/32"},
		{"::ffff:203.0.113.0/120", "203.0.113.0/24"},
		{"::ffff:0:0/96", "0.0.0.0/0"},
		{"0.0.0.0/0\n::/0", "0.0.0.0/0\n::/0"},
		{"10.1.2.3/8\n10.0.0.0/8\n::ffff:10.9.9.9/104", "10.0.0.0/8"},
		{"198.51.100.1\r\n\r\n203.0.113.9\r\n198.51.100.1/32", "198.51.100.1/32\n203.0.113.9/32"},
	} {
		l, err := lifecycle.ParseAllowList(c.in)
		if err != nil {
			t.Errorf("ParseAllowList(%q): %v", c.in, err)
			continue
		}
		if got := l.String(); got != c.want {
			t.Errorf("ParseAllowList(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// A line that is not an address or range, or that carries a zone, is
// refused as invalid with its line number and the line itself.
func TestAllowListRefusesBadLinesByNumber(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"203.0.113.9\nexample.com", `Line 2: "example.com"`},
		{"\n\n203.0.113.300", `Line 3: "203.0.113.300"`},
		{"203.0.113.0/33", `Line 1: "203.0.113.0/33"`},
		{"2001:db8::/129", `Line 1: "2001:db8::/129"`},
		{"203.0.113.9/", `Line 1:`},
		{"203.0.113.9 198.51.100.1", `Line 1:`},
		{"10.0.0.0/8\nfe80::1%eth0", `Line 2: "fe80::1%eth0" carries a zone`},
		{"fe80::%eth0/64", `Line 1: "fe80::%eth0/64" carries a zone`},
	} {
		l, err := lifecycle.ParseAllowList(c.in)
		if lifecycle.ErrorCode(err) != lifecycle.Invalid || !strings.Contains(lifecycle.ErrorMessage(err), c.want) {
			t.Errorf("ParseAllowList(%q) = %v, %v; want an invalid error saying %q", c.in, l, err, c.want)
		}
	}
}

// At most 100 distinct entries: the 101st is refused by its line, while
// duplicates beyond 100 lines do not count.
func TestAllowListHoldsAtMost100Entries(t *testing.T) {
	var lines []string
	for i := range lifecycle.MaxAllowedAddresses {
		lines = append(lines, fmt.Sprintf("10.0.%d.0/24", i))
	}
	full := strings.Join(lines, "\n")
	if l, err := lifecycle.ParseAllowList(full + "\n10.0.0.1/24\n10.0.99.0/24"); err != nil || len(l) != 100 {
		t.Fatalf("100 entries and duplicates: %d entries, %v; want 100", len(l), err)
	}
	_, err := lifecycle.ParseAllowList(full + "\n\n192.0.2.1")
	if lifecycle.ErrorCode(err) != lifecycle.Invalid || !strings.Contains(err.Error(), "Line 102: at most 100") {
		t.Fatalf("101 entries: %v, want refused at line 102", err)
	}
}

// Matching: an empty list allows every address, the unknown one too; a
// list allows exactly the addresses inside one of its entries, IPv4
// callers seen as IPv4-mapped IPv6 included, and never an unknown one.
func TestAllowListMatches(t *testing.T) {
	l, err := lifecycle.ParseAllowList("203.0.113.0/24\n2001:db8::/32\n198.51.100.7")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		addr string
		want bool
	}{
		{"203.0.113.1", true},
		{"203.0.113.255", true},
		{"203.0.114.0", false},
		{"::ffff:203.0.113.9", true},
		{"::ffff:203.0.114.9", false},
		{"198.51.100.7", true},
		{"198.51.100.8", false},
		{"2001:db8:ffff::1", true},
		{"2001:db9::1", false},
		{"::ffff:198.51.100.7", true},
		{"fe80::1%eth0", false},
	} {
		if got := l.Allows(netip.MustParseAddr(c.addr)); got != c.want {
			t.Errorf("Allows(%s) = %v, want %v", c.addr, got, c.want)
		}
	}
	if l.Allows(netip.Addr{}) {
		t.Error("a list allows an unknown address")
	}
	var empty lifecycle.AllowList
	if !empty.Allows(netip.Addr{}) || !empty.Allows(netip.MustParseAddr("192.0.2.1")) {
		t.Error("an empty list refuses an address")
	}
}

// A stored list is parsed once and reused; a stored text that does not
// parse allows nobody (fail closed), and "" allows anybody.
func TestStoredAllowListsParseOnceAndFailClosed(t *testing.T) {
	var s lifecycle.StoredAllowLists
	a, b := s.Parse("203.0.113.0/24"), s.Parse("203.0.113.0/24")
	if len(a) != 1 || &a[0] != &b[0] {
		t.Errorf("the same text parsed twice: %v, %v", a, b)
	}
	if s.Parse("not an address").Allows(netip.MustParseAddr("203.0.113.1")) {
		t.Error("an unparsable stored list allows an address")
	}
	if !s.Parse("").Allows(netip.MustParseAddr("203.0.113.1")) {
		t.Error("an empty stored list refuses an address")
	}
}

// A User-Agent is kept without control or format characters, valid
// UTF-8, and at most 100 characters.
func TestShortUserAgent(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"curl/8.5.0", "curl/8.5.0"},
		{"evil\r\nX-Injected: 1\x00\x1b[31m", "evilX-Injected: 1[31m"},
		{"a\u202eb\u200bc", "abc"},
		{"bad\xffutf8", "bad\uFFFDutf8"},
		{strings.Repeat("é", 150), strings.Repeat("é", 100)},
	} {
		if got := lifecycle.ShortUserAgent(c.in); got != c.want {
			t.Errorf("ShortUserAgent(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// caller is a caller from addr with a User-Agent.
func caller(addr string) lifecycle.Caller {
	return lifecycle.Caller{Addr: netip.MustParseAddr(addr), UserAgent: "client/1.0"}
}

// With a list set, a token exchange and a bearer request from outside it
// are refused as forbidden, ip_not_allowed, naming the caller's address;
// from inside they work; clearing the list allows any address again. The
// change is seen at the very next call.
func TestAllowedAddressesAreEnforcedOnExchangeAndBearer(t *testing.T) {
	f := newHousekeepingFixture(t, lifecycle.Config{})
	ctx := context.Background()
	tokens := lifecycle.NewTokens(f.store, f.clock.Now, time.Hour)
	tok, err := tokens.Exchange(ctx, f.keys.AccessKey, f.keys.SecretKey, caller("203.0.113.9"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetAllowedAddresses(ctx, f.tenant.ID, lifecycle.UserActor("alice"), "198.51.100.0/24\n2001:db8::/32"); err != nil {
		t.Fatal(err)
	}
	refused := func(what string, err error, addr string) {
		t.Helper()
		var e *lifecycle.Error
		if !errors.As(err, &e) || e.Code != lifecycle.Forbidden || e.Reason != lifecycle.ReasonIPNotAllowed || !strings.Contains(e.Message, addr) {
			t.Errorf("%s from %s: %v, want forbidden ip_not_allowed naming the address", what, addr, err)
		}
	}
	_, err = tokens.Exchange(ctx, f.keys.AccessKey, f.keys.SecretKey, caller("203.0.113.9"))
	refused("exchange", err, "203.0.113.9")
	_, err = tokens.Authenticate(ctx, tok.Token, caller("2001:db9::5"))
	refused("bearer", err, "2001:db9::5")
	_, err = tokens.Authenticate(ctx, tok.Token, lifecycle.Caller{})
	refused("bearer", err, "an unknown address")
	if _, err := tokens.Exchange(ctx, f.keys.AccessKey, f.keys.SecretKey, caller("::ffff:198.51.100.20")); err != nil {
		t.Errorf("exchange from inside the list: %v", err)
	}
	if _, err := tokens.Authenticate(ctx, tok.Token, caller("2001:db8::5")); err != nil {
		t.Errorf("bearer from inside the list: %v", err)
	}
	if _, err := f.svc.SetAllowedAddresses(ctx, f.tenant.ID, lifecycle.UserActor("alice"), "\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := tokens.Authenticate(ctx, tok.Token, caller("203.0.113.9")); err != nil {
		t.Errorf("bearer once the list is cleared: %v", err)
	}
}

// Wrong keys from outside the list are still wrong keys (unauthorized):
// only a caller holding the real secret learns that its address is not
// allowed.
func TestWrongKeysFromOutsideTheListAreRejectedNotForbidden(t *testing.T) {
	f := newHousekeepingFixture(t, lifecycle.Config{})
	ctx := context.Background()
	if _, err := f.svc.SetAllowedAddresses(ctx, f.tenant.ID, lifecycle.UserActor("alice"), "198.51.100.0/24"); err != nil {
		t.Fatal(err)
	}
	other := lifecycle.NewTokens(f.store, f.clock.Now, time.Hour)
	wrong := f.keys.SecretKey[:len(f.keys.SecretKey)-8] + "AAAAAAAA"
	if _, err := other.Exchange(ctx, f.keys.AccessKey, wrong, caller("203.0.113.9")); lifecycle.ErrorCode(err) != lifecycle.Unauthorized {
		t.Errorf("wrong secret from outside the list: %v, want unauthorized", err)
	}
}

// Saving a list is a history event "Allowed addresses changed" with its
// actor, once per change: saving the same list again, or a bad list,
// records nothing and changes nothing; 50 admins saving at once leave one
// of their lists, with one event per change.
func TestSavingAllowedAddressesIsAuditedOncePerChange(t *testing.T) {
	f := newHousekeepingFixture(t, lifecycle.Config{})
	ctx := context.Background()
	save := func(text string) error {
		_, err := f.svc.SetAllowedAddresses(ctx, f.tenant.ID, lifecycle.UserActor("alice"), text)
		return err
	}
	for _, text := range []string{"203.0.113.9", "203.0.113.9/32\n", " 203.0.113.9 "} {
		if err := save(text); err != nil {
			t.Fatal(err)
		}
	}
	if err := save("203.0.113.9\nnonsense"); lifecycle.ErrorCode(err) != lifecycle.Invalid {
		t.Fatalf("a bad list: %v, want invalid", err)
	}
	if l, err := f.svc.AllowedAddresses(ctx, f.tenant.ID); err != nil || l.String() != "203.0.113.9/32" {
		t.Fatalf("list after a refused save: %q, %v", l, err)
	}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := save(fmt.Sprintf("198.51.100.%d", i%2)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	h, err := f.svc.History(ctx, f.tenant.ID, 0, 1)
	if err != nil || len(h) != 1 || h[0].Event != "Allowed addresses changed" || h[0].Actor != "alice" {
		t.Fatalf("newest history entry %+v, %v; want Allowed addresses changed by alice", h, err)
	}
	// Each event is a change: its list differs from the one before, and
	// the newest is the list in force.
	rows, err := f.store.TenantAudit(ctx, f.tenant.ID, 0, []lifecycle.AuditEvent{lifecycle.AuditAllowedAddresses}, 200)
	if err != nil {
		t.Fatal(err)
	}
	final, _ := f.svc.AllowedAddresses(ctx, f.tenant.ID)
	if len(rows) < 2 || rows[0].Detail != final.Detail() || rows[len(rows)-1].Detail != "203.0.113.9/32" {
		t.Fatalf("%d events, newest %q, oldest %q; want the list in force %q newest", len(rows), rows[0].Detail, rows[len(rows)-1].Detail, final.Detail())
	}
	for i := 1; i < len(rows); i++ {
		if rows[i].Detail == rows[i-1].Detail {
			t.Errorf("two events in a row record the list %q: a save that changed nothing was recorded", rows[i].Detail)
		}
	}
}

// hundredRanges is a list of 100 entries, IPv4 and IPv6 mixed.
func hundredRanges(tb testing.TB) lifecycle.AllowList {
	tb.Helper()
	var lines []string
	for i := range 50 {
		lines = append(lines, fmt.Sprintf("10.%d.0.0/16", i), fmt.Sprintf("2001:db8:%x::/48", i))
	}
	l, err := lifecycle.ParseAllowList(strings.Join(lines, "\n"))
	if err != nil || len(l) != 100 {
		tb.Fatalf("%d entries, %v", len(l), err)
	}
	return l
}

// BenchmarkAllowListCheck100Ranges is the check a request makes against a
// list of 100 ranges, for an address in none of them (the longest walk)
// and in the last one; the parse is the store's, once per stored text.
func BenchmarkAllowListCheck100Ranges(b *testing.B) {
	l := hundredRanges(b)
	var stored lifecycle.StoredAllowLists
	text := l.String()
	for _, c := range []struct{ name, addr string }{{"outside", "203.0.113.9"}, {"last", "2001:db8:31::1"}, {"ipv4-mapped", "::ffff:10.49.1.1"}} {
		a := netip.MustParseAddr(c.addr)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				stored.Parse(text).Allows(a)
			}
		})
		b.Run(c.name+"/match-only", func(b *testing.B) {
			for b.Loop() {
				l.Allows(a)
			}
		})
	}
}
