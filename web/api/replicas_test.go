package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"esp/store/storetest"
	"esp/web/internal/webtest"
)

// Failed authentications from one address, spread over the replicas, use
// one allowance: the 21st is refused on whichever replica it reaches, while
// a token made on one replica works on the others.
func TestFailedAuthenticationsSpreadOverReplicasShareOneAllowance(t *testing.T) {
	if storetest.Backend(t) != storetest.Postgres {
		t.Skip("one server per SQLite data folder: each server counts its own failures")
	}
	rs := webtest.NewReplicas(t, 3)
	good := webtest.Exchange(t, rs[0], webtest.ActivatedKeys(t, rs[0], rs[0].Acme.ID))
	bad := "esptk_" + strings.Repeat("A", 43)
	for i := range 20 {
		webtest.MustAPIError(t, webtest.APIGet(rs[i%3], bad, "/api/v1/plans"), http.StatusUnauthorized, "invalid_token")
	}
	for _, r := range rs {
		rec := webtest.APIGet(r, bad, "/api/v1/plans")
		webtest.MustAPIError(t, rec, http.StatusTooManyRequests, "rate_limited")
		if got := rec.Header().Get("Retry-After"); got != "3" {
			t.Fatalf("Retry-After %q, want 3", got)
		}
		webtest.MustStatus(t, webtest.APIGet(r, good, "/api/v1/plans"), http.StatusOK)
	}
	rs[0].Clock.Add(3 * time.Second)
	webtest.MustAPIError(t, webtest.APIGet(rs[1], bad, "/api/v1/plans"), http.StatusUnauthorized, "invalid_token")
	webtest.MustAPIError(t, webtest.APIGet(rs[2], bad, "/api/v1/plans"), http.StatusTooManyRequests, "rate_limited")
}
