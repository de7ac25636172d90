package httpx

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func mustProxies(t *testing.T, list string) TrustedProxies {
	t.Helper()
	p, err := ParseTrustedProxies(list)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The client address is X-Forwarded-For's only when the connection comes
// from a trusted proxy, and then its right-most entry that is not a trusted
// proxy: whatever the client wrote is to the left of what the proxies
// appended. A malformed header from a trusted proxy leaves the peer.
func TestClientAddrBelievesXForwardedForOnlyFromTrustedProxies(t *testing.T) {
	p := mustProxies(t, "10.0.0.0/8,192.0.2.7,2001:db8::/32")
	for _, tc := range []struct {
		name, peer string
		xff        []string // one header line each
		want       string
	}{
		{"untrusted peer, no header", "198.51.100.1:5000", nil, "198.51.100.1"},
		{"untrusted peer's header is ignored", "198.51.100.1:5000", []string{"203.0.113.9"}, "198.51.100.1"},
		{"untrusted peer that names a trusted proxy", "198.51.100.1:5000", []string{"203.0.113.9, 10.0.0.1"}, "198.51.100.1"},
		{"trusted peer, no header", "10.0.0.2:5000", nil, "10.0.0.2"},
		{"trusted peer, one client", "10.0.0.2:5000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"single trusted address", "192.0.2.7:5000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"the address next to it is not trusted", "192.0.2.8:5000", []string{"203.0.113.9"}, "192.0.2.8"},
		{"a client's own entries are not believed", "10.0.0.2:5000", []string{"1.1.1.1, 8.8.8.8, 203.0.113.9"}, "203.0.113.9"},
		{"proxies in a chain are skipped", "10.0.0.2:5000", []string{"8.8.8.8, 203.0.113.9, 10.9.9.9, 192.0.2.7"}, "203.0.113.9"},
		{"several header lines are one list", "10.0.0.2:5000", []string{"8.8.8.8, 203.0.113.9", "10.9.9.9"}, "203.0.113.9"},
		{"every entry a proxy: the left-most", "10.0.0.2:5000", []string{"10.1.1.1, 10.2.2.2"}, "10.1.1.1"},
		{"garbage left of the client is not looked at", "10.0.0.2:5000", []string{"<script>, 203.0.113.9"}, "203.0.113.9"},
		{"garbage right-most: the peer", "10.0.0.2:5000", []string{"203.0.113.9, not-an-ip"}, "10.0.0.2"},
		{"garbage among the proxies: the peer", "10.0.0.2:5000", []string{"203.0.113.9, 10.0.0.300, 10.1.1.1"}, "10.0.0.2"},
		{"empty header: the peer", "10.0.0.2:5000", []string{""}, "10.0.0.2"},
		{"empty entry: the peer", "10.0.0.2:5000", []string{"203.0.113.9,"}, "10.0.0.2"},
		{"a zone: the peer", "10.0.0.2:5000", []string{"fe80::1%eth0"}, "10.0.0.2"},
		{"an address with a port", "10.0.0.2:5000", []string{"203.0.113.9:41234"}, "203.0.113.9"},
		{"IPv6 client", "10.0.0.2:5000", []string{"2001:DB9::1"}, "2001:db9::1"},
		{"bracketed IPv6 with a port", "10.0.0.2:5000", []string{"[2001:db9::1]:443"}, "2001:db9::1"},
		{"bracketed IPv6", "10.0.0.2:5000", []string{"[2001:db9::1]"}, "2001:db9::1"},
		{"IPv4-mapped client", "10.0.0.2:5000", []string{"::ffff:203.0.113.9"}, "203.0.113.9"},
		{"IPv6 trusted peer", "[2001:db8::5]:5000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"IPv4-mapped trusted peer", "[::ffff:10.0.0.2]:5000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"IPv4 range, IPv6 peer", "[2001:db9::10.0.0.2]:5000", []string{"203.0.113.9"}, "2001:db9::10.0.0.2"},
		{"peer without a port", "10.0.0.2", []string{"203.0.113.9"}, "203.0.113.9"},
	} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RemoteAddr = tc.peer
		for _, v := range tc.xff {
			req.Header.Add("X-Forwarded-For", v)
		}
		if got := p.ClientAddr(req); got != tc.want {
			t.Errorf("%s: from %s with %q: client %q, want %q", tc.name, tc.peer, tc.xff, got, tc.want)
		}
		if got := p.IPExtractor()(req); got != tc.want {
			t.Errorf("%s: the extractor says %q, want %q", tc.name, got, tc.want)
		}
	}
}

// With no proxy trusted, the client address is the peer exactly as the
// connection gives it, whatever X-Forwarded-For says.
func TestClientAddrWithoutTrustedProxiesIsThePeer(t *testing.T) {
	var none TrustedProxies
	for _, peer := range []string{"10.0.0.2:5000", "[2001:db8::5]:5000", "127.0.0.1:1"} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RemoteAddr = peer
		req.Header.Set("X-Forwarded-For", "203.0.113.9")
		req.Header.Set("X-Real-IP", "203.0.113.10")
		want := peerAddr(req)
		if got := none.IPExtractor()(req); got != want {
			t.Errorf("from %s: client %q, want the peer %q", peer, got, want)
		}
		if none.FromTrustedProxy(req) {
			t.Errorf("from %s: trusted by an empty list", peer)
		}
	}
}

func TestParseTrustedProxies(t *testing.T) {
	for list, want := range map[string]string{
		"":                                      "",
		"  ":                                    "",
		"10.0.0.0/8":                            "10.0.0.0/8",
		" 10.1.2.3/8 , 192.0.2.7 ":              "10.0.0.0/8,192.0.2.7/32",
		"2001:db8::1,2001:db8::/32":             "2001:db8::1/128,2001:db8::/32",
		"0.0.0.0/0":                             "0.0.0.0/0",
		"::ffff:10.0.0.1,::ffff:172.16.0.0/108": "10.0.0.1/32,172.16.0.0/12",
	} {
		p, err := ParseTrustedProxies(list)
		if err != nil || p.String() != want {
			t.Errorf("%q: %q (%v), want %q", list, p.String(), err, want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "10.0.0.256", "lb.internal", "10.0.0.0/8,", ",10.0.0.0/8", "10.0.0.0/8,,192.0.2.7",
		"fe80::1%eth0", "fe80::%eth0/64", "10.0.0.0/8;192.0.2.0/24", "10.0.0.1:80", "[::1]"} {
		if p, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("%q: accepted as %q", bad, p.String())
		}
	}
}

// The limits count an IPv4 client by its address, an IPv6 client by its
// /64, and an IPv4-mapped IPv6 client as its IPv4 address.
func TestLimitGroupCountsIPv6ByItsSlash64(t *testing.T) {
	for addr, want := range map[string]string{
		"192.0.2.7":                  "192.0.2.7",
		"::ffff:192.0.2.7":           "192.0.2.7",
		"2001:db8:1:2::1":            "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:ffff:0:9": "2001:db8:1:2::/64",
		"2001:db8:1:3::1":            "2001:db8:1:3::/64",
		"fe80::1%eth0":               "fe80::/64",
		"":                           "",
	} {
		if got := limitGroup(addr); got != want {
			t.Errorf("limitGroup(%q) = %q, want %q", addr, got, want)
		}
	}
}
