package httpx

import "strings"

// Negotiate picks, of offers (media types, with their parameters, in the
// server's order of preference), the one the request's Accept fields
// prefer, as RFC 9110 §12.5.1 says: each offer takes the quality (q) of
// the most specific media range that matches it (type/subtype with
// parameters, then type/subtype, type/*, */*), none matching is q=0, and
// the highest quality wins, ties going to the earlier offer. ok is false
// when every offer has q=0: the client accepts none of them (406).
//
// Without an Accept field, or when no range in it can be read, the first
// offer is picked: the request says nothing it wants. A range that cannot
// be read (a bad q, say) is left out rather than failing the request.
func Negotiate(accept []string, offers ...string) (offer string, ok bool) {
	var ranges []mediaRange
	for _, field := range accept {
		for _, elem := range splitOutsideQuotes(field, ',') {
			if r, ok := parseMediaRange(elem); ok {
				ranges = append(ranges, r)
			}
		}
	}
	if len(offers) == 0 {
		return "", false
	}
	if len(ranges) == 0 {
		return offers[0], true
	}
	best, bestQ := "", 0
	for _, o := range offers {
		if q := quality(ranges, o); q > bestQ {
			best, bestQ = o, q
		}
	}
	return best, bestQ > 0
}

// mediaRange is one element of an Accept field; q is in thousandths.
type mediaRange struct {
	typ, sub string
	params   map[string]string
	q        int
}

// parseMediaRange reads "type/subtype;param=value;q=0.5;ext=1": the
// parameters after q are accept extensions, which mean nothing here.
func parseMediaRange(s string) (mediaRange, bool) {
	parts := splitOutsideQuotes(s, ';')
	typ, sub, ok := strings.Cut(strings.ToLower(strings.TrimSpace(parts[0])), "/")
	if !ok || !isToken(typ) || !isToken(sub) || typ == "*" && sub != "*" {
		return mediaRange{}, false
	}
	r := mediaRange{typ: typ, sub: sub, params: map[string]string{}, q: 1000}
	for _, p := range parts[1:] {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		k, v, ok := strings.Cut(p, "=")
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		if !ok || !isToken(k) {
			return mediaRange{}, false
		}
		if v, ok = paramValue(v); !ok {
			return mediaRange{}, false
		}
		if k == "q" {
			if r.q, ok = parseQ(v); !ok {
				return mediaRange{}, false
			}
			break
		}
		r.params[k] = v
	}
	return r, true
}

// paramValue is a parameter's value: a token, or a quoted string unquoted.
func paramValue(v string) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return v, isToken(v)
	}
	var b strings.Builder
	for i := 1; i < len(v)-1; i++ {
		if v[i] == '\\' && i+1 < len(v)-1 {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String(), true
}

// isToken reports whether s is an RFC 9110 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !('a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", ch) >= 0) {
			return false
		}
	}
	return true
}

// parseQ reads a quality value (RFC 9110 §12.4.2: 0 to 1, at most three
// decimals) in thousandths.
func parseQ(v string) (int, bool) {
	whole, frac, _ := strings.Cut(v, ".")
	if whole != "0" && whole != "1" || len(frac) > 3 {
		return 0, false
	}
	q := 0
	for i := range 3 {
		q *= 10
		if i < len(frac) {
			d := frac[i]
			if d < '0' || d > '9' {
				return 0, false
			}
			q += int(d - '0')
		}
	}
	if whole == "1" {
		return 1000, q == 0
	}
	return q, true
}

// quality is the q of the most specific range that matches offer, 0 when
// none does.
func quality(ranges []mediaRange, offer string) int {
	o, ok := parseMediaRange(offer)
	if !ok {
		return 0
	}
	q, specificity := 0, -1
	for _, r := range ranges {
		s, ok := r.match(o.typ, o.sub, o.params)
		if ok && s > specificity {
			q, specificity = r.q, s
		}
	}
	return q
}

// match reports whether r matches the media type typ/sub with params, and
// how specific r is.
func (r mediaRange) match(typ, sub string, params map[string]string) (specificity int, ok bool) {
	switch {
	case r.typ == "*":
		specificity = 0
	case r.typ != typ:
		return 0, false
	case r.sub == "*":
		specificity = 1
	case r.sub != sub:
		return 0, false
	default:
		specificity = 2
	}
	for k, v := range r.params {
		if have, ok := params[k]; !ok || !strings.EqualFold(have, v) {
			return 0, false
		}
	}
	return specificity + len(r.params), true
}

// splitOutsideQuotes splits s at each sep that is not inside a quoted
// string.
func splitOutsideQuotes(s string, sep byte) []string {
	var out []string
	quoted, escaped, start := false, false, 0
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case escaped:
			escaped = false
		case quoted && ch == '\\':
			escaped = true
		case ch == '"':
			quoted = !quoted
		case ch == sep && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
