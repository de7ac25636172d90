package mail_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"mime"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/lifecycle/mail"
	"esp/lifecycle/mail/mailtest"
)

func notice() lifecycle.Notice {
	return lifecycle.Notice{ID: 7, AuditID: 123, UserID: 7, To: "alice@acme.test", TenantName: "demo",
		At: time.Date(2026, 12, 7, 9, 14, 2, 0, time.UTC), Event: lifecycle.AuditConfirmDeactivation,
		Actor: "scheduler", AccessLast4: "WXYZ"}
}

func newSender(t *testing.T, cfg mail.Config) *mail.Sender {
	t.Helper()
	if cfg.From == "" {
		cfg.From = "esp@esp.example"
	}
	s, err := mail.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func parse(t *testing.T, r mailtest.Received) *netmail.Message {
	t.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(r.Data))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A notice is one multipart/alternative message (text and HTML) with a
// subject that says what happened, a Message-ID derived from the audit row
// and the recipient (the same when it is sent again), and the headers of an
// automatic message; its text names the tenant, the last 4, the time in UTC
// and the window's link.
func TestNoticeMessageHeadersAndParts(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	s := newSender(t, mail.Config{SMTPURL: "smtp://" + srv.Addr, PublicURL: "https://esp.example/"})
	for range 2 {
		if err := s.Send(context.Background(), notice()); err != nil {
			t.Fatal(err)
		}
	}
	got := srv.Received()
	if len(got) != 2 {
		t.Fatalf("%d messages received, want 2", len(got))
	}
	for _, r := range got {
		m := parse(t, r)
		h := m.Header
		dec := new(mime.WordDecoder)
		subject, _ := dec.DecodeHeader(h.Get("Subject"))
		for name, want := range map[string]string{
			"Subject":        "[ESP demo] API credentials ••••WXYZ deactivated",
			"Message-ID":     "<esp-audit-123-to-7@esp.example>",
			"Auto-Submitted": "auto-generated",
		} {
			v := h.Get(name)
			if name == "Subject" {
				v = subject
			}
			if v != want {
				t.Errorf("%s = %q, want %q", name, v, want)
			}
		}
		if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/alternative") {
			t.Errorf("Content-Type = %q, want multipart/alternative", ct)
		}
		if len(r.To) != 1 || r.To[0] != "alice@acme.test" {
			t.Errorf("RCPT TO %v, want alice only", r.To)
		}
		body := decodedBody(t, r)
		for _, want := range []string{"demo", "••••WXYZ", "2026-12-07 09:14:02 UTC", "https://esp.example/api-credentials", "text/html"} {
			if !strings.Contains(body, want) {
				t.Errorf("message lacks %q:\n%s", want, body)
			}
		}
	}
}

// A tenant's name is escaped in the HTML part.
func TestNoticeHTMLIsEscaped(t *testing.T) {
	n := notice()
	n.TenantName = `<script>x</script>`
	m, err := mail.Compose(n, "", "esp.example")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.HTML, "<script>") || !strings.Contains(m.HTML, "&lt;script&gt;") {
		t.Fatalf("HTML part does not escape the tenant's name:\n%s", m.HTML)
	}
}

// With a server offering STARTTLS, the conversation is encrypted and the
// URL's user and password authenticate; the certificate is verified (a
// root the sender was not given fails the send).
func TestSTARTTLSAndAuthWithAVerifiedCertificate(t *testing.T) {
	serverTLS, roots := mailtest.SelfSigned(t)
	srv := mailtest.Start(t, mailtest.Options{TLS: serverTLS, Users: map[string]string{"esp": "s3cr3t-pw"}})
	url := "smtp://esp:s3cr3t-pw@" + srv.Addr
	s := newSender(t, mail.Config{SMTPURL: url, TLS: &tls.Config{RootCAs: roots}})
	if err := s.Send(context.Background(), notice()); err != nil {
		t.Fatal(err)
	}
	got := srv.Received()
	if len(got) != 1 || !got[0].TLS || got[0].User != "esp" {
		t.Fatalf("received %+v, want one message over TLS from user esp", got)
	}
	untrusting := newSender(t, mail.Config{SMTPURL: url})
	err := untrusting.Send(context.Background(), notice())
	if err == nil {
		t.Fatal("a certificate no root vouches for was accepted")
	}
	if strings.Contains(err.Error(), "s3cr3t-pw") {
		t.Fatalf("the error shows the SMTP password: %v", err)
	}
}

// smtps:// speaks TLS from the first byte.
func TestImplicitTLS(t *testing.T) {
	serverTLS, roots := mailtest.SelfSigned(t)
	srv := mailtest.Start(t, mailtest.Options{TLS: serverTLS, Implicit: true})
	s := newSender(t, mail.Config{SMTPURL: "smtps://" + srv.Addr, TLS: &tls.Config{RootCAs: roots}})
	if err := s.Send(context.Background(), notice()); err != nil {
		t.Fatal(err)
	}
	if got := srv.Received(); len(got) != 1 || !got[0].TLS {
		t.Fatalf("received %+v, want one message over TLS", got)
	}
}

