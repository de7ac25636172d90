package lifecycle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Action is what an activator is asked to do.
type Action string

// The two activator actions.
const (
	ActionActivate   Action = "activate"
	ActionDeactivate Action = "deactivate"
)

// Event describes one credential to provision or remove. It never carries
// the secret key.
type Event struct {
	CredentialID   int64  `json:"credential_id"`
	TenantID       int64  `json:"tenant_id"`
	AccessKey      string `json:"access_key"`
	Action         Action `json:"action"`
	IdempotencyKey string `json:"idempotency_key"`
	Attempt        int    `json:"attempt"`
}

// IdempotencyKey names one action on one credential for the gateway, e.g.
// esp-credential-12-MZXW6YTBOI4DQNRXGQ2DAMBS-activate. Beside the id it
// carries the random part of the credential's access key, so no two
// credentials ever share a key, also where ids repeat (a database restored
// from a backup, two installations on one gateway).
func IdempotencyKey(credentialID int64, accessKey string, action Action) string {
	return fmt.Sprintf("esp-credential-%d-%s-%s", credentialID, strings.TrimPrefix(accessKey, AccessKeyPrefix), action)
}

// ErrPermanent marks an activator failure that retrying cannot fix: the
// credential fails at once instead of at its timeout.
var ErrPermanent = errors.New("permanent activator failure")

// Activator provisions credentials where API requests are authenticated and
// removes them on deactivation.
type Activator interface {
	Apply(ctx context.Context, ev Event) error
}

// LocalActivator is the default: the built-in public API is the gateway and
// reads the credential's status, so there is nothing to provision.
type LocalActivator struct{}

// Apply succeeds at once.
func (LocalActivator) Apply(context.Context, Event) error { return nil }

// WebhookActivator POSTs each event as JSON to an external gateway's hook.
// A 2xx answer is success; anything else is retried by the scheduler until
// the credential's timeout.
type WebhookActivator struct {
	URL    string
	Client *http.Client
}

// NewWebhookActivator checks rawURL and returns an activator posting to it.
func NewWebhookActivator(rawURL string) (*WebhookActivator, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("webhook URL %q must be an absolute http or https URL", rawURL)
	}
	return &WebhookActivator{URL: rawURL, Client: &http.Client{Timeout: 10 * time.Second}}, nil
}

// Apply posts one event.
func (w *WebhookActivator) Apply(ctx context.Context, ev Event) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", ev.IdempotencyKey)
	req.Header.Set("User-Agent", "esp-activator/1")
	resp, err := w.Client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook: answered %s", resp.Status)
	}
	return nil
}
