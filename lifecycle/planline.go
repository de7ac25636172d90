package lifecycle

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A plan row is stored as one line: its canonical CSV record, exactly as the
// CSV export writes it but without the line end. The export then copies the
// stored bytes instead of reading, converting and re-encoding 11 columns a
// row, and the import binds one value a row instead of 11.

// PlanRow is one row of plan data: one interval of one WEM skill in one
// scheduling unit. The numbers are kept as text exactly as imported (each a
// valid JSON number), so that they are exported with the same digits.
type PlanRow struct {
	ID              int64 // set when read from the database
	IntervalStart   string
	Interval        string // day, week or month
	Skill           string
	SchedulingUnit  string
	Volume          string
	AHTSeconds      string
	FTERequired     string
	FTEPlanned      string
	ServiceLevelPct string
	ASASeconds      string
	OccupancyPct    string
}

// fields points at the row's values in PlanColumns order.
func (r *PlanRow) fields() [11]*string {
	return [11]*string{&r.IntervalStart, &r.Interval, &r.Skill, &r.SchedulingUnit,
		&r.Volume, &r.AHTSeconds, &r.FTERequired, &r.FTEPlanned,
		&r.ServiceLevelPct, &r.ASASeconds, &r.OccupancyPct}
}

// AppendPlanLine appends r as its stored line: one CSV record without the
// line end, quoting a field only where encoding/csv's Writer would.
func AppendPlanLine(dst []byte, r *PlanRow) []byte {
	for i, f := range r.fields() {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendCSVField(dst, *f)
	}
	return dst
}

var errBadLine = errors.New("store: a stored plan row is not a canonical CSV record")

// ParsePlanLine fills r's fields from a stored line. The line was written by
// AppendPlanLine (or migration 0005, which writes the same), so fields
// are quoted only when they must be and a quote inside is doubled; an
// unquoted field is a substring of line, without a copy.
func ParsePlanLine(line string, r *PlanRow) error {
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

func appendCSVField(dst []byte, s string) []byte {
	if !csvNeedsQuotes(s) {
		return append(dst, s...)
	}
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, s[i])
	}
	return append(dst, '"')
}

// csvNeedsQuotes mirrors encoding/csv's Writer.fieldNeedsQuotes.
func csvNeedsQuotes(s string) bool {
	if s == "" {
		return false
	}
	if s == `\.` {
		return true
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}
