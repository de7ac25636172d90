package mail_test

import (
	"strings"
	"testing"

	"esp/lifecycle"
	"esp/lifecycle/mail"
)

// The expiry's messages: each reminder says in how many days and when the
// credentials expire; the expiry says when; the deactivation it requests
// gives expiry as the reason. Each names the tenant and the last 4, and
// links to the window.
func TestExpiryNoticesSayWhenAndWhy(t *testing.T) {
	for _, tc := range []struct {
		event          lifecycle.AuditEvent
		detail         string
		subject, lines string
	}{
		{lifecycle.AuditRemindExpiry30, "2027-01-06 09:14:02 UTC", "[ESP demo] API credentials ••••WXYZ expire in 30 days",
			"The API credentials expire in 30 days.|Expires: 2027-01-06 09:14:02 UTC"},
		{lifecycle.AuditRemindExpiry7, "2026-12-14 09:14:02 UTC", "expire in 7 days", "Expires: 2026-12-14 09:14:02 UTC"},
		{lifecycle.AuditRemindExpiry1, "2026-12-08 09:14:02 UTC", "expire in 1 day", "Expires: 2026-12-08 09:14:02 UTC"},
		{lifecycle.AuditExpire, "2026-12-07 09:14:02 UTC", "[ESP demo] API credentials ••••WXYZ expired",
			"no longer authenticate.|Expired: 2026-12-07 09:14:02 UTC"},
		{lifecycle.AuditDeactivate, "The credentials reached their expiry (2026-12-07 09:14:02 UTC).", "deactivation requested",
			"requested by ESP.|Reason: The credentials reached their expiry (2026-12-07 09:14:02 UTC)."},
	} {
		n := notice()
		n.Event, n.Detail = tc.event, tc.detail
		m, err := mail.Compose(n, "https://esp.example", "esp.example")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.Subject, tc.subject) {
			t.Errorf("%s: subject %q, want %q", tc.event, m.Subject, tc.subject)
		}
		for _, want := range append(strings.Split(tc.lines, "|"), "Tenant:      demo", "••••WXYZ", "2026-12-07 09:14:02 UTC",
			"https://esp.example/api-credentials") {
			if !strings.Contains(m.Text, want) {
				t.Errorf("%s: text lacks %q:\n%s", tc.event, want, m.Text)
			}
		}
	}
}
