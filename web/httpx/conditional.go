package httpx

import "strings"

// PrefersGzip says whether an answer should be gzipped for a request with
// these Accept-Encoding field values (RFC 9110 §12.5.3): gzip (or x-gzip,
// or * when gzip is not named) with a q-value above 0 and no lower than
// identity's when identity is named (unnamed, identity is acceptable but
// preferred to nothing). Identity is what is left otherwise, also when the
// request refuses it too: an answer without a content coding is the one
// every client can read. A request without the header gets identity,
// since nothing says it can decode gzip.
func PrefersGzip(acceptEncoding []string) bool {
	gzipQ, identityQ, starQ := -1, -1, -1
	for _, field := range acceptEncoding {
		for _, elem := range splitOutsideQuotes(field, ',') {
			coding, q, ok := parseCoding(elem)
			if !ok {
				continue
			}
			switch coding {
			case "gzip", "x-gzip":
				gzipQ = max(gzipQ, q)
			case "identity":
				identityQ = max(identityQ, q)
			case "*":
				starQ = max(starQ, q)
			}
		}
	}
	if gzipQ < 0 {
		gzipQ = max(starQ, 0)
	}
	return gzipQ > 0 && gzipQ >= identityQ
}

// parseCoding reads one element of Accept-Encoding, "gzip;q=0.5": its
// coding in lower case and its q-value in thousandths (1000 without one).
func parseCoding(s string) (coding string, q int, ok bool) {
	parts := splitOutsideQuotes(s, ';')
	coding = strings.ToLower(strings.TrimSpace(parts[0]))
	if coding == "" || !isToken(coding) {
		return "", 0, false
	}
	q = 1000
	for _, p := range parts[1:] {
		k, v, found := strings.Cut(strings.TrimSpace(p), "=")
		if !found || !strings.EqualFold(strings.TrimSpace(k), "q") {
			return "", 0, false
		}
		if q, ok = parseQ(strings.TrimSpace(v)); !ok {
			return "", 0, false
		}
	}
	return coding, q, true
}

// NoneMatch says whether If-None-Match field values name the entity tag
// etag (or are "*"), by the weak comparison RFC 9110 §13.1.2 prescribes
// for this header: W/"x" matches "x". A GET or HEAD that matches is
// answered 304 Not Modified. A malformed list matches nothing from the
// point where it goes wrong.
func NoneMatch(ifNoneMatch []string, etag string) bool {
	want := strings.TrimPrefix(etag, "W/")
	for _, field := range ifNoneMatch {
		rest := field
		for {
			rest = strings.TrimLeft(rest, " \t,")
			if rest == "" {
				break
			}
			if rest[0] == '*' {
				return true
			}
			rest = strings.TrimPrefix(rest, "W/")
			if rest == "" || rest[0] != '"' {
				break
			}
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				break
			}
			if rest[:end+2] == want {
				return true
			}
			rest = rest[end+2:]
		}
	}
	return false
}