// A 5xx refusal of the recipient is permanent; a 421 of a server in
// trouble is not; neither error shows the password.
func TestRefusalsArePermanentOnlyForARefusedRecipient(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	s := newSender(t, mail.Config{SMTPURL: "smtp://" + srv.Addr})
	srv.Refuse(550)
	if err := s.Send(context.Background(), notice()); !errors.Is(err, lifecycle.ErrPermanent) {
		t.Fatalf("550 to RCPT TO: err = %v, want ErrPermanent", err)
	}
	srv.Refuse(421)
	if err := s.Send(context.Background(), notice()); err == nil || errors.Is(err, lifecycle.ErrPermanent) {
		t.Fatalf("421: err = %v, want a failure to retry", err)
	}
}

// Neither New nor Send names the SMTP URL's password.
func TestSMTPPasswordNeverInErrors(t *testing.T) {
	if _, err := mail.New(mail.Config{SMTPURL: "ftp://esp:pa55word@host", From: "esp@x.example"}); err == nil || strings.Contains(err.Error(), "pa55word") {
		t.Fatalf("New: err = %v, want one without the password", err)
	}
	if _, err := mail.New(mail.Config{SMTPURL: "smtp://esp:pa55word@host:%zz", From: "esp@x.example"}); err == nil || strings.Contains(err.Error(), "pa55word") {
		t.Fatalf("New: err = %v, want one without the password", err)
	}
	s := newSender(t, mail.Config{SMTPURL: "smtp://esp:pa55word@127.0.0.1:1", Timeout: time.Second})
	err := s.Send(context.Background(), notice())
	if err == nil || strings.Contains(err.Error(), "pa55word") || strings.Contains(s.String(), "pa55word") {
		t.Fatalf("Send: err = %v, want one without the password", err)
	}
}

// decodedBody is the message's parts, decoded, one after another.
func decodedBody(t *testing.T, r mailtest.Received) string {
	t.Helper()
	return mailtest.Decode(t, r.Data)
}

// Each notified event has its own subject and a next step; a leak report
// names the report's URL; the scheduler acts as ESP.
func TestComposeTellsEachEvent(t *testing.T) {
	subjects := map[string]bool{}
	for _, e := range lifecycle.NoticeEvents() {
		n := notice()
		n.Event, n.Actor, n.Detail = e, lifecycle.UserActor("alice"), ""
		if e == lifecycle.AuditReportLeak {
			n.Actor, n.Detail = lifecycle.SecretScanningActor, "https://github.com/acme/app/blob/main/.env"
		}
		m, err := mail.Compose(n, "", "esp.example")
		if err != nil {
			t.Fatal(err)
		}
		if subjects[m.Subject] {
			t.Errorf("two events share the subject %q", m.Subject)
		}
		subjects[m.Subject] = true
		if !strings.Contains(m.Text, "What to do next: ") || strings.Contains(m.Text, "What to do next: \n") {
			t.Errorf("%s: no next step:\n%s", e, m.Text)
		}
		if e == lifecycle.AuditReportLeak && !strings.Contains(m.Text, "Report: https://github.com/acme/app/blob/main/.env") {
			t.Errorf("leak report notice lacks the report's URL:\n%s", m.Text)
		}
	}
	if len(subjects) < 7 {
		t.Fatalf("%d notified events, want at least the 7 credential events", len(subjects))
	}
	n := notice()
	m, _ := mail.Compose(n, "", "esp.example")
	if !strings.Contains(m.Text, "By:          ESP") || strings.Contains(m.Text, "api-credentials") {
		t.Errorf("scheduler's notice without a public URL:\n%s", m.Text)
	}
}

// A change of the allowed addresses is of the tenant, not of one
// credential: its message names no credential (no "••••" without a last
// 4), says who changed the list and what it now allows.
func TestAllowedAddressesNoticeNamesNoCredential(t *testing.T) {
	n := notice()
	n.Event, n.Actor, n.AccessLast4, n.Detail = lifecycle.AuditAllowedAddresses, lifecycle.UserActor("alice"), "", "203.0.113.0/24, 2001:db8::/32"
	m, err := mail.Compose(n, "https://esp.example", "esp.example")
	if err != nil {
		t.Fatal(err)
	}
	if want := "[ESP demo] API credentials: allowed addresses changed"; m.Subject != want {
		t.Errorf("subject %q, want %q", m.Subject, want)
	}
	for _, part := range []string{m.Text, m.HTML} {
		if strings.Contains(part, "••••") || strings.Contains(part, "Credentials:") || strings.Contains(part, ">Credentials<") {
			t.Errorf("the message names a credential:\n%s", part)
		}
		for _, want := range []string{"changed by alice", "Now allowed", "203.0.113.0/24, 2001:db8::/32", "ip_not_allowed"} {
			if !strings.Contains(part, want) {
				t.Errorf("the message lacks %q:\n%s", want, part)
			}
		}
	}
}
