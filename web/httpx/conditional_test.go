package httpx_test

import (
	"testing"

	"esp/web/httpx"
)

// Accept-Encoding as RFC 9110 §12.5.3 says: gzip when the request accepts
// it (named, as x-gzip, or through *) with a q-value above 0 and no lower
// than identity's; identity otherwise, also when nothing is acceptable.
func TestPrefersGzipHonoursQualityValues(t *testing.T) {
	for _, tc := range []struct {
		accept []string // the request's Accept-Encoding fields; nil: none
		want   bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{"gzip"}, true},
		{[]string{"GZIP"}, true},
		{[]string{"x-gzip"}, true},
		{[]string{"gzip, deflate, br"}, true},
		{[]string{"br", "gzip;q=0.5"}, true},
		{[]string{"br, deflate"}, false},
		{[]string{"*"}, true},
		{[]string{"*;q=0"}, false},
		{[]string{"gzip;q=0"}, false},
		{[]string{"gzip; q=0.000"}, false},
		{[]string{"gzip;q=0, *"}, false},
		{[]string{"gzip;q=0.001"}, true},
		{[]string{"gzip;q=0.5, identity"}, false},
		{[]string{"gzip;q=0.5, identity;q=0.5"}, true},
		{[]string{"gzip, identity;q=0"}, true},
		{[]string{"gzip;q=0, identity;q=0"}, false},
		{[]string{"gzip;q=2"}, false},   // a malformed element counts for nothing
		{[]string{"gzip;lvl=9"}, false}, // Accept-Encoding has no parameters but q
	} {
		if got := httpx.PrefersGzip(tc.accept); got != tc.want {
			t.Errorf("PrefersGzip(%q) = %v, want %v", tc.accept, got, tc.want)
		}
	}
}

// If-None-Match as RFC 9110 §13.1.2 says: * matches, a list matches when
// one of its tags does, and tags compare weakly (W/ is ignored).
func TestNoneMatchComparesWeakly(t *testing.T) {
	const tag = `"csv-abc"`
	for _, tc := range []struct {
		ifNoneMatch []string
		want        bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{`"csv-abc"`}, true},
		{[]string{`W/"csv-abc"`}, true},
		{[]string{`*`}, true},
		{[]string{`"other", "csv-abc"`}, true},
		{[]string{`"other",W/"csv-abc"`}, true},
		{[]string{`"other"`, `"csv-abc"`}, true},
		{[]string{`"a,b", "csv-abc"`}, true}, // a comma inside a tag
		{[]string{`"other"`}, false},
		{[]string{`"csv-ab"`}, false},
		{[]string{`csv-abc`}, false}, // not quoted: malformed
		{[]string{`"csv-abc`}, false},
		{[]string{`w/"csv-abc"`}, false}, // W/ is case-sensitive
		{[]string{`bad, "csv-abc"`}, false},
	} {
		if got := httpx.NoneMatch(tc.ifNoneMatch, tag); got != tc.want {
			t.Errorf("NoneMatch(%q, %s) = %v, want %v", tc.ifNoneMatch, tag, got, tc.want)
		}
	}
	if !httpx.NoneMatch([]string{`"csv-abc"`}, `W/"csv-abc"`) {
		t.Error("a weak tag of our own does not match its strong twin")
	}
}
