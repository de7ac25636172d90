package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The parts of the webhook settings that may be credentials.
var webhookSecrets = []string{"hookuser", "hookpass-s3cr3t", "QuerySecretTok", "token="}

func assertNoWebhookSecrets(t *testing.T, what, text string) {
	t.Helper()
	for _, s := range webhookSecrets {
		if strings.Contains(text, s) {
			t.Errorf("%s carries %q:\n%s", what, s, text)
		}
	}
}

// A bad webhook URL stops esp serve with one line that does not quote the
// URL's user, password and query.
func TestServeRefusesWebhookSettingsWithoutPrintingSecrets(t *testing.T) {
	dir := t.TempDir()
	hook := []string{"serve", "--activator", "webhook", "--webhook-url"}
	cases := []struct {
		name string
		vars []string
		args []string
		want string
	}{
		{"bad scheme", nil, append(hook, "ftp://hookuser:hookpass-s3cr3t@host/x?token=QuerySecretTok"), "absolute http or https URL"},
		{"unparsable", nil, append(hook, "http://hookuser:hookpass-s3cr3t@host:port/x?token=QuerySecretTok"), "absolute http or https URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := execCLIEnv(t, dir, c.vars, "", c.args...)
			if code != 2 || !strings.Contains(stderr, c.want) {
				t.Fatalf("exit=%d stderr=%q, want 2 and %q", code, stderr, c.want)
			}
			assertNoWebhookSecrets(t, "the output", stdout+stderr)
		})
	}
}

// A webhook call that fails is logged naming the hook by host and path
// only.
func TestServeLogsWebhookFailuresWithoutURLSecrets(t *testing.T) {
	dir := t.TempDir()
	pendingCredentials(t, dir, 1)
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close() // connection refused: net/http's error names the URL
	hostPath := strings.TrimPrefix(gone.URL, "http://") + "/hook"
	p := startServe(t, dir, "--activator", "webhook", "--tick", "100ms",
		"--webhook-url", "http://hookuser:hookpass-s3cr3t@"+hostPath+"?token=QuerySecretTok")
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(p.stderr.String(), "activator failed; will retry") {
		if time.Now().After(deadline) {
			t.Fatalf("no failed call logged:\n%s", p.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := p.stop(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	logs := p.stderr.String()
	assertNoWebhookSecrets(t, "the output", p.Banner+logs)
	if !strings.Contains(logs, hostPath) {
		t.Errorf("the failure does not name the hook %s:\n%s", hostPath, logs)
	}
}
