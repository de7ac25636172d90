package lifecycle_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"esp/lifecycle"
	"esp/lifecycle/webhook"
)

// A webhook event carries exactly the credential's id, its tenant, its
// access key, the action, the idempotency key and the attempt: no other
// field, and nothing made from the secret key (the secret, its SHA-256 in
// any common encoding, its last 4 characters).
func TestWebhookEventCarriesExactlyItsFields(t *testing.T) {
	rec := &hookRecorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	act, err := webhook.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, act, lifecycle.Config{})
	k := f.generate(t)
	f.tick(t)
	f.deactivate(t)
	f.tick(t)
	if got := f.status(t); got != lifecycle.Deactivated {
		t.Fatalf("status=%s, want %s", got, lifecycle.Deactivated)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.bodies) != 2 {
		t.Fatalf("webhook calls=%d, want 2", len(rec.bodies))
	}
	for i, action := range []lifecycle.Action{lifecycle.ActionActivate, lifecycle.ActionDeactivate} {
		want := map[string]any{
			"credential_id":   json.Number(strconv.FormatInt(k.Credential.ID, 10)),
			"tenant_id":       json.Number(strconv.FormatInt(f.tenant.ID, 10)),
			"access_key":      k.AccessKey,
			"action":          string(action),
			"idempotency_key": lifecycle.IdempotencyKey(k.Credential.ID, k.AccessKey, action),
			"attempt":         json.Number("1"),
		}
		dec := json.NewDecoder(bytes.NewReader(rec.bodies[i]))
		dec.UseNumber()
		var got map[string]any
		if err := dec.Decode(&got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s event:\n got %v\nwant %v", action, got, want)
		}
		expected, _ := json.Marshal(want)
		assertNothingFromSecret(t, string(action), string(rec.bodies[i]), string(expected), k.SecretKey)
	}
}

// assertNothingFromSecret fails if body holds the secret or a value made
// from it. Its last 4 characters are short enough to occur by chance in
// the expected fields, so body may hold them no more often than expected.
func assertNothingFromSecret(t *testing.T, what, body, expected, secret string) {
	t.Helper()
	var forms []string
	for _, s := range []string{secret, strings.TrimPrefix(secret, lifecycle.SecretKeyPrefix)} {
		sum := sha256.Sum256([]byte(s))
		forms = append(forms, s, hex.EncodeToString(sum[:]), strings.ToUpper(hex.EncodeToString(sum[:])),
			base64.StdEncoding.EncodeToString(sum[:]), base64.RawStdEncoding.EncodeToString(sum[:]),
			base64.URLEncoding.EncodeToString(sum[:]), base64.RawURLEncoding.EncodeToString(sum[:]))
	}
	for _, form := range forms {
		if strings.Contains(body, form) {
			t.Errorf("%s event carries %q, made from the secret: %s", what, form, body)
		}
	}
	last4 := lifecycle.Last4(secret)
	if strings.Count(body, last4) > strings.Count(expected, last4) {
		t.Errorf("%s event carries the secret's last 4 characters %q: %s", what, last4, body)
	}
}
