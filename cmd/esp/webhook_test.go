package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"esp/lifecycle"
)

// The parts of the webhook settings that may be credentials.
var webhookSecrets = []string{"hookuser", "hookpass-s3cr3t", "QuerySecretTok", "token=", "short-s3cr3t", "long-enough-s3cr3t"}

func assertNoWebhookSecrets(t *testing.T, what, text string) {
	t.Helper()
	for _, s := range webhookSecrets {
		if strings.Contains(text, s) {
			t.Errorf("%s carries %q:\n%s", what, s, text)
		}
	}
}

// Bad webhook settings stop esp serve with one line that quotes neither the
// URL's user, password and query nor the secret.
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
		{"short secret", []string{"ESP_WEBHOOK_SECRET=short-s3cr3t"}, append(hook, "http://127.0.0.1:1/hook"), "at least 16 characters"},
		{"secret without webhook", nil, []string{"serve", "--webhook-secret", "long-enough-s3cr3t"}, "needs --activator webhook"},
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
// only; an activator without a secret is reported once, at start.
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
	if n := strings.Count(logs, "webhook events are not signed"); n != 1 {
		t.Errorf("the unsigned warning appears %d times, want once:\n%s", n, logs)
	}
}

// With ESP_WEBHOOK_SECRET set, every event carries an ESP-Signature that
// the gateway verifies on its own, and the start reports nothing unsigned.
func TestServeSignsWebhookEvents(t *testing.T) {
	const secret = "long-enough-s3cr3t-for-hmac"
	t.Setenv("ESP_WEBHOOK_SECRET", secret)
	dir := t.TempDir()
	ids := pendingCredentials(t, dir, 1)
	var good, bad atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !validSignature(secret, r.Header.Get("ESP-Signature"), body, time.Now()) {
			bad.Add(1)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		good.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hook.Close()
	p := startServe(t, dir, "--activator", "webhook", "--webhook-url", hook.URL, "--tick", "100ms")
	waitStatuses(t, dir, ids, lifecycle.Activated, 20*time.Second)
	if err := p.stop(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	if good.Load() == 0 || bad.Load() != 0 {
		t.Fatalf("signed events: %d good, %d bad", good.Load(), bad.Load())
	}
	if logs := p.stderr.String(); strings.Contains(logs, "not signed") || strings.Contains(logs, secret) {
		t.Fatalf("the logs report unsigned events or carry the secret:\n%s", logs)
	}
}

// validSignature is a gateway's check of an ESP-Signature header
// "t=T,v1=HEX": HEX is the HMAC-SHA256 of T + "." + body, T at most 5
// minutes old.
func validSignature(secret, header string, body []byte, now time.Time) bool {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || now.Sub(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	got, err := hex.DecodeString(sig)
	return err == nil && hmac.Equal(got, mac.Sum(nil))
}
