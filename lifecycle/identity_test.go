package lifecycle_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/lifecycle/webhook"
	"esp/store/storetest"
)

// recordingGateway is a webhook receiver that answers 204 and keeps every
// event it received.
func recordingGateway(t *testing.T) (*webhook.Activator, func() []lifecycle.Event) {
	t.Helper()
	rec := &hookRecorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	act, err := webhook.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return act, func() []lifecycle.Event {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		var evs []lifecycle.Event
		for i, b := range rec.bodies {
			var ev lifecycle.Event
			if err := json.Unmarshal(b, &ev); err != nil {
				t.Fatal(err)
			}
			if got := rec.heads[i].Get("Idempotency-Key"); got != ev.IdempotencyKey {
				t.Fatalf("Idempotency-Key header %q, event's key %q", got, ev.IdempotencyKey)
			}
			evs = append(evs, ev)
		}
		return evs
	}
}

// A credential generated after its predecessor was purged is a new
// identity: a new id and new idempotency keys at the gateway, and the
// predecessor's audit trail stays its own.
func TestCredentialAfterPurgeIsANewIdentity(t *testing.T) {
	act, events := recordingGateway(t)
	f := newFixture(t, act, lifecycle.Config{PurgeAfter: time.Hour, PurgeEvery: time.Hour})
	first := f.generate(t)
	f.tick(t)
	f.deactivate(t)
	f.tick(t)
	if got := f.status(t); got != lifecycle.Deactivated {
		t.Fatalf("status=%s, want %s", got, lifecycle.Deactivated)
	}
	f.clock.Add(2 * time.Hour)
	if r := f.tick(t); r.Purged != 1 {
		t.Fatalf("the scheduler purged %d, want 1", r.Purged)
	}
	second := f.generate(t)
	f.tick(t)
	if got := f.status(t); got != lifecycle.Activated {
		t.Fatalf("status=%s, want %s", got, lifecycle.Activated)
	}

	if first.Credential.ID == second.Credential.ID {
		t.Fatalf("the new credential got the purged one's id %d", first.Credential.ID)
	}
	activations := map[string]int64{} // idempotency key -> credential id
	for _, ev := range events() {
		if ev.Action != lifecycle.ActionActivate {
			continue
		}
		if id, seen := activations[ev.IdempotencyKey]; seen {
			t.Fatalf("idempotency key %q sent for credential %d and again for credential %d", ev.IdempotencyKey, id, ev.CredentialID)
		}
		activations[ev.IdempotencyKey] = ev.CredentialID
	}
	if len(activations) != 2 {
		t.Fatalf("activation events by key: %v, want two", activations)
	}

	trail := func(id int64) (actions []string) {
		for _, e := range storetest.AuditTrail(t, f.store, f.tenant.ID, id) {
			actions = append(actions, string(e.Action))
		}
		return actions
	}
	if got, want := trail(first.Credential.ID), []string{"generate", "activate", "deactivate", "confirm_deactivation", "purge"}; !slices.Equal(got, want) {
		t.Fatalf("first credential's trail %v, want %v", got, want)
	}
	if got, want := trail(second.Credential.ID), []string{"generate", "activate"}; !slices.Equal(got, want) {
		t.Fatalf("second credential's trail %v, want %v", got, want)
	}
}

// Two databases give their first credentials the same id; the gateway
// still sees two different idempotency keys (a restored backup, a second
// installation on one gateway).
func TestIdempotencyKeysDifferAcrossDatabases(t *testing.T) {
	act, events := recordingGateway(t)
	a := newFixture(t, act, lifecycle.Config{})
	b := newFixture(t, act, lifecycle.Config{})
	ka, kb := a.generate(t), b.generate(t)
	a.tick(t)
	b.tick(t)
	if ka.Credential.ID != kb.Credential.ID {
		t.Fatalf("ids %d and %d: the test needs equal ids", ka.Credential.ID, kb.Credential.ID)
	}
	evs := events()
	if len(evs) != 2 {
		t.Fatalf("%d events, want 2", len(evs))
	}
	if evs[0].IdempotencyKey == evs[1].IdempotencyKey {
		t.Fatalf("two credentials share the idempotency key %q", evs[0].IdempotencyKey)
	}
	for _, ev := range evs {
		if want := lifecycle.IdempotencyKey(ev.CredentialID, ev.AccessKey, ev.Action); ev.IdempotencyKey != want {
			t.Fatalf("idempotency key %q, want the documented %q", ev.IdempotencyKey, want)
		}
	}
}
