package metrics_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"esp/lifecycle"
	"esp/web/metrics"
)

type counts map[lifecycle.Status]int64

func (c counts) CredentialCounts(context.Context) (map[lifecycle.Status]int64, error) {
	if c == nil {
		return nil, errors.New("database is closed")
	}
	return c, nil
}

func scrape(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Body)
	return rec.Code, string(body)
}

// The scrape reports every status, zero where no credential is in it, and
// counts that the database holds under each status's column value.
func TestCredentialsByStatusAreReadAtScrapeTime(t *testing.T) {
	reg := prometheus.NewRegistry()
	db := counts{lifecycle.Activated: 3}
	metrics.New(reg, db)
	h := metrics.Handler(reg, slog.New(slog.DiscardHandler))
	_, body := scrape(t, h, "/metrics")
	for _, want := range []string{`esp_credentials{status="activated"} 3`, `esp_credentials{status="pending_activation"} 0`,
		`esp_credentials{status="deactivation_failed"} 0`} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if strings.Contains(body, `status="none"`) {
		t.Error("the scrape counts credentials in status none, which no row holds")
	}
	db[lifecycle.Activated] = 4
	if _, body := scrape(t, h, "/metrics"); !strings.Contains(body, `esp_credentials{status="activated"} 4`) {
		t.Error("a second scrape does not read the counts again")
	}
}

// A database that cannot be read costs the credentials gauge, logged, and
// nothing else; the listener serves /metrics only.
func TestScrapeServesTheRestWhenTheDatabaseFails(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, counts(nil))
	m.Login("success")
	var logs strings.Builder
	h := metrics.Handler(reg, slog.New(slog.NewTextHandler(&logs, nil)))
	code, body := scrape(t, h, "/metrics")
	if code != http.StatusOK || !strings.Contains(body, `esp_logins_total{outcome="success"} 1`) || strings.Contains(body, "esp_credentials{") {
		t.Fatalf("scrape with the database down: %d\n%s", code, body)
	}
	if !strings.Contains(logs.String(), "database is closed") {
		t.Errorf("the failure is not logged: %q", logs.String())
	}
	if code, _ := scrape(t, h, "/"); code != http.StatusNotFound {
		t.Errorf("GET /: %d, want 404", code)
	}
}
