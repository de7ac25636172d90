// Package plancsv is the plan file format: it reads and checks plan CSV
// files (formula-injection checks included) and writes plan rows as CSV
// lines and as JSON objects (the API's rows and NDJSON export).
package plancsv

import (
	"bytes"
	"encoding/csv"
	"errors"
	"esp/lifecycle"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Columns is the header of a plan CSV file, for import and export alike,
// and the field names of a row in the API's JSON.
var Columns = []string{
	"interval_start", "interval", "skill", "scheduling_unit",
	"volume", "aht_seconds", "fte_required", "fte_planned",
	"service_level_pct", "asa_seconds", "occupancy_pct",
}

// Header is Columns as the first line of a CSV file.
var Header = strings.Join(Columns, ",") + "\n"

// Limits on one plan row's text.
const (
	maxLabelLen  = 200 // skill, scheduling unit (bytes)
	maxNumberLen = 40
)

// ParseRow checks one CSV record against the plan format and fills r.
// Numbers must be finite and non-negative, percentages at most 100; a
// number that is not already a JSON number (like "007" or ".5") is stored
// in its canonical form ("7", "0.5").
func ParseRow(rec []string, r *lifecycle.PlanRow) error {
	if len(rec) != len(Columns) {
		return fmt.Errorf("has %d columns, want %d (%s)", len(rec), len(Columns), strings.Join(Columns, ","))
	}
	f := fields(r)
	r.ID = 0
	if !isDate(rec[0]) {
		return fmt.Errorf("interval_start %q is not a date (YYYY-MM-DD)", rec[0])
	}
	*f[0] = rec[0]
	switch rec[1] {
	case "day", "week", "month":
		*f[1] = rec[1]
	default:
		return fmt.Errorf("interval %q is not day, week or month", rec[1])
	}
	for i := 2; i <= 3; i++ {
		if err := checkLabel(Columns[i], rec[i]); err != nil {
			return err
		}
		*f[i] = rec[i]
	}
	for i := 4; i < len(rec); i++ {
		n, err := canonicalNumber(rec[i], strings.HasSuffix(Columns[i], "_pct"))
		if err != nil {
			return fmt.Errorf("%s %q %w", Columns[i], truncate(rec[i]), err)
		}
		*f[i] = n
	}
	return nil
}

// isDate reports whether s is a real calendar date written YYYY-MM-DD.
func isDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' || !allDigits(s[:4]) || !allDigits(s[5:7]) || !allDigits(s[8:]) {
		return false
	}
	y, _ := strconv.Atoi(s[:4])
	m, _ := strconv.Atoi(s[5:7])
	d, _ := strconv.Atoi(s[8:])
	if m < 1 || m > 12 || d < 1 {
		return false
	}
	// time.Date normalises 30 February to 2 March: a real date survives.
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	return t.Day() == d
}

// formulaStarts are the first characters that make a spreadsheet read a
// cell as a formula (or, tab and carriage return, hide one), the OWASP list
// for CSV injection. A label starting with one is refused rather than
// escaped, so that what is exported is exactly what was imported.
const formulaStarts = "=+-@\t\r"

func checkLabel(column, v string) error {
	switch {
	case strings.TrimSpace(v) == "":
		return fmt.Errorf("%s is empty", column)
	case strings.ContainsAny(v[:1], formulaStarts):
		return fmt.Errorf("%s %q starts with %q, which a spreadsheet would read as a formula", column, truncate(v), v[:1])
	case len(v) > maxLabelLen:
		return fmt.Errorf("%s is longer than %d bytes", column, maxLabelLen)
	case !utf8.ValidString(v):
		return fmt.Errorf("%s is not valid UTF-8", column)
	}
	for _, c := range v {
		if unicode.IsControl(c) {
			return fmt.Errorf("%s %q contains a control character", column, v)
		}
	}
	return nil
}

func truncate(s string) string {
	if len(s) > maxNumberLen {
		return s[:maxNumberLen] + "…"
	}
	return s
}

var (
	errNotNumber = errors.New("is not a number")
	errNegative  = errors.New("is negative")
	errTooLarge  = errors.New("is too large")
	errOver100   = errors.New("is over 100")
)

