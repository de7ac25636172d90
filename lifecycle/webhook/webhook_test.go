package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/lifecycle/webhook"
)

func TestWebhookURLMustBeHTTP(t *testing.T) {
	for _, u := range []string{"", "ftp://x", "localhost:8080", "http://", "::"} {
		if _, err := webhook.New(u); err == nil {
			t.Errorf("webhook.New(%q) accepted", u)
		}
	}
}

// The parts of a hook URL that may be credentials: none of them may be in
// an error, a log line or a metric.
var urlSecrets = []string{"hookuser", "hookpass-s3cr3t", "QuerySecretTok", "token=", "frag-secret"}

func assertNoURLSecrets(t *testing.T, what, text string) {
	t.Helper()
	for _, s := range urlSecrets {
		if strings.Contains(text, s) {
			t.Errorf("%s carries %q: %s", what, s, text)
		}
	}
}

func TestRefusedWebhookURLIsNamedWithoutItsSecrets(t *testing.T) {
	for _, u := range []string{
		"ftp://hookuser:hookpass-s3cr3t@host/x?token=QuerySecretTok",          // bad scheme
		"http://hookuser:hookpass-s3cr3t@/x?token=QuerySecretTok#frag-secret", // no host
		"http://hookuser:hookpass-s3cr3t@host:port/x?token=QuerySecretTok",    // the parser refuses it
	} {
		_, err := webhook.New(u)
		if err == nil {
			t.Fatalf("webhook.New(%q) accepted", u)
		}
		assertNoURLSecrets(t, "the error", err.Error())
	}
}

// A call that gets no answer fails with net/http's error, which names the
// URL: the hook's host and path stay, its user, password and query go.
func TestFailedCallIsNamedWithoutTheURLSecrets(t *testing.T) {
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // the server notices a closed connection only once the body is read
		<-r.Context().Done()
	}))
	defer hang.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	for name, base := range map[string]string{"timeout": hang.URL, "refused": gone.URL} {
		t.Run(name, func(t *testing.T) {
			hook := strings.Replace(base, "http://", "http://hookuser:hookpass-s3cr3t@", 1) + "/hook?token=QuerySecretTok#frag-secret"
			act, err := webhook.New(hook)
			if err != nil {
				t.Fatal(err)
			}
			act.Client.Timeout = 50 * time.Millisecond
			err = act.Apply(context.Background(), lifecycle.Event{CredentialID: 1, Action: lifecycle.ActionActivate})
			if err == nil {
				t.Fatal("the call succeeded")
			}
			if want := strings.TrimPrefix(base, "http://") + "/hook"; !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name the hook %s", err, want)
			}
			assertNoURLSecrets(t, "the error", err.Error())
		})
	}
}

const hookSecret = "whsec-test-0123456789abcdef"

// A known answer, computed with
// printf '%s' '1767225600.{"action":"activate"}' | openssl dgst -sha256 -hmac whsec-test-0123456789abcdef
func TestSignatureKnownAnswer(t *testing.T) {
	got := webhook.Signature([]byte(hookSecret), time.Unix(1767225600, 0), []byte(`{"action":"activate"}`))
	if want := "t=1767225600,v1=2fe8e01ee0f56f4b48ce85c6471f3e16622d5be55e8b39eb75b55dbfff12d820"; got != want {
		t.Fatalf("signature %q, want %q", got, want)
	}
}

// verifySignature is the check docs/operations.md (Activation) shows gateway authors, written
// from that description and not from the activator's code.
func verifySignature(secret, header string, body []byte, now time.Time) error {
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
	if err != nil {
		return fmt.Errorf("no timestamp in %q", header)
	}
	if age := now.Sub(time.Unix(sec, 0)); age > 5*time.Minute || age < -5*time.Minute {
		return fmt.Errorf("timestamp %s old", age)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	got, err := hex.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
		return errors.New("signature does not match")
	}
	return nil
}

// signedCall is one request as the gateway got it.
type signedCall struct {
	header string
	body   []byte
}

func callOnce(t *testing.T, opts ...webhook.Option) signedCall {
	t.Helper()
	var mu sync.Mutex
	var got signedCall
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		got = signedCall{r.Header.Get(webhook.SignatureHeader), b}
	}))
	defer gw.Close()
	act, err := webhook.New(gw.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ev := lifecycle.Event{CredentialID: 7, TenantID: 3, AccessKey: lifecycle.NewAccessKey(), Action: lifecycle.ActionActivate, Attempt: 1}
	if err := act.Apply(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	return got
}

func TestEventsAreSignedWithTheSecret(t *testing.T) {
	got := callOnce(t, webhook.WithSecret(hookSecret))
	if err := verifySignature(hookSecret, got.header, got.body, time.Now()); err != nil {
		t.Fatalf("%s: %q", err, got.header)
	}
	// The check can fail: another key, a changed body, an old event.
	if verifySignature("another-secret-0123456789", got.header, got.body, time.Now()) == nil ||
		verifySignature(hookSecret, got.header, append(got.body, ' '), time.Now()) == nil ||
		verifySignature(hookSecret, got.header, got.body, time.Now().Add(6*time.Minute)) == nil {
		t.Fatal("the gateway's check passes what it must refuse")
	}
}

func TestEventsWithoutASecretAreUnsigned(t *testing.T) {
	if got := callOnce(t, webhook.WithSecret("")); got.header != "" || len(got.body) == 0 {
		t.Fatalf("signature %q on %q, want none", got.header, got.body)
	}
}
