package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"esp/lifecycle"
	"esp/store"
)

// Replicas: three `esp serve` processes on one PostgreSQL database, as they
// run behind a load balancer (SPEC "Storage and scale-out"). Each test has a
// fresh schema of its own (storetest.PostgresURL): without
// ESP_TEST_DATABASE_URL they skip, except under CI=true, where they fail.
// TestReplicas runs its scenarios one after another on one set of replicas
// started together on the empty database; the kill -9 scenario needs the
// webhook activator and has replicas of its own.

// replicaLoad is how long TestReplicas' mixed load runs: a full minute
// under CI=true, 10 s otherwise, or what -replica-load says.
var replicaLoad = flag.Duration("replica-load", 0,
	"how long TestReplicas' mixed load runs (default 60s under CI=true, else 10s)")

// mixedLoadDuration is the mixed load's duration in force.
func mixedLoadDuration() time.Duration {
	switch {
	case *replicaLoad > 0:
		return *replicaLoad
	case os.Getenv("CI") == "true":
		return time.Minute
	}
	return 10 * time.Second
}

// replicaTick is the replicas' scheduler tick: short, so that a Generate is
// activated (and a Deactivate confirmed) within a fraction of a second.
const replicaTick = "200ms"

// cli runs one command of the binary on the database and fails the test
// unless it succeeds. The data folder it is given must stay unused.
func (d replicaDB) cli(t *testing.T, unusedData, stdin string, args ...string) string {
	t.Helper()
	code, stdout, stderr := execCLI(t, unusedData, stdin, append(args, d.args()...)...)
	if code != 0 {
		t.Fatalf("esp %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	return stdout
}

// startReplicas starts n `esp serve` on the database at the same instant,
// then waits until each listens. Each is given the data folder unused,
// which must stay unused; args(i) are replica i's own flags.
func startReplicas(t *testing.T, db replicaDB, unused string, n int, args func(i int) []string) []*serveProc {
	t.Helper()
	ps := make([]*serveProc, n)
	for i := range ps {
		ps[i] = launchServe(t, unused, append(db.args(), args(i)...)...)
	}
	for _, p := range ps {
		p.waitListening(t)
	}
	return ps
}

func urlsOf(ps []*serveProc) []string {
	var us []string
	for _, p := range ps {
		us = append(us, p.URL)
	}
	return us
}

// badLogLine is what must never appear in a replica's log: a serialization
// failure or a deadlock (SQLSTATE 40001, 40P01, as a word: a request id may
// hold those digits), any error, or any error of the database (SQLSTATE).
var badLogLine = regexp.MustCompile(`(?i)\b40001\b|\b40P01\b|deadlock|serializ|level=ERROR|SQLSTATE`)

func checkLogs(t *testing.T, ps []*serveProc) {
	t.Helper()
	for i, p := range ps {
		var bad []string
		for _, line := range strings.Split(p.stderr.String(), "\n") {
			if badLogLine.MatchString(line) {
				bad = append(bad, line)
			}
		}
		if len(bad) > 0 {
			t.Errorf("replica %d logged %d bad lines, first: %s", i+1, len(bad), strings.Join(bad[:min(5, len(bad))], "\n"))
		}
	}
}

// testAccounts makes users with the cheapest bcrypt cost: the replicas
// check any cost, and the test process (under -race) hashes faster.
func testAccounts(st *store.Store) *lifecycle.Accounts {
	acc := lifecycle.NewAccounts(st, time.Now)
	acc.BcryptCost = bcrypt.MinCost
	return acc
}

// tenantAdmin makes a tenant with the public API on and an admin in it,
// straight in the database (faster than the CLI, which has tests of its
// own), and returns the tenant's id.
func tenantAdmin(t *testing.T, st *store.Store, tenant, username, password string) int64 {
	t.Helper()
	ctx := context.Background()
	acc := testAccounts(st)
	tn, err := acc.AddTenant(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	if err := acc.SetPublicAPI(ctx, tenant, true); err != nil {
		t.Fatal(err)
	}
	if _, err := acc.AddUser(ctx, tenant, username, password, true); err != nil {
		t.Fatal(err)
	}
	return tn.ID
}

// count runs a SELECT count(*) on the database.
func count(t *testing.T, st *store.Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := st.DB.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestReplicas(t *testing.T) {
	testReplicas(t, replicaDB{url: replicaDatabaseURL(t)}, mixedLoadDuration())
}

// Behind PgBouncer in transaction mode, with fewer server connections than
// the replicas' pools: the same scenarios (the mixed load a third as long),
// with no error and no SQLSTATE in any replica's log.
func TestReplicasBehindPgBouncer(t *testing.T) {
	db := behindPgBouncer(t, replicaDatabaseURL(t))
	testReplicas(t, db, mixedLoadDuration()/3)
}

// testReplicas runs the replica scenarios on db, the mixed load for load.
func testReplicas(t *testing.T, db replicaDB, load time.Duration) {
	unused := filepath.Join(t.TempDir(), "unused")
	ps := startReplicas(t, db, unused, 3, func(int) []string { return []string{"--tick", replicaTick} })
	r := urlsOf(ps)
	st := db.open(t)
	ctx := context.Background()

	// Three replicas started at the same instant on an empty database: they
	// migrate it once, make the first-run users once (exactly one prints
	// their passwords), and all serve.
	var adminPassword string
	t.Run("start together on an empty database", func(t *testing.T) {
		var printed []int
		for i, p := range ps {
			if strings.Contains(p.Banner, "password") {
				printed = append(printed, i+1)
			}
		}
		if len(printed) != 1 {
			t.Fatalf("replicas %v printed first-run passwords, want exactly one; banners:\n%s\n%s\n%s", printed, ps[0].Banner, ps[1].Banner, ps[2].Banner)
		}
		adminPassword = bannerPassword(t, ps[printed[0]-1], demoAdmin)
		for i, base := range r {
			if a, err := send(mustRequest(t, http.MethodGet, base+"/healthz")); err != nil || a.status != http.StatusOK {
				t.Errorf("replica %d: GET /healthz: %v %v", i+1, a, err)
			}
		}
		if n := count(t, st, `SELECT count(*) FROM users`); n != 2 {
			t.Errorf("%d users, want the 2 of one first run", n)
		}
		if n := count(t, st, `SELECT count(*) FROM tenants`); n != 1 {
			t.Errorf("%d tenants, want the 1 of one first run", n)
		}
		if n := count(t, st, `SELECT count(*) FROM plans`); n != len(demoPlans) {
			t.Errorf("%d plans, want the %d of one first run", n, len(demoPlans))
		}
		// Every migration applied, each by one replica: a second apply would
		// have failed on the first's rows and stopped its replica, which the
		// health checks above would have found.
		files, err := filepath.Glob(filepath.Join("..", "..", "store", "migrations", "postgres", "*.sql"))
		if err != nil || len(files) == 0 {
			t.Fatalf("the PostgreSQL migrations: %v, %v", files, err)
		}
		if n := count(t, st, `SELECT count(*) FROM schema_migrations`); n != len(files) {
			t.Errorf("%d migrations recorded, want the %d of store/migrations/postgres", n, len(files))
		}
		if _, err := os.Stat(unused); !os.IsNotExist(err) {
			t.Errorf("the replicas used the data folder %s (%v): with --database-url it must stay unused", unused, err)
		}
	})

	// Log in on replica 1: the cookie and CSRF-protected POSTs work on
	// replicas 2 and 3; logging out on 2 is refused on 1 and 3 at once.
	t.Run("a session works on every replica and its logout everywhere at once", func(t *testing.T) {
		if adminPassword == "" {
			t.Skip("no first-run password (see the first subtest)")
		}
		b := newBrowser()
		b.mustLogin(t, r[0], demoAdmin, adminPassword)
		for _, base := range r[1:] {
			b.mustGet(t, base, "/", http.StatusOK)
			b.mustGet(t, base, "/api-credentials", http.StatusOK)
		}
		// Forms made by replica 1, sent to 2 and 3.
		w := b.mustWindow(t, r[0])
		gen := b.mustPost(t, r[1], "/api-credentials/generate", w.generate(), http.StatusOK)
		if _, _, err := keysOf(gen); err != nil {
			t.Fatal(err)
		}
		w = b.mustWindow(t, r[0])
		wantRedirect(t, b.mustPost(t, r[2], "/api-credentials/deactivate", w.deactivate(), http.StatusSeeOther), "/api-credentials")
		// A forged token is refused, so the two above passed a real check.
		b.mustPost(t, r[1], "/api-credentials/deactivate", url.Values{"_csrf": {"forged"}}, http.StatusForbidden)

		kept := b.clone()
		w = b.mustWindow(t, r[1])
		wantRedirect(t, b.mustPost(t, r[1], "/logout", url.Values{"_csrf": {w.csrf}}, http.StatusSeeOther), "/login")
		// The very next requests with the old cookie, on the other two.
		wantRedirect(t, kept.mustGet(t, r[0], "/", http.StatusSeeOther), "/login")
		wantRedirect(t, kept.mustPost(t, r[2], "/api-credentials/deactivate", w.deactivate(), http.StatusSeeOther), "/login")
		wantRedirect(t, kept.mustGet(t, r[2], "/api-credentials", http.StatusSeeOther), "/login")
		// The window's live status is JSON for its script: 401, not a redirect.
		kept.mustGet(t, r[0], "/api-credentials/status", http.StatusUnauthorized)
	})

	// Generate on 1, exchange the keys on 2, read plans on 3; Deactivate on
	// 3: the token and the keys are refused on the very next request to 1
	// and to 2. Several credentials in a row.
	t.Run("a deactivation is seen by every replica at the next request", func(t *testing.T) {
		tenantAdmin(t, st, "cycle", "cycle-admin", "cycle-password")
		unusedCLI := filepath.Join(t.TempDir(), "unused")
		db.cli(t, unusedCLI, "", "plan", "import", "--tenant", "cycle", "--name", "Cycle plan", writeCSV(t, goodRow))
		b := newBrowser()
		b.mustLogin(t, r[0], "cycle-admin", "cycle-password")
		for round := range 3 {
			w := b.mustWindow(t, r[0])
			if !w.canGenerate {
				t.Fatalf("round %d: Generate is not available", round)
			}
			access, secret, err := keysOf(b.mustPost(t, r[0], "/api-credentials/generate", w.generate(), http.StatusOK))
			if err != nil {
				t.Fatal(err)
			}
			b.waitStatus(t, r, string(lifecycle.Activated), 10*time.Second)
			token := mustExchange(t, r[1], access, secret)
			var plans apiPlans
			mustJSON(t, mustAPIGet(t, r[2], "/api/v1/plans", token, http.StatusOK), &plans)
			if len(plans.Plans) != 1 || plans.Plans[0].Name != "Cycle plan" || plans.Plans[0].Rows != 1 {
				t.Fatalf("round %d: plans %+v, want the one imported", round, plans)
			}
			mustAPIGet(t, r[0], fmt.Sprintf("/api/v1/plans/%d/data", plans.Plans[0].ID), token, http.StatusOK)

			w = b.mustWindow(t, r[2])
			wantRedirect(t, b.mustPost(t, r[2], "/api-credentials/deactivate", w.deactivate(), http.StatusSeeOther), "/api-credentials")
			mustAPIGet(t, r[0], "/api/v1/plans", token, http.StatusUnauthorized)
			mustAPIGet(t, r[1], "/api/v1/plans", token, http.StatusUnauthorized)
			for _, base := range r[:2] {
				if a, _, err := exchangeKeys(base, access, secret); err != nil || a.status != http.StatusUnauthorized {
					t.Fatalf("round %d: the deactivated keys: %v %v, want 401", round, a, err)
				}
			}
			b.waitStatus(t, r, string(lifecycle.Deactivated), 10*time.Second)
		}
	})

	// esp tenant feature … off on the command line: 403 on every replica
	// at once, and on again: served again everywhere.
	t.Run("the public API turned off by the CLI is refused on every replica at once", func(t *testing.T) {
		tenantID := tenantAdmin(t, st, "feature", "feature-admin", "feature-password")
		keys, err := lifecycle.NewService(st, time.Now, lifecycle.Config{}).Generate(ctx, tenantID, "test")
		if err != nil {
			t.Fatal(err)
		}
		b := newBrowser()
		b.mustLogin(t, r[0], "feature-admin", "feature-password")
		b.waitStatus(t, r, string(lifecycle.Activated), 10*time.Second)
		token := mustExchange(t, r[0], keys.AccessKey, keys.SecretKey)
		for _, base := range r {
			mustAPIGet(t, base, "/api/v1/plans", token, http.StatusOK)
			b.mustGet(t, base, "/api-credentials", http.StatusOK)
		}
		unusedCLI := filepath.Join(t.TempDir(), "unused")
		db.cli(t, unusedCLI, "", "tenant", "feature", "feature", "public-api", "off")
		for i, base := range r {
			a := mustAPIGet(t, base, "/api/v1/plans", token, http.StatusForbidden)
			if !strings.Contains(string(a.body), "feature_disabled") {
				t.Fatalf("replica %d: %s, want the error feature_disabled", i+1, a)
			}
		}
		for _, base := range r {
			if a, _, err := exchangeKeys(base, keys.AccessKey, keys.SecretKey); err != nil || a.status != http.StatusForbidden {
				t.Fatalf("exchange with the feature off: %v %v, want 403", a, err)
			}
			b.mustGet(t, base, "/api-credentials", http.StatusNotFound)
		}
		db.cli(t, unusedCLI, "", "tenant", "feature", "feature", "public-api", "on")
		for _, base := range r {
			mustAPIGet(t, base, "/api/v1/plans", token, http.StatusOK)
		}
		if _, err := os.Stat(unusedCLI); !os.IsNotExist(err) {
			t.Errorf("the CLI used the data folder %s (%v): with --database-url it must stay unused", unusedCLI, err)
		}
	})

	// 30 simultaneous Generates spread over the three replicas: one
	// credential; every other one is refused with the window (409).
	t.Run("simultaneous Generates on all replicas make one credential", func(t *testing.T) {
		const n = 30
		tenantID := tenantAdmin(t, st, "race", "race-admin", "race-password")
		b := newBrowser()
		b.mustLogin(t, r[0], "race-admin", "race-password")
		forms := make([]windowForms, n)
		for i := range forms {
			forms[i] = b.mustWindow(t, r[(i+1)%3])
		}
		start := make(chan struct{})
		answers := make([]answer, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				answers[i], errs[i] = b.post(r[i%3], "/api-credentials/generate", forms[i].generate())
			})
		}
		close(start)
		wg.Wait()
		statuses := map[int]int{}
		for i := range n {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			statuses[answers[i].status]++
			if answers[i].status >= 500 {
				t.Errorf("%s", answers[i])
			}
		}
		if statuses[http.StatusOK] != 1 || statuses[http.StatusConflict] != n-1 {
			t.Errorf("answers by status %v, want one 200 and %d 409", statuses, n-1)
		}
		if got := count(t, st, `SELECT count(*) FROM credentials WHERE tenant_id = $1`, tenantID); got != 1 {
			t.Errorf("%d credentials, want 1", got)
		}
		hist, err := lifecycle.NewService(st, time.Now, lifecycle.Config{}).History(ctx, tenantID, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if gen := slices.IndexFunc(hist, func(e lifecycle.HistoryEntry) bool { return e.Event != "Generated" && e.Event != "Activated" }); gen >= 0 || len(hist) == 0 || len(hist) > 2 {
			t.Errorf("history %+v, want one Generated (and its Activated)", hist)
		}
	})

	// A mixed load over the three replicas: no 5xx, no serialization
	// failures or deadlocks in the logs.
	t.Run("mixed load", func(t *testing.T) {
		runMixedLoad(t, db, st, r, load)
		checkLogs(t, ps)
	})

	// Wrong logins from one address, round-robin over the replicas: the
	// allowance is shared, so the 11th is refused (429) wherever it lands,
	// and so are the next ones on the other replicas. Last: it uses up the
	// address's allowance.
	t.Run("failed logins share one allowance across replicas", func(t *testing.T) {
		refused := wrongLoginsUntilRefused(t, func(i int) (int, error) {
			a, err := newBrowser().loginAt(r[i%3], r[i%3], demoAdmin, "wrong-password")
			if err == nil && a.status == http.StatusTooManyRequests && a.header.Get("Retry-After") == "" {
				t.Errorf("wrong login %d: 429 without Retry-After", i+1)
			}
			return a.status, err
		})
		// The next ones, on the other replicas, are refused too.
		for i := refused + 1; i <= refused+2; i++ {
			a, err := newBrowser().loginAt(r[i%3], r[i%3], demoAdmin, "wrong-password")
			if err != nil {
				t.Fatal(err)
			}
			if a.status != http.StatusTooManyRequests {
				t.Fatalf("wrong login %d on replica %d, right after a refusal: %s, want 429", i+1, i%3+1, a)
			}
		}
	})
	checkLogs(t, ps)
}

// loginRefill is how often an address's failed-login allowance of
// loginBurst grows back by one.
const (
	loginBurst  = 10
	loginRefill = 6 * time.Second
)

// wrongLoginsUntilRefused sends wrong logins (login(i) sends the i-th and
// answers its status) until one is refused with 429, and answers that
// one's index. At least loginBurst are checked first, and no more than the
// allowance plus what grew back while they ran, so the test holds on a
// slow machine too.
func wrongLoginsUntilRefused(t *testing.T, login func(i int) (int, error)) int {
	t.Helper()
	started := time.Now()
	for i := 0; ; i++ {
		status, err := login(i)
		if err != nil {
			t.Fatal(err)
		}
		if status == http.StatusTooManyRequests {
			if i < loginBurst {
				t.Fatalf("wrong login %d refused; want the first %d checked", i+1, loginBurst)
			}
			return i
		}
		if status != http.StatusUnauthorized {
			t.Fatalf("wrong login %d: %d, want 401 or, past the allowance, 429", i+1, status)
		}
		if allowed := loginBurst + int(time.Since(started)/loginRefill); i+1 > allowed {
			t.Fatalf("wrong login %d checked after %s; the allowance is %d", i+1, time.Since(started).Round(time.Millisecond), allowed)
		}
	}
}

func mustJSON(t *testing.T, a answer, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
}

func mustRequest(t *testing.T, method, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
