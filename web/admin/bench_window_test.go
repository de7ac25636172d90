package admin_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"esp/lifecycle"
	"esp/views"
	"esp/web/internal/webtest"
)

// BenchmarkWindowRequest is GET /api-credentials as a signed-in admin
// through the real Echo handler: session lookup, the tenant's current
// credential, the plans under the window, and the render (`make bench`
// row 1 measures the same over HTTP). Each request has a cancellable
// context, as requests of the real server do.
func BenchmarkWindowRequest(b *testing.B) {
	env := webtest.NewEnv(b)
	admin := webtest.SignedIn(b, env, "alice")
	if _, err := env.Service.Generate(context.Background(), env.Acme.ID, "user:alice"); err != nil {
		b.Fatal(err)
	}
	env.Tick(b)
	webtest.WantStatus(b, admin.Get("/api-credentials"), http.StatusOK)
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/api-credentials", nil)
		cctx, cancel := context.WithCancel(context.Background())
		req = req.WithContext(cctx)
		rec := admin.Send(req)
		cancel()
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// BenchmarkWindowTemplate is the window's templ component alone, for an
// activated credential with masked keys and a few plans.
func BenchmarkWindowTemplate(b *testing.B) {
	st := lifecycle.Activated
	vm := views.CredentialsVM{
		Page: views.Page{Title: "API Credentials", Username: "alice", IsAdmin: true, ShowAPICredentials: true,
			CSRFToken: "qS0dM0cbmAFvQ4ekp2kXbW1mO2kJv9bHcGq0nX4xV5o"},
		Plans: []views.PlanSummary{
			{ID: 1, Name: "2026 weekly", Rows: 1040, Interval: "week", First: "2026-01-05", Last: "2026-12-28"},
			{ID: 2, Name: "2026 daily", Rows: 7300, Interval: "day", First: "2026-01-01", Last: "2026-12-31"},
		},
		StatusCode: string(st), StatusLabel: st.Label(), Description: st.Description(),
		Created: "2026-11-26 09:00:00 UTC", CreatedISO: "2026-11-26T09:00:00Z", LastUsed: "Never",
		AccessKey: lifecycle.Mask("WXYZ"), SecretKey: lifecycle.Mask("abcd"),
		CanDeactivate: true,
	}
	ctx := context.Background()
	for b.Loop() {
		if err := views.CredentialsWindow(vm).Render(ctx, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWindowRequestOfUsedKeys is BenchmarkWindowRequest for keys that
// client programs have used: the window shows their recent addresses too,
// which it reads again only after a new use.
func BenchmarkWindowRequestOfUsedKeys(b *testing.B) {
	env := webtest.NewEnv(b)
	admin := webtest.SignedIn(b, env, "alice")
	webtest.Exchange(b, env, webtest.ActivatedKeys(b, env, env.Acme.ID))
	webtest.WantStatus(b, admin.Get("/api-credentials"), http.StatusOK)
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/api-credentials", nil)
		cctx, cancel := context.WithCancel(context.Background())
		rec := admin.Send(req.WithContext(cctx))
		cancel()
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
