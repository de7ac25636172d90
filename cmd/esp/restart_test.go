package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/lifecycle/mail/mailtest"
	"esp/store"
)

// Database restarts (SPEC "Storage and scale-out", "Database restarts"):
// PostgreSQL stops under running replicas while activations are in flight
// at the webhook gateway. During the outage every request that needs the
// database is answered 503 with Retry-After and /readyz 503; once it is
// back, every replica serves again without a restart, the activations
// answered during the outage are recorded (each called once), and every
// notice arrives once.

// restartTenants is how many tenants have an activation in flight when
// the database stops.
const restartTenants = 6

// restartRig is a running set of replicas on a cluster the test stops.
type restartRig struct {
	cluster *pgCluster
	st      *store.Store
	svc     *lifecycle.Service
	gw      *replicaGateway
	mail    *mailtest.Server
	ps      []*serveProc
	r       []string
	b       *browser // signed in as the first tenant's admin
	tenants []int64
	keyOf   map[int64]string // tenant -> the idempotency key of its activation
}

func newRestartRig(t *testing.T, replicas int, bouncer bool) *restartRig {
	t.Helper()
	rig := &restartRig{cluster: newPGCluster(t), keyOf: map[int64]string{},
		gw: &replicaGateway{hold: make(chan struct{}), secrets: map[string]string{},
			calls: map[string][]gatewayCall{}, inFlight: map[string]int{}}}
	db := replicaDB{url: rig.cluster.url()}
	if bouncer {
		db = behindPgBouncer(t, rig.cluster.url())
	}
	rig.st = db.open(t)
	// The test's Generates queue their notices as the replicas' do.
	rig.st.NotifyOn(lifecycle.NoticeEvents())
	rig.svc = lifecycle.NewService(rig.st, time.Now, lifecycle.Config{})
	acc := testAccounts(rig.st)
	for i := range restartTenants + 1 {
		name := fmt.Sprintf("restart-%d", i)
		rig.tenants = append(rig.tenants, tenantAdmin(t, rig.st, name, name+"-admin", "restart-password"))
		email := name + "@example.com"
		if err := acc.SetUser(context.Background(), name, name+"-admin", lifecycle.UserChange{Email: &email}); err != nil {
			t.Fatal(err)
		}
	}
	rig.mail = mailtest.Start(t, mailtest.Options{})
	hook := httptest.NewServer(rig.gw)
	t.Cleanup(hook.Close)
	rig.ps = startReplicas(t, db, filepath.Join(t.TempDir(), "unused"), replicas, func(i int) []string {
		return []string{"--activator", "webhook", "--webhook-url", fmt.Sprintf("%s/r%d", hook.URL, i+1), "--tick", replicaTick,
			// A lease longer than the outage: no replica takes over
			// another's claim while that one cannot write its outcome.
			"--claim-lease", "2m",
			"--smtp-url", "smtp://" + rig.mail.Addr, "--mail-from", "esp@example.com"}
	})
	rig.r = urlsOf(rig.ps)
	t.Cleanup(func() {
		if t.Failed() {
			for i, p := range rig.ps {
				t.Logf("replica %d's log:\n%s", i+1, p.stderr.String())
			}
		}
	})
	rig.b = newBrowser()
	rig.b.mustLogin(t, rig.r[0], "restart-0-admin", "restart-password")
	return rig
}

// generate makes a credential for the tenant, for the gateway to expect.
func (rig *restartRig) generate(t *testing.T, tenant int64) {
	t.Helper()
	k, err := rig.svc.Generate(context.Background(), tenant, "test")
	if err != nil {
		t.Fatal(err)
	}
	key := lifecycle.IdempotencyKey(k.Credential.ID, k.AccessKey, lifecycle.ActionActivate)
	rig.gw.mu.Lock()
	rig.gw.secrets[key] = k.SecretKey
	rig.gw.mu.Unlock()
	rig.keyOf[tenant] = key
}

// waitUntil polls ok until it holds, failing the test after within.
func waitUntil(t *testing.T, within time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkOutage checks what each replica answers while the database is down.
func (rig *restartRig) checkOutage(t *testing.T) {
	t.Helper()
	for i, base := range rig.r {
		ready, err := send(mustRequest(t, http.MethodGet, base+"/readyz"))
		if err != nil || ready.status != http.StatusServiceUnavailable {
			t.Errorf("replica %d during the outage: %v %v, want 503", i+1, ready, err)
		}
		exchange, _, err1 := exchangeKeys(base, "ESPAKNOSUCHKEY0000000000", "no-such-secret")
		page, err2 := rig.b.get(base, "/api-credentials")
		for _, a := range []answer{exchange, page} {
			if err1 != nil || err2 != nil || a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") == "" {
				t.Errorf("replica %d during the outage: %v (Retry-After %q) %v %v, want 503 with Retry-After",
					i+1, a, a.header.Get("Retry-After"), err1, err2)
			}
		}
	}
}

