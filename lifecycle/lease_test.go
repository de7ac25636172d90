package lifecycle_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/lifecycle/webhook"
	"esp/store/storetest"
)

// heldGateway is a webhook receiver whose answers the test holds: each
// call announces itself on entered, then waits for the channel answer
// gives it to say which status to reply (a closed channel: 200), or for
// the caller to give up.
type heldGateway struct {
	mu      sync.Mutex
	calls   map[int64]int // activate calls per credential
	entered chan lifecycle.Event
	answer  func(ev lifecycle.Event) <-chan int
}

func newHeldGateway(t *testing.T, answer func(ev lifecycle.Event) <-chan int) (*heldGateway, lifecycle.Activator) {
	t.Helper()
	g := &heldGateway{calls: map[int64]int{}, entered: make(chan lifecycle.Event, 100), answer: answer}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev lifecycle.Event
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		g.mu.Lock()
		if ev.Action == lifecycle.ActionActivate {
			g.calls[ev.CredentialID]++
		}
		g.mu.Unlock()
		g.entered <- ev
		select {
		case code, ok := <-g.answer(ev):
			if !ok {
				code = http.StatusOK
			}
			w.WriteHeader(code)
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	act, err := webhook.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	act.Client.Timeout = 0 // the test decides when a call ends
	return g, act
}

func (g *heldGateway) activateCalls(id int64) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls[id]
}

// waitEntered waits for n calls to reach the gateway.
func (g *heldGateway) waitEntered(t *testing.T, n int) []lifecycle.Event {
	t.Helper()
	var evs []lifecycle.Event
	timeout := time.After(20 * time.Second)
	for len(evs) < n {
		select {
		case ev := <-g.entered:
			evs = append(evs, ev)
		case <-timeout:
			t.Fatalf("%d of %d calls reached the gateway", len(evs), n)
		}
	}
	return evs
}

func activateRows(t *testing.T, f *fixture, id int64) int {
	t.Helper()
	c, err := f.store.CredentialByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	trail := storetest.AuditTrail(t, f.store, c.TenantID, id)
	n := 0
	for _, e := range trail {
		if e.Action == "activate" {
			n++
		}
	}
	return n
}

type tickDone struct {
	res lifecycle.TickResult
	err error
}

func tickAsync(s *lifecycle.Scheduler, now time.Time) <-chan tickDone {
	done := make(chan tickDone, 1)
	go func() {
		r, err := s.Tick(context.Background(), now)
		done <- tickDone{r, err}
	}()
	return done
}

func waitTick(t *testing.T, done <-chan tickDone) lifecycle.TickResult {
	t.Helper()
	select {
	case d := <-done:
		if d.err != nil {
			t.Fatal(d.err)
		}
		return d.res
	case <-time.After(20 * time.Second):
		t.Fatal("the tick did not end")
	}
	return lifecycle.TickResult{}
}

// A gateway slower than the lease: the holder's heartbeat keeps its claims,
// so a second live scheduler on the same database, ticking after the lease
// would have run out, calls nothing, and each credential is activated once.
func TestTwoSchedulersWithAGatewaySlowerThanTheLeaseActivateEachOnce(t *testing.T) {
	const lease = 10 * time.Second
	release, answered := make(chan int), make(chan int)
	close(answered)
	g, act := newHeldGateway(t, func(ev lifecycle.Event) <-chan int {
		if ev.Attempt == 1 {
			return release
		}
		return answered // a second call answers at once
	})
	cfg := lifecycle.Config{Lease: lease}
	f := newFixture(t, act, cfg)
	var ids []int64
	for i := range 5 {
		if i > 0 {
			f.tenant, _ = f.accounts.AddTenant(context.Background(), "t"+lifecycle.NewAccessKey())
		}
		ids = append(ids, f.generate(t).Credential.ID)
	}
	beats, renewed := make(chan time.Time), make(chan struct{}, 1)
	f.sched.RenewOn(beats, func() { renewed <- struct{}{} })
	other := lifecycle.NewScheduler(f.store, act, cfg, nil, f.clock.Now)
	other.RenewOn(nil, nil)

	first := tickAsync(f.sched, f.clock.Now())
	g.waitEntered(t, len(ids))
	// The calls outlast the lease twice over; the holder's heartbeat beats
	// meanwhile.
	for range 2 {
		f.clock.Add(lease)
		beats <- f.clock.Now()
		<-renewed
	}
	second := tickAsync(other, f.clock.Now())
	if r := waitTick(t, second); r.Activated+r.Retried+r.Failed != 0 {
		t.Errorf("the second scheduler acted on claimed credentials: %+v", r)
	}
	close(release) // every call now answers 200
	if r := waitTick(t, first); r.Activated != len(ids) {
		t.Errorf("the holder activated %d, want %d", r.Activated, len(ids))
	}
	for _, id := range ids {
		if n := g.activateCalls(id); n != 1 {
			t.Errorf("credential %d: %d activate calls at the gateway, want 1", id, n)
		}
		if n := activateRows(t, f, id); n != 1 {
			t.Errorf("credential %d: %d activate audit rows, want 1", id, n)
		}
	}
}

