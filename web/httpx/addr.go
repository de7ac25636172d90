package httpx

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/labstack/echo/v4"
)

// ClientAddr is the address logins and failed authentications are counted
// against, and the access log names: the router's IPExtractor decides it
// (TrustedProxies.IPExtractor, which takes X-Forwarded-For only from a
// trusted proxy); a router without one uses the connection's peer, never
// a header (anyone could dodge the limits by inventing addresses).
func ClientAddr(c echo.Context) string {
	if c.Echo().IPExtractor != nil {
		return c.RealIP()
	}
	return peerAddr(c.Request())
}

// LimitAddr is what the attempt limits count a request against: its
// client address (ClientAddr) for IPv4, and for IPv6 the /64 it is in, since
// one subscriber or host is commonly given a whole /64 and could otherwise
// take a fresh allowance from each of its 2^64 addresses. An IPv4-mapped
// IPv6 address counts as its IPv4 address.
func LimitAddr(c echo.Context) string {
	return limitGroup(ClientAddr(c))
}

// limitGroup is the address addr counts as in the limits: itself for
// IPv4, its /64 for IPv6 (written as a prefix, 2001:db8:1:2::/64), and
// addr unchanged when it is no address.
func limitGroup(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// peerAddr is the host of the connection's peer, as echo.ExtractIPDirect
// gives it.
func peerAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		if net.ParseIP(r.RemoteAddr) != nil {
			return r.RemoteAddr
		}
		return ""
	}
	return host
}

// headerXForwardedFor lists, left to right, the client and each proxy a
// request passed through, each proxy appending the address it got the
// request from.
const headerXForwardedFor = "X-Forwarded-For"

// TrustedProxies are the proxies (load balancers) in front of ESP whose
// X-Forwarded-For is believed. The zero value trusts none: the client
// address is the connection's peer.
type TrustedProxies struct {
	prefixes []netip.Prefix
}

// ParseTrustedProxies reads a comma-separated list of CIDR ranges
// (10.0.0.0/8, 2001:db8::/32) and single addresses (192.0.2.7, taken as
// /32, or /128 for IPv6); an empty list trusts none. A range written with
// host bits set (10.1.2.3/8) means its network (10.0.0.0/8), and an
// IPv4-mapped IPv6 one (::ffff:10.0.0.0/104) its IPv4 range.
func ParseTrustedProxies(list string) (TrustedProxies, error) {
	var p TrustedProxies
	if strings.TrimSpace(list) == "" {
		return p, nil
	}
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return TrustedProxies{}, errors.New("an empty entry in the list (a stray comma?)")
		}
		var pre netip.Prefix
		var err error
		if strings.Contains(item, "/") {
			pre, err = netip.ParsePrefix(item)
		} else {
			var a netip.Addr
			if a, err = netip.ParseAddr(item); err == nil && a.Zone() == "" {
				pre, err = a.Prefix(a.BitLen())
			} else if err == nil {
				err = errors.New("an address with a zone")
			}
		}
		if err != nil {
			return TrustedProxies{}, fmt.Errorf("%q is not an IP address or CIDR range (e.g. 10.0.0.0/8, 192.0.2.7, 2001:db8::/32)", item)
		}
		if a := pre.Addr(); a.Is4In6() && pre.Bits() >= 96 {
			pre = netip.PrefixFrom(a.Unmap(), pre.Bits()-96) // peers are compared unmapped
		}
		p.prefixes = append(p.prefixes, pre.Masked())
	}
	return p, nil
}

// Empty reports whether no proxy is trusted.
func (p TrustedProxies) Empty() bool { return len(p.prefixes) == 0 }

// String lists the trusted ranges, comma-separated.
func (p TrustedProxies) String() string {
	s := make([]string, len(p.prefixes))
	for i, pre := range p.prefixes {
		s[i] = pre.String()
	}
	return strings.Join(s, ",")
}

// trusts reports whether a is inside one of the trusted ranges.
func (p TrustedProxies) trusts(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, pre := range p.prefixes {
		if pre.Contains(a) {
			return true
		}
	}
	return false
}

// FromTrustedProxy reports whether the request's connection comes from a
// trusted proxy.
func (p TrustedProxies) FromTrustedProxy(r *http.Request) bool {
	if p.Empty() {
		return false
	}
	a, err := netip.ParseAddr(peerAddr(r))
	return err == nil && p.trusts(a)
}

// ClientAddr is the request's client address. From a peer that is not a
// trusted proxy it is the peer, whatever the headers say. From a trusted
// proxy it is the right-most address of X-Forwarded-For that is not itself
// a trusted proxy: each proxy appends the address it got the request from,
// so everything left of that entry was written by the client and is not
// believed. When every entry is a trusted proxy, the left-most one. A
// missing or malformed X-Forwarded-For (an entry that is not an address,
// right of the one taken) leaves the peer.
func (p TrustedProxies) ClientAddr(r *http.Request) string {
	peer := peerAddr(r)
	if !p.FromTrustedProxy(r) {
		return peer
	}
	var entries []string
	for _, v := range r.Header.Values(headerXForwardedFor) {
		entries = append(entries, strings.Split(v, ",")...)
	}
	if len(entries) == 0 {
		return peer
	}
	var a netip.Addr
	for i := len(entries) - 1; i >= 0; i-- {
		var ok bool
		if a, ok = forwardedAddr(entries[i]); !ok {
			return peer
		}
		if !p.trusts(a) {
			break
		}
	}
	return a.String()
}

// forwardedAddr reads one X-Forwarded-For entry: an IPv4 or IPv6 address,
// bracketed or not, with a port or not (some proxies add one).
func forwardedAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	a, err := netip.ParseAddr(s)
	if err != nil {
		if ap, perr := netip.ParseAddrPort(s); perr == nil {
			a, err = ap.Addr(), nil
		} else if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
			a, err = netip.ParseAddr(s[1 : len(s)-1])
		}
	}
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// IPExtractor is the routers' echo.IPExtractor: ClientAddr, which is the
// connection's peer exactly (echo.ExtractIPDirect) when no proxy is
// trusted.
func (p TrustedProxies) IPExtractor() echo.IPExtractor {
	if p.Empty() {
		return echo.ExtractIPDirect()
	}
	return p.ClientAddr
}
