package lifecycle_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/lifecycle/webhook"
)

// hitCounter is a server that answers 200 to everything and counts the
// requests it gets and those that carry a Referer.
type hitCounter struct {
	mu            sync.Mutex
	hits, referer int
}

func (h *hitCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hits++
	if r.Header.Get("Referer") != "" {
		h.referer++
	}
}

func (h *hitCounter) counts() (hits, referer int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hits, h.referer
}

// redirectingGateway answers 204 to the events whose action is not
// redirected, and code with a Location on another host to the others.
func redirectingGateway(t *testing.T, code int, redirected lifecycle.Action, elsewhere string) (*httptest.Server, *hitCounter) {
	t.Helper()
	seen := &hitCounter{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.ServeHTTP(w, r)
		var ev lifecycle.Event
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		if ev.Action != redirected {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Location", elsewhere+"/hook?from=gateway")
		w.WriteHeader(code)
	}))
	t.Cleanup(srv.Close)
	return srv, seen
}

// A gateway's 3xx is an answer that is not 2xx: the activator never follows
// it (the other host gets no request, so no event, no Referer and no 2xx
// that would count as success), and the call is retried until the timeout
// fails the credential.
func TestWebhookRedirectIsRetriedNeverFollowed(t *testing.T) {
	for _, code := range []int{301, 302, 303, 307, 308} {
		for _, action := range []lifecycle.Action{lifecycle.ActionActivate, lifecycle.ActionDeactivate} {
			t.Run(fmt.Sprintf("%s/%d", action, code), func(t *testing.T) { redirectedUntilTimeout(t, code, action) })
		}
	}
}

func redirectedUntilTimeout(t *testing.T, code int, action lifecycle.Action) {
	other := &hitCounter{}
	elsewhere := httptest.NewServer(other)
	defer elsewhere.Close()
	gw, seen := redirectingGateway(t, code, action, elsewhere.URL)
	act, err := webhook.New(gw.URL + "/hook?token=hook-query-secret")
	if err != nil {
		t.Fatal(err)
	}
	cfg := lifecycle.Config{ActivationTimeout: time.Hour, DeactivationTimeout: time.Hour, RetryBase: time.Second, RetryMax: 10 * time.Minute}
	f := newFixture(t, act, cfg)
	f.generate(t)
	want := lifecycle.ActivationFailed
	if action == lifecycle.ActionDeactivate {
		f.tick(t)
		if got := f.status(t); got != lifecycle.Activated {
			t.Fatalf("status=%s, want %s", got, lifecycle.Activated)
		}
		f.deactivate(t)
		want = lifecycle.DeactivationFailed
	}
	for range 30 {
		f.tick(t)
		f.clock.Add(3 * time.Minute)
	}
	if hits, referer := other.counts(); hits != 0 || referer != 0 {
		t.Fatalf("the redirect's target got %d requests (%d with a Referer), want none", hits, referer)
	}
	if got := f.status(t); got != want {
		t.Fatalf("status=%s, want %s", got, want)
	}
	if hits, _ := seen.counts(); hits < 3 {
		t.Fatalf("gateway calls=%d, want the redirect retried", hits)
	}
	if _, referer := seen.counts(); referer != 0 {
		t.Fatalf("%d calls to the gateway carried a Referer", referer)
	}
}