// serving reports whether every replica answers as before the outage.
func (rig *restartRig) serving(t *testing.T) bool {
	for _, base := range rig.r {
		ready, err := send(mustRequest(t, http.MethodGet, base+"/readyz"))
		if err != nil || ready.status != http.StatusOK {
			return false
		}
		page, err := rig.b.get(base, "/api-credentials")
		if err != nil || page.status != http.StatusOK {
			return false
		}
	}
	return true
}

// activated reports whether the tenant's credential is Activated. The
// test's own connections went through the outage too: an error is "not
// yet".
func (rig *restartRig) activated(t *testing.T, tenant int64) bool {
	cur, err := rig.svc.Current(context.Background(), tenant)
	if err != nil {
		t.Logf("reading tenant %d's credential: %v", tenant, err)
		return false
	}
	return cur.Status == lifecycle.Activated
}

func testDatabaseRestart(t *testing.T, replicas int, bouncer bool) {
	rig := newRestartRig(t, replicas, bouncer)
	ahead := rig.tenants[:restartTenants]
	for _, tn := range ahead {
		rig.generate(t, tn)
	}
	waitUntil(t, 30*time.Second, "every activation in flight at the gateway", func() bool {
		rig.gw.mu.Lock()
		defer rig.gw.mu.Unlock()
		return len(rig.gw.calls) == len(ahead)
	})

	rig.cluster.stop(t)
	// The gateway answers while the database is down.
	close(rig.gw.hold)
	waitUntil(t, 10*time.Second, "the gateway's answers", func() bool {
		rig.gw.mu.Lock()
		defer rig.gw.mu.Unlock()
		return rig.gw.answered == len(ahead)
	})
	rig.checkOutage(t)

	rig.cluster.start(t)
	restarted := time.Now()
	waitUntil(t, 15*time.Second, "every replica serving again", func() bool { return rig.serving(t) })
	t.Logf("every replica served again %s after the database was back", time.Since(restarted).Round(10*time.Millisecond))
	waitUntil(t, 15*time.Second, "the activations answered during the outage recorded", func() bool {
		for _, tn := range ahead {
			if !rig.activated(t, tn) {
				return false
			}
		}
		return true
	})
	// New work after the outage goes through too.
	last := rig.tenants[restartTenants]
	rig.generate(t, last)
	waitUntil(t, 15*time.Second, "a credential generated after the outage activated", func() bool { return rig.activated(t, last) })
	rig.checkOnce(t)
}

// noticeID is a notice's Message-Id header.
var noticeID = regexp.MustCompile(`(?m)^Message-Id: (<[^>]+>)\r?$`)

// checkOnce checks that each activation reached the gateway once and is
// in the history once, and that each notice (a Generated and an Activated
// for each tenant's admin) arrived once.
func (rig *restartRig) checkOnce(t *testing.T) {
	t.Helper()
	want := 2 * len(rig.keyOf)
	waitUntil(t, 30*time.Second, "every notice sent", func() bool {
		return count(t, rig.st, `SELECT count(*) FROM outbox`) == 0 && len(rig.mail.Received()) >= want
	})
	ids := map[string]int{}
	for _, m := range rig.mail.Received() {
		id := noticeID.FindStringSubmatch(mailtest.Decode(t, m.Data))
		if id == nil {
			t.Fatalf("a message without a Message-Id:\n%s", m.Data)
		}
		ids[id[1]]++
	}
	if len(ids) != want || len(rig.mail.Received()) != want {
		t.Errorf("%d messages, %d distinct; want %d, each once", len(rig.mail.Received()), len(ids), want)
	}
	for tn, key := range rig.keyOf {
		wantActivatedOnce(t, rig.svc, tn)
		rig.gw.mu.Lock()
		if n := len(rig.gw.calls[key]); n != 1 {
			t.Errorf("%s reached the gateway %d times, want once", key, n)
		}
		rig.gw.mu.Unlock()
	}
	rig.gw.mu.Lock()
	defer rig.gw.mu.Unlock()
	for _, p := range rig.gw.problems {
		t.Error(p)
	}
}

func TestDatabaseRestartUnderAReplica(t *testing.T) {
	testDatabaseRestart(t, 1, false)
}

func TestDatabaseRestartUnderThreeReplicasBehindPgBouncer(t *testing.T) {
	testDatabaseRestart(t, 3, true)
}
