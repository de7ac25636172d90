package lifecycle_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store"
)

func TestConcurrentGenerateMakesOneLiveCredential(t *testing.T) {
	f := newFixture(t, nil, lifecycle.Config{})
	const n = 50
	var ok, conflicts atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			_, err := f.svc.Generate(context.Background(), f.tenant.ID, "user:alice")
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, store.ErrConflict):
				conflicts.Add(1)
			default:
				t.Errorf("Generate: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	if got, want := ok.Load(), int32(1); got != want {
		t.Fatalf("successful Generates=%d, want %d", got, want)
	}
	if got, want := conflicts.Load(), int32(n-1); got != want {
		t.Fatalf("conflicts=%d, want %d", got, want)
	}
	var live int
	if err := f.store.DB.QueryRow(`SELECT count(*) FROM credentials WHERE tenant_id = ?`, f.tenant.ID).Scan(&live); err != nil {
		t.Fatal(err)
	}
	if live != 1 {
		t.Fatalf("credentials=%d, want 1", live)
	}
}

func TestConcurrentDeactivateTransitionsOnce(t *testing.T) {
	f := newFixture(t, nil, lifecycle.Config{})
	f.toStatus(t, lifecycle.Activated)
	const n = 50
	var ok, conflicts atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			_, err := f.svc.Deactivate(context.Background(), f.tenant.ID, "user:alice")
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, store.ErrConflict):
				conflicts.Add(1)
			default:
				t.Errorf("Deactivate: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	if ok.Load() != 1 || conflicts.Load() != n-1 {
		t.Fatalf("ok=%d conflicts=%d, want 1 and %d", ok.Load(), conflicts.Load(), n-1)
	}
	cur, _ := f.svc.Current(context.Background(), f.tenant.ID)
	audit, err := f.store.Audit(context.Background(), cur.Credential.ID)
	if err != nil {
		t.Fatal(err)
	}
	var deact int
	for _, e := range audit {
		if e.Action == "deactivate" {
			deact++
		}
	}
	if deact != 1 {
		t.Fatalf("deactivate audit rows=%d, want 1", deact)
	}
}

func TestDatabaseRefusesSecondLiveCredential(t *testing.T) {
	f := newFixture(t, nil, lifecycle.Config{})
	f.generate(t)
	// Bypass the Go check: the partial unique index alone must refuse it.
	_, err := f.store.InsertCredential(context.Background(), store.Credential{
		TenantID: f.tenant.ID, Status: string(lifecycle.Activated), AccessKey: lifecycle.NewAccessKey(),
		SecretHash: lifecycle.HashSecret("x"), AccessLast4: "AAAA", SecretLast4: "aaaa", CreatedAt: f.clock.Now(),
	}, "test")
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second live credential: err=%v, want ErrConflict", err)
	}
}

func TestDatabaseRefusesUnknownStatus(t *testing.T) {
	f := newFixture(t, nil, lifecycle.Config{})
	_, err := f.store.InsertCredential(context.Background(), store.Credential{
		TenantID: f.tenant.ID, Status: "enabled", AccessKey: lifecycle.NewAccessKey(),
		SecretHash: lifecycle.HashSecret("x"), AccessLast4: "AAAA", SecretLast4: "aaaa", CreatedAt: f.clock.Now(),
	}, "test")
	if err == nil {
		t.Fatal("a credential with an unknown status was stored")
	}
}

func TestPendingActivationTimesOut(t *testing.T) {
	// An activator that never succeeds keeps the credential pending.
	f := newFixture(t, failingActivator{}, lifecycle.Config{})
	f.generate(t)
	f.clock.Add(23*time.Hour + 59*time.Minute)
	f.tick(t)
	if got := f.status(t); got != lifecycle.PendingActivation {
		t.Fatalf("after 23h59m: status=%s, want %s", got, lifecycle.PendingActivation)
	}
	f.clock.Add(2 * time.Minute)
	r := f.tick(t)
	if got := f.status(t); got != lifecycle.ActivationFailed {
		t.Fatalf("after 24h01m: status=%s, want %s", got, lifecycle.ActivationFailed)
	}
	if r.Failed != 1 {
		t.Fatalf("TickResult.Failed=%d, want 1", r.Failed)
	}
}

