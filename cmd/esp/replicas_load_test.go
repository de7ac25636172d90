package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/lifecycle/plancsv"
	"esp/store"
)

// loadStats gathers the answers of the mixed load's workers.
type loadStats struct {
	mu         sync.Mutex
	byStatus   map[int]int
	unexpected []string // the first few answers no worker expected
	nUnexp     int
}

// record counts a; an error, a 5xx or a status not in ok is unexpected.
// It reports whether a was one of ok.
func (s *loadStats) record(a answer, err error, ok ...int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		s.byStatus[a.status]++
	}
	if err == nil && a.status < 500 && slices.Contains(ok, a.status) {
		return true
	}
	s.nUnexp++
	if len(s.unexpected) < 20 {
		if err != nil {
			s.unexpected = append(s.unexpected, err.Error())
		} else {
			s.unexpected = append(s.unexpected, fmt.Sprintf("%s, want one of %v", a, ok))
		}
	}
	return false
}

// loadPlanCSV is a plan file of n rows, one week each.
func loadPlanCSV(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(plancsv.Header)
	start := time.Date(2027, time.January, 4, 0, 0, 0, 0, time.UTC)
	for i := range n {
		fmt.Fprintf(&b, "%s,week,Billing,Manila,%d,372,12.50,13.00,80.0,21,82.5\n", start.AddDate(0, 0, 7*i).Format("2006-01-02"), 1000+i)
	}
	path := filepath.Join(t.TempDir(), "load.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitActivated polls the database until the tenant's credential is
// Activated.
func waitActivated(t *testing.T, st *store.Store, tenantID int64, within time.Duration) {
	t.Helper()
	svc := lifecycle.NewService(st, time.Now, lifecycle.Config{})
	deadline := time.Now().Add(within)
	for {
		cur, err := svc.Current(context.Background(), tenantID)
		if err != nil {
			t.Fatal(err)
		}
		if cur.Status == lifecycle.Activated {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("tenant %d: credential %s after %s, want activated", tenantID, cur.Status, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// runMixedLoad runs, for d, over the replicas r (each worker asks them in
// turn): API clients reading and exporting one tenant's plan with a
// credential that never changes (every answer must be 200); admins of two
// tenants, two per tenant, generating and deactivating as fast as the
// window lets them (their races answer 409); a user logging in and out,
// whose old cookie must be refused at once; and the three schedulers
// activating and deactivating what the admins ask for. No answer may be a
// 5xx or anything its worker did not expect.
func runMixedLoad(t *testing.T, db replicaDB, st *store.Store, r []string, d time.Duration) {
	const planRows = 300
	ctx := context.Background()
	apiTenant := tenantAdmin(t, st, "load-api", "load-api-admin", "load-password")
	if _, err := testAccounts(st).AddUser(ctx, "load-api", "load-user", "load-password", false); err != nil {
		t.Fatal(err)
	}
	db.cli(t, filepath.Join(t.TempDir(), "unused"), "", "plan", "import", "--tenant", "load-api", "--name", "Load plan", loadPlanCSV(t, planRows))
	keys, err := lifecycle.NewService(st, time.Now, lifecycle.Config{}).Generate(ctx, apiTenant, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"load-cycle-1", "load-cycle-2"} {
		tenantAdmin(t, st, name, name+"-admin", "load-password")
	}
	waitActivated(t, st, apiTenant, 10*time.Second)
	plans, err := st.Plans(ctx, apiTenant)
	if err != nil || len(plans) != 1 {
		t.Fatalf("plans %v %v", plans, err)
	}
	planPath := fmt.Sprintf("/api/v1/plans/%d", plans[0].ID)

	stats := &loadStats{byStatus: map[int]int{}}
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	// API clients.
	for w := range 3 {
		wg.Go(func() {
			token := ""
			for i := w; time.Now().Before(deadline); i++ {
				at := func(k int) string { return r[(i+k)%len(r)] }
				if i%10 == w || token == "" {
					a, tok, err := exchangeKeys(at(0), keys.AccessKey, keys.SecretKey)
					if !stats.record(a, err, http.StatusOK) {
						continue
					}
					token = tok
				}
				a, err := apiGet(at(1), "/api/v1/plans", token)
				stats.record(a, err, http.StatusOK)
				a, err = apiGet(at(2), planPath, token)
				stats.record(a, err, http.StatusOK)
				a, err = apiGet(at(0), planPath+"/data?limit=50", token)
				stats.record(a, err, http.StatusOK)
				if i%3 == 0 {
					a, err = apiGet(at(1), planPath+"/export", token)
					if stats.record(a, err, http.StatusOK) && bytes.Count(a.body, []byte("\n")) != planRows+1 {
						stats.record(a, fmt.Errorf("export of %d lines, want %d", bytes.Count(a.body, []byte("\n")), planRows+1))
					}
				}
			}
		})
	}
	// Admins, two per tenant.
	for w := range 4 {
		wg.Go(func() {
			name := fmt.Sprintf("load-cycle-%d", w%2+1)
			b := newBrowser()
			a, err := b.loginAt(r[w%3], r[(w+1)%3], name+"-admin", "load-password")
			if !stats.record(a, err, http.StatusSeeOther) {
				return
			}
			var access, secret string
			for i := w; time.Now().Before(deadline); i++ {
				at := func(k int) string { return r[(i+k)%len(r)] }
				win, err := b.window(at(0))
				if err != nil {
					stats.record(answer{}, err)
					continue
				}
				switch {
				case win.canGenerate:
					a, err := b.post(at(1), "/api-credentials/generate", win.generate())
					if stats.record(a, err, http.StatusOK, http.StatusConflict) && a.status == http.StatusOK {
						if access, secret, err = keysOf(a); err != nil {
							stats.record(a, err)
						}
					}
				case win.canDeactivate:
					a, err := b.post(at(1), "/api-credentials/deactivate", win.deactivate())
					stats.record(a, err, http.StatusSeeOther, http.StatusConflict)
				}
				status, err := b.credentialStatus(at(2))
				if err != nil {
					stats.record(answer{}, err)
				}
				if access != "" && status == string(lifecycle.Activated) {
					// Its credential may be pending or deactivated by the
					// other admin by now; 429 once the address has used up
					// its failed authentications.
					a, token, err := exchangeKeys(at(2), access, secret)
					if stats.record(a, err, http.StatusOK, http.StatusUnauthorized, http.StatusTooManyRequests) && token != "" {
						a, err := apiGet(at(0), "/api/v1/plans", token)
						stats.record(a, err, http.StatusOK, http.StatusUnauthorized, http.StatusTooManyRequests)
					}
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	// A user logging in and out: each old cookie is refused at once.
	wg.Go(func() {
		for i := 0; time.Now().Before(deadline); i++ {
			at := func(k int) string { return r[(i+k)%len(r)] }
			b := newBrowser()
			a, err := b.loginAt(at(0), at(1), "load-user", "load-password")
			if !stats.record(a, err, http.StatusSeeOther) {
				continue
			}
			home, err := b.get(at(2), "/")
			if !stats.record(home, err, http.StatusOK) {
				continue
			}
			token, err := formField(home, `form[action="/logout"]`, "_csrf")
			if err != nil {
				stats.record(home, err)
				continue
			}
			kept := b.clone()
			a, err = b.post(at(1), "/logout", map[string][]string{"_csrf": {token}})
			stats.record(a, err, http.StatusSeeOther)
			a, err = kept.get(at(2), "/")
			if stats.record(a, err, http.StatusSeeOther) && a.location() != "/login" {
				stats.record(a, fmt.Errorf("%s: the old cookie after logout went to %q, want /login", a, a.location()))
			}
		}
	})
	wg.Wait()

	total := 0
	for _, n := range stats.byStatus {
		total += n
	}
	t.Logf("mixed load for %s: %d requests (%.0f/s), by status %v", d, total, float64(total)/d.Seconds(), stats.byStatus)
	for code, n := range stats.byStatus {
		if code >= 500 {
			t.Errorf("%d answers %d", n, code)
		}
	}
	if stats.nUnexp > 0 {
		t.Errorf("%d unexpected answers, first:\n%s", stats.nUnexp, strings.Join(stats.unexpected, "\n"))
	}
}
