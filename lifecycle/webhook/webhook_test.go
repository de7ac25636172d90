package webhook_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
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
