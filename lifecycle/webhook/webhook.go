// Package webhook is the activator for an external gateway: it POSTs each
// activator event as JSON to the gateway's hook, signed when it has a secret.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"esp/lifecycle"
)

// Activator POSTs each event as JSON to an external gateway's hook. A 2xx
// answer is success; anything else, a redirect included, is retried by the
// scheduler until the credential's timeout. A redirect is never followed:
// the event goes to the hook that was configured or nowhere.
type Activator struct {
	// Client makes the calls; whatever its CheckRedirect, Apply follows no
	// redirect.
	Client *http.Client
	url    string // the hook as configured; it may hold a user, password or query
	shown  string // the hook as errors name it: see Redact
	secret []byte // keys the ESP-Signature header; nil sends events unsigned
	now    func() time.Time
}

// Option sets up an Activator in New.
type Option func(*Activator)

// WithSecret signs every event with secret (see Signature). An empty
// secret leaves events unsigned.
func WithSecret(secret string) Option {
	return func(a *Activator) {
		if secret != "" {
			a.secret = []byte(secret)
		}
	}
}

// New checks rawURL and returns an activator posting to it. Its errors name
// the URL only as Redact prints it.
func New(rawURL string, opts ...Option) (*Activator, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// The parser's own error quotes the URL whole, secrets included.
		return nil, errors.New("webhook URL must be an absolute http or https URL")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("webhook URL %q must be an absolute http or https URL", Redact(u))
	}
	a := &Activator{
		Client: &http.Client{Timeout: 10 * time.Second, CheckRedirect: refuseRedirect},
		url:    rawURL,
		shown:  Redact(u),
		now:    time.Now,
	}
	for _, o := range opts {
		o(a)
	}
	return a, nil
}

// Signed reports whether the activator signs its events.
func (w *Activator) Signed() bool { return w.secret != nil }

// Remote is true: the gateway holds the keys it was asked to activate.
func (w *Activator) Remote() bool { return true }

// Apply posts one event.
func (w *Activator) Apply(ctx context.Context, ev lifecycle.Event) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook: %w", w.hideURL(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", ev.IdempotencyKey)
	req.Header.Set("User-Agent", "esp-activator/1")
	if w.secret != nil {
		req.Header.Set(SignatureHeader, Signature(w.secret, w.now(), body))
	}
	client := *w.Client
	client.CheckRedirect = refuseRedirect
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", w.hideURL(err))
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook: answered %s", resp.Status)
	}
	return nil
}

// refuseRedirect makes the client hand back a 3xx as the answer instead of
// following it: a redirect would send the event (or a bodiless GET whose 2xx
// proves nothing) to another host, with the hook's URL as its Referer.
func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// hideURL replaces the URL that net/http puts in its *url.Error with the
// redacted one, keeping the operation and the cause.
func (w *Activator) hideURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: w.shown, Err: ue.Err}
	}
	return err
}

// Redact is a hook URL as logs and errors may print it: scheme, host and
// path, without the user, password, query and fragment, which may each be
// a credential.
func Redact(u *url.URL) string {
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return r.String()
}