func TestPendingActivationTimesOutWithoutAnyTick(t *testing.T) {
	// The process was down for the whole day: the first tick fails it.
	f := newFixture(t, nil, lifecycle.Config{})
	f.generate(t)
	f.clock.Add(24*time.Hour + time.Minute)
	f.tick(t)
	if got := f.status(t); got != lifecycle.ActivationFailed {
		t.Fatalf("status=%s, want %s", got, lifecycle.ActivationFailed)
	}
}

func TestPendingDeactivationTimesOut(t *testing.T) {
	f := newFixture(t, nil, lifecycle.Config{DeactivationTimeout: time.Hour})
	f.toStatus(t, lifecycle.Activated)
	f.deactivate(t)
	f.wire(failingActivator{}, lifecycle.Config{DeactivationTimeout: time.Hour})
	f.clock.Add(59 * time.Minute)
	f.tick(t)
	if got := f.status(t); got != lifecycle.PendingDeactivation {
		t.Fatalf("after 59m: status=%s", got)
	}
	f.clock.Add(2 * time.Minute)
	f.tick(t)
	if got := f.status(t); got != lifecycle.DeactivationFailed {
		t.Fatalf("after 61m: status=%s, want %s", got, lifecycle.DeactivationFailed)
	}
}

func TestPermanentFailureFailsAtOnce(t *testing.T) {
	f := newFixture(t, failingActivator{permanent: true}, lifecycle.Config{})
	f.generate(t)
	f.tick(t)
	if got := f.status(t); got != lifecycle.ActivationFailed {
		t.Fatalf("status=%s, want %s", got, lifecycle.ActivationFailed)
	}
}

// deactivatedAt drives a credential to Deactivated at the clock's time.
func (f *fixture) deactivatedNow(t *testing.T) store.Credential {
	t.Helper()
	f.toStatus(t, lifecycle.Deactivated)
	cur, _ := f.svc.Current(context.Background(), f.tenant.ID)
	return cur.Credential
}

func TestPurgeBoundaries(t *testing.T) {
	f := newFixture(t, nil, lifecycle.Config{})
	f.tick(t) // the first tick on a new database is the first purge
	c := f.deactivatedNow(t)

	f.clock.Add(23*time.Hour + 59*time.Minute)
	n, err := f.sched.Purge(context.Background(), f.clock.Now())
	if err != nil || n != 0 {
		t.Fatalf("purge at 23h59m: n=%d err=%v, want 0", n, err)
	}
	if _, err := f.store.CredentialByID(context.Background(), c.ID); err != nil {
		t.Fatalf("credential deactivated 23h59m ago is gone: %v", err)
	}
	f.clock.Add(time.Minute)
	n, err = f.sched.Purge(context.Background(), f.clock.Now())
	if err != nil || n != 1 {
		t.Fatalf("purge at 24h: n=%d err=%v, want 1", n, err)
	}
	if _, err := f.store.CredentialByID(context.Background(), c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("credential deactivated 24h ago: err=%v, want ErrNotFound", err)
	}
	if got := f.status(t); got != lifecycle.None {
		t.Fatalf("window after purge: status=%s, want %s", got, lifecycle.None)
	}
	audit, _ := f.store.Audit(context.Background(), c.ID)
	if last := audit[len(audit)-1]; last.Action != "purge" {
		t.Fatalf("last audit action=%q, want purge (the trail outlives the purge)", last.Action)
	}
}

