package webhook_test

import (
	"testing"

	"esp/lifecycle/webhook"
)

func TestWebhookURLMustBeHTTP(t *testing.T) {
	for _, u := range []string{"", "ftp://x", "localhost:8080", "http://", "::"} {
		if _, err := webhook.New(u); err == nil {
			t.Errorf("webhook.New(%q) accepted", u)
		}
	}
}
