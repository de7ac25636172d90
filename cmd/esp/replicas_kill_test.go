package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"esp/lifecycle"
)

// replicaGateway is a webhook gateway for several replicas: each replica
// posts to its own path (/r1, /r2, ...), so the gateway knows who called.
// It holds each call for delay, or until hold is closed when it is set,
// and records, per idempotency key, every call
// and whether its caller was still there for the answer.
type replicaGateway struct {
	delay   time.Duration
	hold    chan struct{}
	secrets map[string]string // idempotency key -> the credential's secret, never to be sent

	mu       sync.Mutex
	calls    map[string][]gatewayCall
	inFlight map[string]int // by replica
	answered int
	problems []string
}

type gatewayCall struct {
	replica string
	// answered: the caller was still connected when the gateway answered;
	// a call cut off by its caller's death is not.
	answered bool
}

func (g *replicaGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	replica := strings.TrimPrefix(r.URL.Path, "/")
	body, err := io.ReadAll(r.Body)
	var ev lifecycle.Event
	if err == nil {
		err = json.Unmarshal(body, &ev)
	}
	g.mu.Lock()
	switch {
	case err != nil:
		g.problems = append(g.problems, fmt.Sprintf("%s: unreadable event: %v", replica, err))
	case ev.Action != lifecycle.ActionActivate || ev.IdempotencyKey == "" || r.Header.Get("Idempotency-Key") != ev.IdempotencyKey:
		g.problems = append(g.problems, fmt.Sprintf("%s: event %+v with Idempotency-Key %q", replica, ev, r.Header.Get("Idempotency-Key")))
	case g.secrets[ev.IdempotencyKey] == "":
		g.problems = append(g.problems, fmt.Sprintf("%s: unknown idempotency key %q", replica, ev.IdempotencyKey))
	case strings.Contains(string(body), g.secrets[ev.IdempotencyKey]):
		g.problems = append(g.problems, fmt.Sprintf("%s: the event of %s carries the secret key", replica, ev.IdempotencyKey))
	}
	// Recorded at once, so that a call cut off by its caller's death is
	// there as soon as the caller is gone.
	g.inFlight[replica]++
	calls := append(g.calls[ev.IdempotencyKey], gatewayCall{replica: replica})
	g.calls[ev.IdempotencyKey] = calls
	i := len(calls) - 1
	g.mu.Unlock()

	answered := true
	wait := time.NewTimer(g.delay)
	defer wait.Stop()
	if g.hold != nil {
		wait.Stop()
	}
	select {
	case <-wait.C:
	case <-g.hold:
	case <-r.Context().Done():
		answered = false
	}
	g.mu.Lock()
	g.inFlight[replica]--
	g.calls[ev.IdempotencyKey][i].answered = answered
	if answered {
		g.answered++
	}
	g.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// 200 credentials pending, a webhook gateway and three replicas' schedulers:
// each credential is activated exactly once (one audit row) and reaches the
// gateway once, except those replica 1 was working on when it was killed
// (kill -9) mid-way: their calls are repeated once, by another replica,
// within seconds, and nothing is left pending.
func TestReplicasKill9DuringWebhookActivationsLosesNothing(t *testing.T) {
	testReplicasKill9(t, replicaDB{url: replicaDatabaseURL(t)})
}

// The same behind PgBouncer in transaction mode, with fewer server
// connections than the replicas' pools.
func TestReplicasBehindPgBouncerKill9DuringWebhookActivationsLosesNothing(t *testing.T) {
	db := behindPgBouncer(t, replicaDatabaseURL(t))
	testReplicasKill9(t, db)
}

func testReplicasKill9(t *testing.T, db replicaDB) {
	const n = 200
	st := db.open(t)
	ctx := context.Background()
	svc := lifecycle.NewService(st, time.Now, lifecycle.Config{})

	// Seeded through the store on the same database (200 tenants through
	// the CLI would take a minute): a tenant and a Generate each.
	gw := &replicaGateway{delay: 200 * time.Millisecond, secrets: map[string]string{},
		calls: map[string][]gatewayCall{}, inFlight: map[string]int{}}
	tenants := make([]int64, n)
	keyOf := map[int64]string{} // tenant -> idempotency key of its activation
	for i := range n {
		tn, err := st.CreateTenant(ctx, fmt.Sprintf("gateway-%03d", i), true, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		k, err := svc.Generate(ctx, tn.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		tenants[i] = tn.ID
		key := lifecycle.IdempotencyKey(k.Credential.ID, k.AccessKey, lifecycle.ActionActivate)
		keyOf[tn.ID] = key
		gw.secrets[key] = k.SecretKey
	}
	hook := httptest.NewServer(gw)
	defer hook.Close()

	ps := startReplicas(t, db, filepath.Join(t.TempDir(), "unused"), 3, func(i int) []string {
		return []string{"--activator", "webhook", "--webhook-url", fmt.Sprintf("%s/r%d", hook.URL, i+1), "--tick", replicaTick}
	})

	// Mid-way: a fair part answered, and replica 1 with calls in flight.
	deadline := time.Now().Add(60 * time.Second)
	for {
		gw.mu.Lock()
		ready := gw.answered >= n/5 && gw.inFlight["r1"] > 0
		gw.mu.Unlock()
		if ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica 1 never had activations in flight after %d answered", gw.answered)
		}
		time.Sleep(5 * time.Millisecond)
	}
	gw.mu.Lock()
	answeredAtKill := gw.answered
	gw.mu.Unlock()
	ps[0].cmd.Process.Signal(syscall.SIGKILL)
	<-ps[0].done
	ps[0].done <- nil
	killed := time.Now()

	// What replica 1 left behind: credentials it called the gateway for
	// and never recorded.
	activated := func(tenantID int64) bool {
		cur, err := svc.Current(ctx, tenantID)
		if err != nil {
			t.Fatal(err)
		}
		return cur.Status == lifecycle.Activated
	}
	gw.mu.Lock()
	calledBy1 := map[string]bool{}
	for key, calls := range gw.calls {
		for _, c := range calls {
			if c.replica == "r1" {
				calledBy1[key] = true
			}
		}
	}
	gw.mu.Unlock()
	orphans := map[string]bool{}
	for _, tn := range tenants {
		if calledBy1[keyOf[tn]] && !activated(tn) {
			orphans[keyOf[tn]] = true
		}
	}
	// Of those, the calls the gateway answered before the kill: the
	// gateway acted, replica 1 never recorded it.
	unrecorded := 0
	gw.mu.Lock()
	for key := range orphans {
		if c := gw.calls[key][0]; c.replica == "r1" && c.answered {
			unrecorded++
		}
	}
	gw.mu.Unlock()
	if len(orphans) == 0 {
		t.Fatal("replica 1 was killed with calls in flight, yet left no claim behind")
	}

	// The others finish everything, replica 1's claims included, within
	// seconds: one lease (5s by default) and a few ticks.
	const within = 15 * time.Second
	for {
		left := 0
		for _, tn := range tenants {
			if !activated(tn) {
				left++
			}
		}
		if left == 0 {
			break
		}
		if time.Since(killed) > within {
			t.Fatalf("%d credentials still not activated %s after replica 1 was killed (%d of its claims were left)", left, within, len(orphans))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("replica 1 killed after %d answered calls, leaving %d claims (%d of them answered by the gateway); all %d activated %s after the kill",
		answeredAtKill, len(orphans), unrecorded, n, time.Since(killed).Round(100*time.Millisecond))
	for _, p := range ps[1:] {
		if err := p.stop(t); err != nil {
			t.Errorf("exit after SIGTERM: %v", err)
		}
	}

	// Activated once each: one audit row.
	for _, tn := range tenants {
		wantActivatedOnce(t, svc, tn)
	}
	// One gateway call each, but for replica 1's orphans: its call, and one
	// by another replica.
	gw.mu.Lock()
	defer gw.mu.Unlock()
	for _, p := range gw.problems {
		t.Error(p)
	}
	for _, tn := range tenants {
		key := keyOf[tn]
		var mine, others int
		for _, c := range gw.calls[key] {
			if c.replica == "r1" {
				mine++
			} else {
				others++
			}
		}
		want := "1 call"
		ok := mine+others == 1
		if orphans[key] {
			want = "replica 1's call and one other"
			ok = mine == 1 && others == 1
		}
		if !ok {
			t.Errorf("%s reached the gateway %d times from replica 1 and %d from the others, want %s", key, mine, others, want)
		}
	}
	checkLogs(t, ps[1:])
}

// wantActivatedOnce checks that the tenant's history is its credential's
// Generated and one Activated.
func wantActivatedOnce(t *testing.T, svc *lifecycle.Service, tenant int64) {
	t.Helper()
	hist, err := svc.History(context.Background(), tenant, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, e := range hist {
		events = append(events, e.Event)
	}
	if got := strings.Join(events, ","); got != "Activated,Generated" {
		t.Errorf("tenant %d: history %s, want Activated,Generated", tenant, got)
	}
}
