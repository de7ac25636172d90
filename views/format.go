package views

import (
	"context"
	"io"
	"strconv"
	"strings"

	"github.com/a-h/templ"
)

// pageTitle keeps the product name in every tab title.
func pageTitle(title string) string {
	if title == "" {
		return "ESP"
	}
	return title + " · ESP"
}

// intervalLabel names a plan's interval for people; "" means not known (the
// plan has no rows yet, or its summary does not say) and shows as a dash.
func intervalLabel(p PlanSummary) string {
	switch p.Interval {
	case "day":
		return "Daily"
	case "week":
		return "Weekly"
	case "month":
		return "Monthly"
	case "mixed":
		return "Mixed"
	case "":
		return "—"
	default:
		return p.Interval
	}
}

// periodDates is a plan's period as its dates: first and last, one when
// they are equal or one is unknown, none when both are unknown (shown as a
// dash). Each date is shown whole, never broken over two lines.
func periodDates(p PlanSummary) []string {
	switch {
	case p.First == "" && p.Last == "":
		return nil
	case p.First == p.Last || p.Last == "":
		return []string{p.First}
	case p.First == "":
		return []string{p.Last}
	default:
		return []string{p.First, p.Last}
	}
}

// planPeriod writes a plan's period: "—", one date, or "first – last", each
// date a <time> element that never breaks in the middle, the dash kept on
// the first date's line. It is Go rather than templ because templ would
// put spaces around the dash.
func planPeriod(p PlanSummary) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		dates := periodDates(p)
		out := ""
		if len(dates) == 0 {
			out = "—"
		}
		for i, d := range dates {
			if i > 0 {
				out += "\u00a0– "
			}
			d = templ.EscapeString(d)
			out += `<time datetime="` + d + `">` + d + `</time>`
		}
		_, err := io.WriteString(w, out)
		return err
	})
}

// orDash shows an empty value as "—".
func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// formatCount writes n with thousands separators: 1234567 → "1,234,567".
func formatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	sign := ""
	if n < 0 {
		sign, s = "-", s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return sign + string(out)
}

// shellWord is s as one word of a shell command line: as it is when it
// holds only letters, digits and ._-, else in single quotes.
func shellWord(s string) string {
	plain := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			plain = false
		}
	}
	if plain {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// keyTail names a key by its last 4 characters, "••••WXYZ", whether it is
// shown in full or masked; "" when there is no key.
func keyTail(key string) string {
	r := []rune(key)
	if len(r) < 4 {
		return ""
	}
	return "••••" + string(r[len(r)-4:])
}