// canonicalNumber checks a plain decimal number (digits, an optional
// fraction, an optional exponent; no sign, no hex, no Inf or NaN) and
// returns it as a JSON number: unchanged when it already is one, otherwise
// with leading zeros and a bare '.' fixed, keeping every digit given.
func canonicalNumber(s string, percent bool) (string, error) {
	if s == "" || len(s) > maxNumberLen {
		return "", errNotNumber
	}
	if s[0] == '-' {
		return "", errNegative
	}
	mant, exp := s, ""
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant, exp = s[:i], s[i:]
		e := exp[1:]
		if e != "" && (e[0] == '+' || e[0] == '-') {
			e = e[1:]
		}
		if !allDigits(e) {
			return "", errNotNumber
		}
	}
	intPart, frac, hasDot := strings.Cut(mant, ".")
	if !allDigits(intPart) && intPart != "" || !allDigits(frac) && frac != "" || intPart == "" && frac == "" {
		return "", errNotNumber
	}
	canonInt := strings.TrimLeft(intPart, "0")
	if canonInt == "" {
		canonInt = "0"
	}
	if exp != "" {
		// Only an exponent can take a number of at most maxNumberLen
		// characters out of float64's range.
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return "", errTooLarge
			}
			return "", errNotNumber
		}
		if percent && v > 100 {
			return "", errOver100
		}
	} else if percent && over100(canonInt, frac) {
		return "", errOver100
	}
	if canonInt == intPart && (!hasDot || frac != "") {
		return s, nil // already a JSON number
	}
	out := canonInt
	if frac != "" {
		out += "." + frac
	}
	return out + exp, nil
}

// over100 compares a plain decimal (integer part without leading zeros,
// fraction) with 100 without converting it to a float.
func over100(intPart, frac string) bool {
	switch {
	case len(intPart) > 3:
		return true
	case len(intPart) < 3 || intPart < "100":
		return false
	case intPart > "100":
		return true
	}
	return strings.Trim(frac, "0") != ""
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Reader reads plan rows from a CSV file whose first line is exactly
// Header (a UTF-8 byte order mark before it is allowed). Its errors
// name the line of the file they are about.
type Reader struct {
	csv *csv.Reader
}

// NewReader reads and checks the header line.
func NewReader(r io.Reader) (*Reader, error) {
	cr := csv.NewReader(&bomSkipper{r: r})
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	rec, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("line 1: the file is empty; want the header " + strings.TrimSpace(Header))
	}
	if err != nil {
		return nil, csvError(err)
	}
	if strings.Join(rec, ",") != strings.TrimSpace(Header) || len(rec) != len(Columns) {
		return nil, fmt.Errorf("line 1: the header must be exactly %s", strings.TrimSpace(Header))
	}
	return &Reader{csv: cr}, nil
}

// Read fills r with the next row; it returns io.EOF after the last one.
func (p *Reader) Read(r *lifecycle.PlanRow) error {
	rec, err := p.csv.Read()
	if err == io.EOF {
		return io.EOF
	}
	if err != nil {
		return csvError(err)
	}
	if err := ParseRow(rec, r); err != nil {
		line, _ := p.csv.FieldPos(0)
		return fmt.Errorf("line %d: %w", line, err)
	}
	return nil
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("line %d: %v", pe.Line, pe.Err)
	}
	return fmt.Errorf("reading CSV: %w", err)
}

// bomSkipper drops a UTF-8 byte order mark at the start of a stream.
type bomSkipper struct {
	r       io.Reader
	checked bool
	buf     []byte
}

func (b *bomSkipper) Read(p []byte) (int, error) {
	if !b.checked {
		b.checked = true
		head := make([]byte, 3)
		n, err := io.ReadFull(b.r, head)
		head = head[:n]
		if !bytes.Equal(head, []byte("\xef\xbb\xbf")) {
			b.buf = head
		}
		if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
			return 0, err
		}
	}
	if len(b.buf) > 0 {
		n := copy(p, b.buf)
		b.buf = b.buf[n:]
		return n, nil
	}
	return b.r.Read(p)
}

// AppendCSV appends r as one CSV line, quoting a field only where
// encoding/csv's Writer would.
func AppendCSV(dst []byte, r *lifecycle.PlanRow) []byte {
	return append(lifecycle.AppendPlanLine(dst, r), '\n')
}

// AppendJSON appends r as one JSON object: the text fields as JSON
// strings and the numbers as JSON numbers, written from their stored text.
func AppendJSON(dst []byte, r *lifecycle.PlanRow) []byte {
	dst = append(dst, '{')
	for i, f := range fields(r) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, Columns[i]...)
		dst = append(dst, '"', ':')
		if i < 4 {
			dst = appendJSONString(dst, *f)
		} else {
			dst = append(dst, *f...)
		}
	}
	return append(dst, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

// fields points at the row's values in Columns order.
func fields(r *lifecycle.PlanRow) [11]*string {
	return [11]*string{&r.IntervalStart, &r.Interval, &r.Skill, &r.SchedulingUnit,
		&r.Volume, &r.AHTSeconds, &r.FTERequired, &r.FTEPlanned,
		&r.ServiceLevelPct, &r.ASASeconds, &r.OccupancyPct}
}