// A holder whose claim lapsed (its process stalled past the lease, say) and
// was taken over learns it at its next renewal: it abandons its call and
// writes nothing, not even a retry time that would cut the new holder's
// lease short and let a third scheduler call the gateway again.
func TestHolderThatLostItsClaimWritesNothing(t *testing.T) {
	const lease = 10 * time.Second
	releaseFirst, releaseSecond, answered := make(chan int, 1), make(chan int), make(chan int)
	close(answered)
	g, act := newHeldGateway(t, func(ev lifecycle.Event) <-chan int {
		switch ev.Attempt {
		case 1:
			return releaseFirst
		case 2:
			return releaseSecond
		}
		return answered
	})
	cfg := lifecycle.Config{Lease: lease, RetryBase: time.Second}
	f := newFixture(t, act, cfg)
	k := f.generate(t)
	beats, renewed := make(chan time.Time), make(chan struct{}, 1)
	f.sched.RenewOn(beats, func() { renewed <- struct{}{} })
	taker := lifecycle.NewScheduler(f.store, act, cfg, nil, f.clock.Now)
	taker.RenewOn(nil, nil)

	stalled := tickAsync(f.sched, f.clock.Now())
	g.waitEntered(t, 1)
	// The holder misses its beats; after the lease another scheduler takes
	// the credential over and calls the gateway too.
	f.clock.Add(lease + time.Second)
	takeover := tickAsync(taker, f.clock.Now())
	g.waitEntered(t, 1)
	beats <- f.clock.Now()
	<-renewed
	select {
	case d := <-stalled:
		if d.err != nil || d.res != (lifecycle.TickResult{}) {
			t.Errorf("the holder that lost its claim: %+v, %v; want nothing done", d.res, d.err)
		}
	case <-time.After(10 * time.Second):
		t.Error("the holder that lost its claim did not abandon its call")
		releaseFirst <- http.StatusServiceUnavailable // a retry it must not write
		waitTick(t, stalled)
	}
	// Later, within the new holder's lease, a third scheduler finds
	// nothing due.
	f.clock.Add(2 * time.Second)
	third := lifecycle.NewScheduler(f.store, act, cfg, nil, f.clock.Now)
	third.RenewOn(nil, nil)
	if r, err := third.Tick(context.Background(), f.clock.Now()); err != nil || r != (lifecycle.TickResult{}) {
		t.Errorf("a third scheduler inside the new holder's lease: %+v, %v; want nothing done", r, err)
	}
	close(releaseSecond)
	if r := waitTick(t, takeover); r.Activated != 1 {
		t.Errorf("the new holder activated %d, want 1", r.Activated)
	}
	if got := f.status(t); got != lifecycle.Activated {
		t.Fatalf("status=%s, want %s", got, lifecycle.Activated)
	}
	if n := g.activateCalls(k.Credential.ID); n != 2 {
		t.Errorf("%d activate calls at the gateway, want 2 (the lost one and the new holder's)", n)
	}
	if n := activateRows(t, f, k.Credential.ID); n != 1 {
		t.Errorf("%d activate audit rows, want 1", n)
	}
}

// slowGateway is a remote activator whose calls each take the fake clock
// on by took; during the call of the credential named check it runs check.
type slowGateway struct {
	mu    sync.Mutex
	clock *fakeClock
	took  time.Duration
	calls int
	check func(ctx context.Context, ev lifecycle.Event)
}

func (g *slowGateway) Remote() bool { return true }

