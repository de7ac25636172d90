package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/lifecycle/plancsv"
	"esp/store"
	"esp/web/internal/webtest"
)

// openSecondHandle opens the server's database a second time, as another
// process (another esp serve, the esp command line) would.
func openSecondHandle(tb testing.TB, env *webtest.Env) *store.Store {
	tb.Helper()
	return env.Database.Open(tb)
}

func TestDeactivationByAnotherProcessRefusesTokenOnNextRequest(t *testing.T) {
	env := webtest.NewEnv(t)
	token := webtest.Exchange(t, env, webtest.ActivatedKeys(t, env, env.Acme.ID))
	webtest.MustStatus(t, webtest.APIGet(env, token, "/api/v1/plans"), http.StatusOK)
	webtest.MustStatus(t, webtest.APIGet(env, token, "/api/v1/plans"), http.StatusOK)

	other := lifecycle.NewService(openSecondHandle(t, env), env.Clock.Now, lifecycle.Config{})
	if _, err := other.Deactivate(context.Background(), env.Acme.ID, "cli"); err != nil {
		t.Fatal(err)
	}
	webtest.MustAPIError(t, webtest.APIGet(env, token, "/api/v1/plans"), http.StatusUnauthorized, "invalid_token")
}

func TestFeatureOffByAnotherProcessForbidsTokenOnNextRequest(t *testing.T) {
	env := webtest.NewEnv(t)
	token := webtest.Exchange(t, env, webtest.ActivatedKeys(t, env, env.Acme.ID))
	webtest.MustStatus(t, webtest.APIGet(env, token, "/api/v1/plans"), http.StatusOK)
	webtest.MustStatus(t, webtest.APIGet(env, token, "/api/v1/plans"), http.StatusOK)

	if err := openSecondHandle(t, env).SetPublicAPI(context.Background(), "acme", false); err != nil {
		t.Fatal(err)
	}
	webtest.MustAPIError(t, webtest.APIGet(env, token, "/api/v1/plans"), http.StatusForbidden, "feature_disabled")
}

func TestFeatureOffByAnotherProcessHidesWindowOnNextRequest(t *testing.T) {
	env := webtest.NewEnv(t)
	c := webtest.SignedIn(t, env, "alice")
	webtest.WantStatus(t, c.Get("/api-credentials"), http.StatusOK)
	webtest.WantStatus(t, c.Get("/api-credentials"), http.StatusOK)

	if err := openSecondHandle(t, env).SetPublicAPI(context.Background(), "acme", false); err != nil {
		t.Fatal(err)
	}
	webtest.WantStatus(t, c.Get("/api-credentials"), http.StatusNotFound)
}

func TestSessionDeletedByAnotherProcessEndsOnNextRequest(t *testing.T) {
	env := webtest.NewEnv(t)
	c := webtest.SignedIn(t, env, "alice")
	webtest.WantStatus(t, c.Get("/"), http.StatusOK)
	webtest.WantStatus(t, c.Get("/"), http.StatusOK)

	if _, err := openSecondHandle(t, env).DB.ExecContext(context.Background(), `DELETE FROM sessions`); err != nil {
		t.Fatal(err)
	}
	webtest.WantRedirect(t, c.Get("/"), "/login")
}

func TestPlanImportedByAnotherProcessIsListedOnNextRequest(t *testing.T) {
	env := webtest.NewEnv(t)
	token := webtest.Exchange(t, env, webtest.ActivatedKeys(t, env, env.Acme.ID))
	c := webtest.SignedIn(t, env, "alice")
	for range 2 {
		webtest.MustStatus(t, webtest.APIGet(env, token, "/api/v1/plans"), http.StatusOK)
		webtest.WantStatus(t, c.Get("/"), http.StatusOK)
	}

	r, err := plancsv.NewReader(strings.NewReader(webtest.PlanCSV(3)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openSecondHandle(t, env).ImportPlan(context.Background(), env.Acme.ID, "imported elsewhere", env.Clock.Now(), r.Read); err != nil {
		t.Fatal(err)
	}
	rec := webtest.APIGet(env, token, "/api/v1/plans")
	webtest.MustStatus(t, rec, http.StatusOK)
	if !strings.Contains(rec.Body.String(), `"name":"imported elsewhere"`) {
		t.Fatalf("GET /api/v1/plans = %s, want the new plan listed", rec.Body)
	}
	page := c.Get("/")
	webtest.WantStatus(t, page, http.StatusOK)
	if got, want := webtest.MustDoc(t, page).Find("[data-testid=plan-row]").Length(), 1; got != want {
		t.Fatalf("plan rows on / = %d, want %d", got, want)
	}
}

func TestSessionKeptAliveByAnotherProcessDoesNotEnd(t *testing.T) {
	env := webtest.NewEnv(t)
	c := webtest.SignedIn(t, env, "alice")
	webtest.WantStatus(t, c.Get("/"), http.StatusOK) // cached with this last-seen time

	env.Clock.Add(20 * time.Minute)
	other := openSecondHandle(t, env)
	if _, err := other.DB.ExecContext(context.Background(), `UPDATE sessions SET last_seen_at = $1`, env.Clock.Now().UnixNano()); err != nil {
		t.Fatal(err)
	}
	env.Clock.Add(15 * time.Minute) // 35 minutes after the cached time, 15 after the other server's
	webtest.WantStatus(t, c.Get("/"), http.StatusOK)
}
