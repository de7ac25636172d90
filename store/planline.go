package store

import (
	"errors"
	"strings"
)

// A plan row is stored as one line: its canonical CSV record, exactly as the
// CSV export writes it but without the line end. The export then copies the
// stored bytes instead of reading, converting and re-encoding 11 columns a
// row, and the import binds one value a row instead of 11.

// appendPlanRowRecord appends r as one CSV record without the line end,
// quoting a field only where encoding/csv's Writer would.
func appendPlanRowRecord(dst []byte, r *PlanRow) []byte {
	for i, f := range r.fields() {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendCSVField(dst, *f)
	}
	return dst
}

var errBadLine = errors.New("store: a stored plan row is not a canonical CSV record")

// parsePlanLine fills r's fields from a stored line. The line was written by
// appendPlanRowRecord (or migration 0005, which writes the same), so fields
// are quoted only when they must be and a quote inside is doubled; an
// unquoted field is a substring of line, without a copy.
func parsePlanLine(line string, r *PlanRow) error {
	f := r.fields()
	for i := range f {
		if i > 0 {
			if line == "" || line[0] != ',' {
				return errBadLine
			}
			line = line[1:]
		}
		if line == "" || line[0] != '"' {
			n := strings.IndexByte(line, ',')
			if n < 0 {
				n = len(line)
			}
			*f[i], line = line[:n], line[n:]
			continue
		}
		// A quoted field: it ends at a quote that is not doubled.
		line = line[1:]
		var b strings.Builder
		for {
			n := strings.IndexByte(line, '"')
			if n < 0 {
				return errBadLine
			}
			if n+1 < len(line) && line[n+1] == '"' {
				b.WriteString(line[:n+1])
				line = line[n+2:]
				continue
			}
			if b.Len() == 0 {
				*f[i] = line[:n]
			} else {
				b.WriteString(line[:n])
				*f[i] = b.String()
			}
			line = line[n+1:]
			break
		}
	}
	if line != "" {
		return errBadLine
	}
	return nil
}