func (g *slowGateway) Apply(ctx context.Context, ev lifecycle.Event) error {
	g.mu.Lock()
	g.calls++
	g.mu.Unlock()
	g.clock.Add(g.took)
	if g.check != nil {
		g.check(ctx, ev)
	}
	return nil
}

// A tick works through its due credentials a group at a time; a later
// group's claims are leases from when that group starts, not from the
// tick's start, so while its calls run no other scheduler finds those
// credentials due (which would call the gateway twice for one activation).
func TestLaterGroupsOfATickHoldLeasesFromTheirOwnStart(t *testing.T) {
	gw := &slowGateway{took: 2 * time.Second}
	cfg := lifecycle.Config{Lease: 5 * time.Second}
	f := newFixture(t, gw, cfg)
	gw.clock = f.clock
	f.sched.Workers = 1 // groups of 4, one call at a time
	ctx := context.Background()
	var ids []int64
	for i := range 6 {
		tn, err := f.accounts.AddTenant(ctx, fmt.Sprintf("tenant-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		k, err := f.svc.Generate(ctx, tn.ID, "user:alice")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, k.Credential.ID)
	}
	var checked int
	gw.check = func(ctx context.Context, ev lifecycle.Event) {
		if ev.CredentialID != ids[len(ids)-1] {
			return
		}
		checked++
		// The first group's four calls took 8 s of the 5 s lease: the last
		// group's credentials must still be held by this tick.
		due, err := f.store.DueCredentials(ctx, f.clock.Now(), 100)
		if err != nil {
			t.Error(err)
			return
		}
		for _, c := range due {
			t.Errorf("credential %d is due to other schedulers while this tick's call for it runs (due %v, now %v)",
				c.ID, c.DueAt, f.clock.Now())
		}
	}
	res := f.tick(t)
	if checked != 1 || res.Activated != len(ids) {
		t.Fatalf("checked %d, activated %d of %d", checked, res.Activated, len(ids))
	}
}

// A holder whose call ends after its lease lapsed and another scheduler
// took the credential over, before any heartbeat could tell it so, writes
// nothing, whatever its call's result: its outcome or retry time names a
// claim the row no longer carries.
func TestHolderWhoseClaimWasTakenOverBeforeAHeartbeatWritesNothing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		result error
	}{
		{"succeeded", nil},
		{"failed for good", lifecycle.ErrPermanent},
		{"failed, to be retried", context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const lease = 10 * time.Second
			cfg := lifecycle.Config{Lease: lease, RetryBase: time.Minute, RetryMax: time.Minute}
			f := newFixture(t, nil, cfg)
			k := f.generate(t)
			taker := lifecycle.NewScheduler(f.store, failingActivator{}, cfg, nil, f.clock.Now)
			var takeover lifecycle.TickResult
			var retryAt time.Time
			stalled := activatorFunc(func(ctx context.Context, ev lifecycle.Event) error {
				// The holder stalls past its lease; meanwhile the other
				// scheduler claims the credential, and its call fails and
				// is to be retried.
				f.clock.Add(lease + time.Second)
				retryAt = f.clock.Now().Add(cfg.RetryBase)
				r, err := taker.Tick(ctx, f.clock.Now())
				if err != nil {
					t.Error(err)
				}
				takeover = r
				return tc.result
			})
			f.wire(stalled, cfg)
			f.sched.RenewOn(make(chan time.Time), nil) // no heartbeat beats
			if r := f.tick(t); r.Activated != 0 || r.Failed != 0 {
				t.Errorf("the holder whose claim was taken over: %+v, want nothing activated or failed", r)
			}
			if takeover.Retried != 1 {
				t.Fatalf("the other scheduler: %+v; want its call retried", takeover)
			}
			c, err := f.store.CredentialByID(context.Background(), k.Credential.ID)
			if err != nil {
				t.Fatal(err)
			}
			if c.Status != lifecycle.PendingActivation || !c.DueAt.Equal(retryAt) {
				t.Errorf("credential: status %s, due %v; want %s, due at the other scheduler's retry %v",
					c.Status, c.DueAt, lifecycle.PendingActivation, retryAt)
			}
			if n := activateRows(t, f, k.Credential.ID); n != 0 {
				t.Errorf("%d activate audit rows, want 0", n)
			}
		})
	}
}
