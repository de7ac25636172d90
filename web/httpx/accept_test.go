package httpx_test

import (
	"strings"
	"testing"

	"esp/web/httpx"
)

// The export's offers, in its order of preference.
const (
	csv    = "text/csv; charset=utf-8; header=present"
	ndjson = "application/x-ndjson"
)

// Negotiation as RFC 9110 §12.5.1 says: the most specific matching range
// gives each offer its quality, the highest quality wins, ties go to the
// server's preference (CSV), q=0 excludes, and an Accept that names
// nothing ESP can send is refused (406).
func TestNegotiateHonoursQualityValues(t *testing.T) {
	for _, tc := range []struct {
		accept []string // the request's Accept fields; nil: none
		want   string   // "" for 406
	}{
		{nil, csv},
		{[]string{""}, csv},
		{[]string{"*/*"}, csv},
		{[]string{"text/*"}, csv},
		{[]string{"application/*"}, ndjson},
		{[]string{"text/csv"}, csv},
		{[]string{"TEXT/CSV"}, csv},
		{[]string{"application/x-ndjson"}, ndjson},
		{[]string{"text/csv;q=0.9, application/x-ndjson;q=0.1"}, csv},
		{[]string{"application/x-ndjson;q=0.1, text/csv;q=0.9"}, csv},
		{[]string{"text/csv;q=0.9,application/x-ndjson"}, ndjson},
		{[]string{"text/csv;q=0.5, application/x-ndjson;q=0.5"}, csv},
		{[]string{"application/x-ndjson;q=0.5, text/csv;q=0.5"}, csv},
		{[]string{"application/x-ndjson;q=0.2", "text/csv;q=0.1"}, ndjson},
		{[]string{"*/*;q=0.1, application/x-ndjson"}, ndjson},
		{[]string{"*/*, text/csv;q=0"}, ndjson},
		{[]string{"text/*;q=0, */*"}, ndjson},
		{[]string{"text/csv;q=0"}, ""},
		{[]string{"text/csv;q=0, application/x-ndjson;q=0"}, ""},
		{[]string{"*/*;q=0"}, ""},
		{[]string{"application/json"}, ""},
		{[]string{"text/html, application/xhtml+xml"}, ""},
		{[]string{"application/json, */*;q=0.01"}, csv},
		{[]string{"text/csv; charset=utf-8"}, csv},
		{[]string{"text/csv; charset=UTF-8"}, csv},
		{[]string{"text/csv; header=present"}, csv},
		{[]string{"text/csv; charset=iso-8859-1"}, ""},
		{[]string{"text/csv; charset=iso-8859-1, text/*;q=0.5"}, csv},
		{[]string{"text/csv;q=1.0"}, csv},
		{[]string{"application/x-ndjson;q=1.000, text/csv;q=0.999"}, ndjson},
		{[]string{"text/csv;q=0.001, application/x-ndjson;q=0"}, csv},
		// Ranges that cannot be read are left out; with none left the
		// request says nothing it wants.
		{[]string{"application/x-ndjson;q=1.5, text/csv;q=0.1"}, csv},
		{[]string{"application/x-ndjson;q=abc"}, csv},
		{[]string{"application/x-ndjson;q=0.1234, text/csv;q=0.1"}, csv},
		{[]string{"*/x-ndjson"}, csv},
		{[]string{";;;, ,"}, csv},
		{[]string{`text/csv;charset="utf-8";q=0.9, application/x-ndjson;q=0.1`}, csv},
		{[]string{`application/x-ndjson;q=0.5;ext="a,b", text/csv;q=0.4`}, ndjson},
		// Parameters after q are extensions: they do not narrow the range.
		{[]string{"text/csv;q=0.5;level=1, application/x-ndjson;q=0.4"}, csv},
	} {
		got, ok := httpx.Negotiate(tc.accept, csv, ndjson)
		if !ok {
			got = ""
		}
		if got != tc.want {
			t.Errorf("Accept: %s → %q, want %q", strings.Join(tc.accept, " | "), got, tc.want)
		}
	}
}
