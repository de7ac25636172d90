package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store"
)

// openSecondHandle opens the server's database a second time, as another
// process (another esp serve, the esp command line) would.
func openSecondHandle(tb testing.TB, env *testEnv) *store.Store {
	tb.Helper()
	other, err := store.Open(context.Background(), env.Cfg.DataDir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { other.Close() })
	return other
}

func TestDeactivationByAnotherProcessRefusesTokenOnNextRequest(t *testing.T) {
	env := newTestEnv(t)
	token := exchange(t, env, activatedKeys(t, env, env.Acme.ID))
	mustStatus(t, apiGet(env, token, "/api/v1/plans"), http.StatusOK)
	mustStatus(t, apiGet(env, token, "/api/v1/plans"), http.StatusOK)

	other := lifecycle.NewService(openSecondHandle(t, env), env.Clock.Now, lifecycle.Config{})
	if _, err := other.Deactivate(context.Background(), env.Acme.ID, "cli"); err != nil {
		t.Fatal(err)
	}
	mustAPIError(t, apiGet(env, token, "/api/v1/plans"), http.StatusUnauthorized, "invalid_token")
}

func TestFeatureOffByAnotherProcessForbidsTokenOnNextRequest(t *testing.T) {
	env := newTestEnv(t)
	token := exchange(t, env, activatedKeys(t, env, env.Acme.ID))
	mustStatus(t, apiGet(env, token, "/api/v1/plans"), http.StatusOK)
	mustStatus(t, apiGet(env, token, "/api/v1/plans"), http.StatusOK)

	if err := openSecondHandle(t, env).SetPublicAPI(context.Background(), "acme", false); err != nil {
		t.Fatal(err)
	}
	mustAPIError(t, apiGet(env, token, "/api/v1/plans"), http.StatusForbidden, "feature_disabled")
}

func TestFeatureOffByAnotherProcessHidesWindowOnNextRequest(t *testing.T) {
	env := newTestEnv(t)
	c := signedIn(t, env, "alice")
	wantStatus(t, c.get("/api-credentials"), http.StatusOK)
	wantStatus(t, c.get("/api-credentials"), http.StatusOK)

	if err := openSecondHandle(t, env).SetPublicAPI(context.Background(), "acme", false); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, c.get("/api-credentials"), http.StatusNotFound)
}

func TestSessionDeletedByAnotherProcessEndsOnNextRequest(t *testing.T) {
	env := newTestEnv(t)
	c := signedIn(t, env, "alice")
	wantStatus(t, c.get("/"), http.StatusOK)
	wantStatus(t, c.get("/"), http.StatusOK)

	if _, err := openSecondHandle(t, env).DB.ExecContext(context.Background(), `DELETE FROM sessions`); err != nil {
		t.Fatal(err)
	}
	wantRedirect(t, c.get("/"), "/login")
}

func TestPlanImportedByAnotherProcessIsListedOnNextRequest(t *testing.T) {
	env := newTestEnv(t)
	token := exchange(t, env, activatedKeys(t, env, env.Acme.ID))
	c := signedIn(t, env, "alice")
	for range 2 {
		mustStatus(t, apiGet(env, token, "/api/v1/plans"), http.StatusOK)
		wantStatus(t, c.get("/"), http.StatusOK)
	}

	r, err := store.NewPlanCSVReader(strings.NewReader(planCSV(3)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openSecondHandle(t, env).ImportPlan(context.Background(), env.Acme.ID, "imported elsewhere", env.Clock.Now(), r.Read); err != nil {
		t.Fatal(err)
	}
	rec := apiGet(env, token, "/api/v1/plans")
	mustStatus(t, rec, http.StatusOK)
	if !strings.Contains(rec.Body.String(), `"name":"imported elsewhere"`) {
		t.Fatalf("GET /api/v1/plans = %s, want the new plan listed", rec.Body)
	}
	page := c.get("/")
	wantStatus(t, page, http.StatusOK)
	if got, want := mustDoc(t, page).Find("[data-testid=plan-row]").Length(), 1; got != want {
		t.Fatalf("plan rows on / = %d, want %d", got, want)
	}
}

func TestSessionKeptAliveByAnotherProcessDoesNotEnd(t *testing.T) {
	env := newTestEnv(t)
	c := signedIn(t, env, "alice")
	wantStatus(t, c.get("/"), http.StatusOK) // cached with this last-seen time

	env.Clock.Add(20 * time.Minute)
	other := openSecondHandle(t, env)
	if _, err := other.DB.ExecContext(context.Background(), `UPDATE sessions SET last_seen_at = ?`, env.Clock.Now().UnixNano()); err != nil {
		t.Fatal(err)
	}
	env.Clock.Add(15 * time.Minute) // 35 minutes after the cached time, 15 after the other server's
	wantStatus(t, c.get("/"), http.StatusOK)
}
