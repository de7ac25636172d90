package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store/storetest"
	"esp/web/internal/webtest"
)

// A report that reaches one replica refuses the token at its next request
// on another replica, which serves it meanwhile.
func TestReportOnOneReplicaRefusesTheTokenOnAnother(t *testing.T) {
	if storetest.Backend(t) != storetest.Postgres {
		t.Skip("replicas share a PostgreSQL database")
	}
	s := newScanner(t, "key-1")
	rs := webtest.NewReplicas(t, 2, withKeys(s.keys(t)))
	keys := webtest.ActivatedKeys(t, rs[0], rs[0].Acme.ID)
	token := webtest.Exchange(t, rs[1], keys)
	webtest.MustStatus(t, webtest.APIGet(rs[1], token, "/api/v1/plans"), http.StatusOK)

	mustFeedback(t, s.report(t, rs[0], reportBody(keys.SecretKey)))
	webtest.MustAPIError(t, webtest.APIGet(rs[1], token, "/api/v1/plans"), http.StatusUnauthorized, "invalid_token")
}

// The request right after a report is refused, 100 times over; the time
// from the report's arrival to that refusal is printed, not asserted (the
// machine's load decides it).
func TestMeasureReportToRefusal(t *testing.T) {
	if testing.Short() {
		t.Skip("a measurement")
	}
	env, s := scanningEnv(t)
	var took []time.Duration
	for i := range 100 {
		keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
		token := webtest.Exchange(t, env, keys)
		body := reportBody(keys.SecretKey)
		// Each run from its own address: the limits count reports and
		// failed authentications per address.
		addr := fmt.Sprintf("198.51.100.%d:1234", i+1)
		req := reportRequest(body, s.id, s.sign(t, body))
		req.RemoteAddr = addr
		start := time.Now()
		webtest.MustStatus(t, env.Do(req), http.StatusOK)
		get := webtest.NewGet("/api/v1/plans", token)
		get.RemoteAddr = addr
		if code := env.Do(get).Code; code != http.StatusUnauthorized {
			t.Fatalf("the request right after the report answered %d, want 401", code)
		}
		took = append(took, time.Since(start))
		env.Tick(t) // confirmed: Deactivated, so that Generate is available again
		if st := webtest.CurrentStatus(t, env); st != lifecycle.Deactivated {
			t.Fatalf("status %s, want deactivated", st)
		}
	}
	slices.Sort(took)
	t.Logf("%s: report to first refused request over %d runs: median %v, p99 %v",
		storetest.Backend(t), len(took), took[len(took)/2], took[len(took)*99/100])
}
