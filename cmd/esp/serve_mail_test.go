package main

import (
	"strings"
	"testing"
	"time"
)

// --smtp-url and --mail-from (or their ESP_ twins) turn email on, with
// --public-url for the links; one without the other, a bad URL or a bad
// address is refused, and no error quotes the SMTP password.
func TestServeMailFlags(t *testing.T) {
	getenv := func(m map[string]string) env { return env{getenv: func(k string) string { return m[k] }} }
	cfg, err := parseServe(getenv(nil), []string{"--smtp-url", "smtp://esp:pw@mail.example:587", "--mail-from", "esp@example.com",
		"--public-url", "https://esp.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if m := cfg.app.Mail; m == nil || m.SMTPURL != "smtp://esp:pw@mail.example:587" || m.From != "esp@example.com" || m.PublicURL != "https://esp.example.com" {
		t.Fatalf("mail config %+v", cfg.app.Mail)
	}
	cfg, err = parseServe(getenv(map[string]string{"ESP_SMTP_URL": "smtps://mail.example", "ESP_MAIL_FROM": "esp@example.com",
		"ESP_PUBLIC_URL": "http://esp.test:8080"}), nil)
	if err != nil || cfg.app.Mail == nil || cfg.app.Mail.SMTPURL != "smtps://mail.example" || cfg.app.Mail.PublicURL != "http://esp.test:8080" {
		t.Fatalf("from the environment: %+v, %v", cfg.app.Mail, err)
	}
	if cfg, err := parseServe(getenv(nil), nil); err != nil || cfg.app.Mail != nil {
		t.Fatalf("without --smtp-url: %+v, %v; want notifications off", cfg.app.Mail, err)
	}
	for _, args := range [][]string{
		{"--smtp-url", "smtp://esp:hunter2-pw@mail.example"},
		{"--mail-from", "esp@example.com"},
		{"--smtp-url", "http://esp:hunter2-pw@mail.example", "--mail-from", "esp@example.com"},
		{"--smtp-url", "smtp://esp:hunter2-pw@mail.example:99999", "--mail-from", "esp@example.com"},
		{"--smtp-url", "smtp://esp:hunter2-pw@mail.example", "--mail-from", "not an address"},
		{"--smtp-url", "smtp://esp:hunter2-pw@mail.example", "--mail-from", "esp@example.com", "--public-url", "esp.example.com"},
	} {
		_, err := parseServe(getenv(nil), args)
		if err == nil {
			t.Errorf("%v accepted", args)
		} else if strings.Contains(err.Error(), "hunter2-pw") {
			t.Errorf("%v: the error quotes the password: %v", args, err)
		}
	}
}

// Without --smtp-url, esp serve says at start, on the console and in the
// log, that notifications are off; with it, it names the server without
// its password.
func TestServeSaysWhetherNotificationsAreOn(t *testing.T) {
	p := startServe(t, t.TempDir())
	if !strings.Contains(p.Banner, "Email notifications are off") {
		t.Fatalf("banner does not say notifications are off:\n%s", p.Banner)
	}
	waitFor(t, func() bool { return strings.Contains(p.stderr.String(), "email notifications are off") })
	p = startServe(t, t.TempDir(), "--smtp-url", "smtp://esp:hunter2-pw@127.0.0.1:2525", "--mail-from", "esp@example.com")
	if !strings.Contains(p.Banner, "Email notifications go out through smtp://127.0.0.1:2525") {
		t.Fatalf("banner does not name the SMTP server:\n%s", p.Banner)
	}
	waitFor(t, func() bool { return strings.Contains(p.stderr.String(), "email notifications are on") })
	if strings.Contains(p.Banner+p.stderr.String(), "hunter2-pw") {
		t.Fatal("the SMTP password was printed")
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
	}
}