func TestWeeklyPurgeCadence(t *testing.T) {
	f := newFixture(t, nil, lifecycle.Config{})
	if r := f.tick(t); r.Purged != 0 {
		t.Fatalf("first purge deleted %d", r.Purged)
	}
	// Deactivated now; eligible from tomorrow, but the next purge is in a week.
	c := f.deactivatedNow(t)
	f.clock.Add(3 * 24 * time.Hour)
	if r := f.tick(t); r.Purged != 0 {
		t.Fatalf("second purge inside the same week deleted %d", r.Purged)
	}
	if _, err := f.store.CredentialByID(context.Background(), c.ID); err != nil {
		t.Fatal(err)
	}
	// A restart (new scheduler, same database) does not purge early either.
	f.wire(nil, lifecycle.Config{})
	f.clock.Add(3*24*time.Hour + 23*time.Hour)
	if r := f.tick(t); r.Purged != 0 {
		t.Fatalf("purge after restart inside the week deleted %d", r.Purged)
	}
	f.clock.Add(time.Hour) // exactly 7 days after the first purge
	if r := f.tick(t); r.Purged != 1 {
		t.Fatalf("weekly purge deleted %d, want 1", r.Purged)
	}
}

func TestOlderFailedCredentialsStayHistoryAfterPurge(t *testing.T) {
	f := newFixture(t, nil, lifecycle.Config{})
	f.toStatus(t, lifecycle.ActivationFailed)
	f.generate(t)
	f.tick(t)
	f.deactivate(t)
	f.tick(t)
	f.clock.Add(24 * time.Hour)
	if _, err := f.sched.Purge(context.Background(), f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if got := f.status(t); got != lifecycle.None {
		t.Fatalf("status=%s, want %s although an older failed credential remains", got, lifecycle.None)
	}
	var n int
	f.store.DB.QueryRow(`SELECT count(*) FROM credentials WHERE status = 'activation_failed'`).Scan(&n)
	if n != 1 {
		t.Fatalf("older failed credentials=%d, want 1 kept as history", n)
	}
}

func TestRestartBeforeTickActivatesOnce(t *testing.T) {
	f := newFixture(t, nil, lifecycle.Config{})
	k := f.generate(t)
	if err := f.store.Close(); err != nil {
		t.Fatal(err)
	}
	f.store = mustOpenStore(t, f.dir)
	f.wire(nil, lifecycle.Config{})
	f.tick(t)
	f.tick(t)
	f.clock.Add(time.Hour)
	f.tick(t)
	if got := f.status(t); got != lifecycle.Activated {
		t.Fatalf("status=%s, want %s", got, lifecycle.Activated)
	}
	audit, err := f.store.Audit(context.Background(), k.Credential.ID)
	if err != nil {
		t.Fatal(err)
	}
	var activations int
	for _, e := range audit {
		if e.Action == "activate" {
			activations++
		}
	}
	if activations != 1 {
		t.Fatalf("activate audit rows=%d, want 1 (trail %+v)", activations, audit)
	}
}

// A claimed credential whose process died mid-call (the claim written, the
// result never) is left alone during the lease and retried after it.
func TestLeaseExpiryRetriesAbandonedClaim(t *testing.T) {
	f := newFixture(t, nil, lifecycle.Config{Lease: time.Minute})
	k := f.generate(t)
	won, err := f.store.ClaimDue(context.Background(), []store.Claim{{
		CredentialID: k.Credential.ID, Status: string(lifecycle.PendingActivation),
		DueAt: k.Credential.DueAt, Until: f.clock.Now().Add(time.Minute),
	}})
	if err != nil || len(won) != 1 {
		t.Fatalf("claim: won=%v err=%v", won, err)
	}
	f.clock.Add(30 * time.Second)
	if r := f.tick(t); r.Activated != 0 {
		t.Fatalf("activated inside another scheduler's lease")
	}
	f.clock.Add(31 * time.Second)
	if r := f.tick(t); r.Activated != 1 {
		t.Fatalf("after the lease: activated=%d, want 1", r.Activated)
	}
}

// Two schedulers on one database (two processes) never both activate a
// credential: the claim is a conditional write.
func TestTwoSchedulersActivateOnce(t *testing.T) {
	var calls atomic.Int32
	counting := activatorFunc(func(context.Context, lifecycle.Event) error { calls.Add(1); return nil })
	f := newFixture(t, counting, lifecycle.Config{})
	other := lifecycle.NewScheduler(f.store, counting, lifecycle.Config{}, nil, f.clock.Now)
	for range 20 {
		f.tenant, _ = f.accounts.AddTenant(context.Background(), "t"+lifecycle.NewAccessKey())
		f.generate(t)
	}
	var wg sync.WaitGroup
	for _, s := range []*lifecycle.Scheduler{f.sched, other} {
		wg.Go(func() {
			if _, err := s.Tick(context.Background(), f.clock.Now()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := calls.Load(); got != 20 {
		t.Fatalf("activator calls=%d, want 20", got)
	}
	var activations int
	f.store.DB.QueryRow(`SELECT count(*) FROM audit WHERE action = 'activate'`).Scan(&activations)
	if activations != 20 {
		t.Fatalf("activate audit rows=%d, want 20", activations)
	}
}

type activatorFunc func(context.Context, lifecycle.Event) error

func (a activatorFunc) Apply(ctx context.Context, ev lifecycle.Event) error { return a(ctx, ev) }

func TestDeactivateWhileActivatingWins(t *testing.T) {
	var f *fixture
	racing := activatorFunc(func(ctx context.Context, ev lifecycle.Event) error {
		if ev.Action == lifecycle.ActionActivate {
			f.deactivate(t) // the admin clicks Deactivate mid-activation
		}
		return nil
	})
	f = newFixture(t, racing, lifecycle.Config{})
	f.generate(t)
	f.tick(t)
	if got := f.status(t); got != lifecycle.PendingDeactivation {
		t.Fatalf("status=%s, want %s", got, lifecycle.PendingDeactivation)
	}
	f.tick(t)
	if got := f.status(t); got != lifecycle.Deactivated {
		t.Fatalf("status=%s, want %s", got, lifecycle.Deactivated)
	}
}

type hookRecorder struct {
	mu     sync.Mutex
	bodies [][]byte
	heads  []http.Header
}

func (h *hookRecorder) record(r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.bodies = append(h.bodies, b)
	h.heads = append(h.heads, r.Header.Clone())
}

func TestWebhookActivatorSuccess(t *testing.T) {
	rec := &hookRecorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	act, err := lifecycle.NewWebhookActivator(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, act, lifecycle.Config{})
	k := f.generate(t)
	f.tick(t)
	if got := f.status(t); got != lifecycle.Activated {
		t.Fatalf("status=%s, want %s", got, lifecycle.Activated)
	}
	f.deactivate(t)
	f.tick(t)
	if got := f.status(t); got != lifecycle.Deactivated {
		t.Fatalf("status=%s, want %s", got, lifecycle.Deactivated)
	}
	if len(rec.bodies) != 2 {
		t.Fatalf("webhook calls=%d, want 2", len(rec.bodies))
	}
	var ev lifecycle.Event
	if err := json.Unmarshal(rec.bodies[0], &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Action != lifecycle.ActionActivate || ev.AccessKey != k.AccessKey || ev.CredentialID != k.Credential.ID || ev.TenantID != f.tenant.ID {
		t.Fatalf("event=%+v", ev)
	}
	if got := rec.heads[0].Get("Idempotency-Key"); got == "" || got != ev.IdempotencyKey {
		t.Fatalf("Idempotency-Key header=%q, event key=%q", got, ev.IdempotencyKey)
	}
	assertNoSecret(t, rec, k.SecretKey)
}

func assertNoSecret(t *testing.T, rec *hookRecorder, secret string) {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for i, b := range rec.bodies {
		if bytes.Contains(b, []byte(secret)) || bytes.Contains(b, []byte(secret[len(lifecycle.SecretKeyPrefix):])) {
			t.Fatalf("webhook body %d carries the secret", i)
		}
		for k, vs := range rec.heads[i] {
			for _, v := range vs {
				if strings.Contains(v, secret) {
					t.Fatalf("webhook header %s carries the secret", k)
				}
			}
		}
	}
}

func TestWebhookActivatorRetriesAfterServerError(t *testing.T) {
	rec := &hookRecorder{}
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	act, _ := lifecycle.NewWebhookActivator(srv.URL)
	f := newFixture(t, act, lifecycle.Config{RetryBase: 10 * time.Second})
	k := f.generate(t)
	if r := f.tick(t); r.Retried != 1 {
		t.Fatalf("first tick: retried=%d, want 1", r.Retried)
	}
	if got := f.status(t); got != lifecycle.PendingActivation {
		t.Fatalf("after 500: status=%s", got)
	}
	f.clock.Add(5 * time.Second)
	f.tick(t)
	if got := calls.Load(); got != 1 {
		t.Fatalf("retried before the backoff: calls=%d", got)
	}
	f.clock.Add(5 * time.Second)
	f.tick(t)
	if got := f.status(t); got != lifecycle.Activated {
		t.Fatalf("after 500 then 200: status=%s, want %s", got, lifecycle.Activated)
	}
	if got := calls.Load(); got != 2 {
		t.Fatalf("calls=%d, want 2", got)
	}
	var first, second lifecycle.Event
	json.Unmarshal(rec.bodies[0], &first)
	json.Unmarshal(rec.bodies[1], &second)
	if first.IdempotencyKey != second.IdempotencyKey {
		t.Fatalf("a retry changed the idempotency key: %q vs %q", first.IdempotencyKey, second.IdempotencyKey)
	}
	assertNoSecret(t, rec, k.SecretKey)
}

func TestWebhookActivatorFailingUntilTimeout(t *testing.T) {
	rec := &hookRecorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		http.Error(w, "gateway down", http.StatusBadGateway)
	}))
	defer srv.Close()
	act, _ := lifecycle.NewWebhookActivator(srv.URL)
	cfg := lifecycle.Config{ActivationTimeout: time.Hour, RetryBase: time.Second, RetryMax: 10 * time.Minute}
	f := newFixture(t, act, cfg)
	k := f.generate(t)
	for range 30 {
		f.tick(t)
		f.clock.Add(3 * time.Minute)
	}
	if got := f.status(t); got != lifecycle.ActivationFailed {
		t.Fatalf("status=%s, want %s", got, lifecycle.ActivationFailed)
	}
	if n := len(rec.bodies); n < 3 {
		t.Fatalf("webhook calls=%d, want retries", n)
	}
	assertNoSecret(t, rec, k.SecretKey)
}

func TestWebhookURLMustBeHTTP(t *testing.T) {
	for _, u := range []string{"", "ftp://x", "localhost:8080", "http://", "::"} {
		if _, err := lifecycle.NewWebhookActivator(u); err == nil {
			t.Errorf("NewWebhookActivator(%q) accepted", u)
		}
	}
}

func TestSecretNeverStored(t *testing.T) {
	f := newFixture(t, nil, lifecycle.Config{})
	k := f.generate(t)
	f.tick(t)
	if err := f.store.Close(); err != nil { // flush the WAL into the file
		t.Fatal(err)
	}
	body := k.SecretKey[len(lifecycle.SecretKeyPrefix):]
	files, _ := filepath.Glob(filepath.Join(f.dir, "*"))
	if len(files) == 0 {
		t.Fatal("no database files")
	}
	var sawAccess bool
	for _, p := range files {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, needle := range []string{k.SecretKey, body, body[:20], body[len(body)-20:]} {
			if bytes.Contains(raw, []byte(needle)) {
				t.Fatalf("%s contains the secret (or part of it)", filepath.Base(p))
			}
		}
		sawAccess = sawAccess || bytes.Contains(raw, []byte(k.AccessKey))
	}
	if !sawAccess {
		t.Fatal("the access key is not in the files either: the scan reads the wrong files")
	}
}

// Credentials are claimed a group at a time, just before their calls, so a
// long queue does not use up the leases of those waiting their turn.
func TestClaimsAreTakenGroupByGroup(t *testing.T) {
	var f *fixture
	var maxClaimed atomic.Int32
	counting := activatorFunc(func(context.Context, lifecycle.Event) error {
		var n int32
		f.store.DB.QueryRow(`SELECT count(*) FROM credentials WHERE attempts > 0`).Scan(&n)
		if n > maxClaimed.Load() {
			maxClaimed.Store(n)
		}
		return nil
	})
	f = newFixture(t, counting, lifecycle.Config{})
	f.sched.Workers = 1
	for i := range 12 {
		f.tenant, _ = f.accounts.AddTenant(context.Background(), "g"+string(rune('a'+i)))
		f.generate(t)
	}
	if r := f.tick(t); r.Activated != 12 {
		t.Fatalf("activated=%d, want 12", r.Activated)
	}
	if got := maxClaimed.Load(); got > 4 {
		t.Fatalf("%d credentials were claimed at once with one worker, want at most a group of 4", got)
	}
}

// A purge that fails leaves the last purge time as it was, so the next
// tick tries again instead of skipping a week.
func TestFailedPurgeIsRetriedNextTick(t *testing.T) {
	f := newFixture(t, nil, lifecycle.Config{})
	f.tick(t)
	c := f.deactivatedNow(t)
	f.clock.Add(7 * 24 * time.Hour)
	if _, err := f.store.DB.Exec(`CREATE TRIGGER fail_delete BEFORE DELETE ON credentials
		BEGIN SELECT RAISE(ABORT, 'disk trouble'); END`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.sched.Tick(context.Background(), f.clock.Now()); err == nil {
		t.Fatal("tick succeeded although the purge failed")
	}
	f.store.DB.Exec(`DROP TRIGGER fail_delete`)
	f.clock.Add(time.Minute)
	if r := f.tick(t); r.Purged != 1 {
		t.Fatalf("the tick after a failed purge purged %d, want 1", r.Purged)
	}
	if _, err := f.store.CredentialByID(context.Background(), c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("credential still there: %v", err)
	}
}

// An activation that failed against an external gateway is removed from it
// afterwards (the gateway may have provisioned the key before its answer
// was lost); the status stays Activation Failed and the removal happens once.
func TestFailedActivationIsRemovedFromTheGateway(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	rec := &hookRecorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		if down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	act, _ := lifecycle.NewWebhookActivator(srv.URL)
	f := newFixture(t, act, lifecycle.Config{ActivationTimeout: time.Minute, RetryBase: time.Second})
	k := f.generate(t)
	f.tick(t)
	f.clock.Add(2 * time.Minute)
	f.tick(t) // times out
	if got := f.status(t); got != lifecycle.ActivationFailed {
		t.Fatalf("status=%s, want %s", got, lifecycle.ActivationFailed)
	}
	down.Store(false)
	f.clock.Add(time.Second)
	f.tick(t)
	f.clock.Add(time.Hour)
	f.tick(t)
	if got := f.status(t); got != lifecycle.ActivationFailed {
		t.Fatalf("status after removal=%s, want %s", got, lifecycle.ActivationFailed)
	}
	rec.mu.Lock()
	var deactivations int
	for _, b := range rec.bodies {
		var ev lifecycle.Event
		json.Unmarshal(b, &ev)
		if ev.Action == lifecycle.ActionDeactivate && ev.CredentialID == k.Credential.ID {
			deactivations++
		}
	}
	rec.mu.Unlock()
	if deactivations != 1 {
		t.Fatalf("deactivate events=%d, want 1", deactivations)
	}
	trail, _ := f.store.Audit(context.Background(), k.Credential.ID)
	if last := trail[len(trail)-1]; last.Action != "remove_failed_activation" {
		t.Fatalf("last audit action=%q, want remove_failed_activation", last.Action)
	}
	assertNoSecret(t, rec, k.SecretKey)
}

// With the built-in gateway there is nothing to remove after a failure.
func TestFailedLocalActivationNeedsNoRemoval(t *testing.T) {
	f := newFixture(t, nil, lifecycle.Config{ActivationTimeout: time.Minute})
	f.generate(t)
	f.clock.Add(2 * time.Minute)
	f.tick(t)
	cur, _ := f.svc.Current(context.Background(), f.tenant.ID)
	if cur.Status != lifecycle.ActivationFailed || !cur.Credential.DueAt.IsZero() {
		t.Fatalf("status=%s due=%v, want Activation Failed and nothing due", cur.Status, cur.Credential.DueAt)
	}
}
