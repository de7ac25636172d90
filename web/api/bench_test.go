package api_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"esp/web/internal/webtest"
)

// BenchmarkAPIKeyCheckMistyped is the exchange path for a secret with a bad
// checksum: refused by the format check, without a database call.
func BenchmarkAPIKeyCheckMistyped(b *testing.B) {
	env := webtest.NewEnv(b)
	keys := webtest.ActivatedKeys(b, env, env.Acme.ID)
	bad := keys.SecretKey[:len(keys.SecretKey)-1] + "x"
	if bad == keys.SecretKey {
		bad = keys.SecretKey[:len(keys.SecretKey)-1] + "y"
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		req := webtest.KeyRequest(keys.AccessKey, bad)
		req.RemoteAddr = "10.0." + webtest.Itoa(int64(i/250%250)) + "." + webtest.Itoa(int64(i%250)) + ":1" // stay under the failure limit
		rec := httptest.NewRecorder()
		env.Server.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized {
			b.Fatalf("status %d", rec.Code)
		}
		i++
	}
}

// BenchmarkAPIKeyExchange is a successful exchange: format checks, the
// credential lookup, the constant-time hash comparison and the token insert.
func BenchmarkAPIKeyExchange(b *testing.B) {
	env := webtest.NewEnv(b)
	keys := webtest.ActivatedKeys(b, env, env.Acme.ID)
	b.ReportAllocs()
	for b.Loop() {
		rec := env.Do(webtest.KeyRequest(keys.AccessKey, keys.SecretKey))
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// BenchmarkAPITokenCheck is an authenticated request: the token lookup with
// its credential and tenant in one query, then a small handler.
func BenchmarkAPITokenCheck(b *testing.B) {
	env := webtest.NewEnv(b)
	token := webtest.Exchange(b, env, webtest.ActivatedKeys(b, env, env.Acme.ID))
	b.ReportAllocs()
	for b.Loop() {
		rec := webtest.APIGet(env, token, "/api/v1/plans")
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// BenchmarkAPIExportCSV streams a 10,000-row plan; allocations per
// operation stay flat in the number of rows.
func BenchmarkAPIExportCSV(b *testing.B) {
	env := webtest.NewEnv(b)
	plan := webtest.ImportCSV(b, env, env.Acme.ID, "big", webtest.PlanCSV(10000))
	token := webtest.Exchange(b, env, webtest.ActivatedKeys(b, env, env.Acme.ID))
	srv := httptest.NewServer(env.Server)
	defer srv.Close()
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/plans/"+webtest.Itoa(plan.ID)+"/export", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || n == 0 {
			b.Fatalf("status %d, %d bytes", resp.StatusCode, n)
		}
	}
}

// BenchmarkAPIKeyExchangeParallel is BenchmarkAPIKeyExchange from many
// clients at once, as in the bench's mixed load: the exchanges queue for
// the database's one writer.
func BenchmarkAPIKeyExchangeParallel(b *testing.B) {
	env := webtest.NewEnv(b)
	keys := webtest.ActivatedKeys(b, env, env.Acme.ID)
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := env.Do(webtest.KeyRequest(keys.AccessKey, keys.SecretKey))
			if rec.Code != http.StatusOK {
				b.Errorf("status %d", rec.Code)
				return
			}
		}
	})
}
