package views

import "strconv"

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

// planPeriod is "first – last", one date when they are equal, "—" when unknown.
func planPeriod(p PlanSummary) string {
	switch {
	case p.First == "" && p.Last == "":
		return "—"
	case p.First == p.Last || p.Last == "":
		return p.First
	case p.First == "":
		return p.Last
	default:
		return p.First + " – " + p.Last
	}
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
