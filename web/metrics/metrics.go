// Package metrics is what ESP tells Prometheus: the HTTP requests by route
// pattern, the logins, token exchanges, failed authentications and
// rate-limit refusals, the exports, the scheduler's lateness and activator
// calls, and the credentials by status. Its metrics live in the registry
// they are given, never in a global one, and their labels take only fixed
// values: a route pattern, a status code, an outcome from a short list,
// never a key, a token, a username or a request's path.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"esp/lifecycle"
)

// CredentialCounter counts the credentials in each status (as the status
// column stores them): the store does.
type CredentialCounter interface {
	CredentialCounts(ctx context.Context) (map[lifecycle.Status]int64, error)
}

// Metrics are ESP's metrics, registered in one registry. Its methods are
// the observers that the web server, the API and the scheduler are given.
type Metrics struct {
	requests       *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	logins         *prometheus.CounterVec
	exchanges      *prometheus.CounterVec
	authFailures   *prometheus.CounterVec
	refusals       *prometheus.CounterVec
	addrRefusals   *prometheus.CounterVec
	exportRows     *prometheus.CounterVec
	exportBytes    *prometheus.CounterVec
	claimLateness  prometheus.Histogram
	activatorCalls *prometheus.CounterVec
}

// New registers ESP's metrics in reg, with the Go runtime's and the
// process's own, and the credentials by status, which creds counts at each
// scrape (so every process serving one database reports the same numbers).
func New(reg prometheus.Registerer, creds CredentialCounter) *Metrics {
	m := &Metrics{
		requests: counterVec("esp_http_requests_total",
			"HTTP requests answered, by method, route pattern (unmatched for none) and status code.",
			"method", "route", "code"),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "esp_http_request_duration_seconds",
			Help:    "Time from a request's arrival to its answer, by method and route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}},
			[]string{"method", "route"}),
		logins: counterVec("esp_logins_total",
			"Logins to the web admin, by outcome: success, wrong, limited, busy, expired, invalid, error.",
			"outcome"),
		exchanges: counterVec("esp_token_exchanges_total",
			"Exchanges of API keys for a token, by outcome: issued, rejected, forbidden, invalid, limited, error.",
			"outcome"),
		authFailures: counterVec("esp_api_authentication_failures_total",
			"Failed authentications to the public API, by what was presented: keys (a token exchange) or token.",
			"kind"),
		refusals: counterVec("esp_rate_limit_refusals_total",
			"Requests refused by a per-address limit (429), by limit: login or api.",
			"limit"),
		addrRefusals: counterVec("esp_api_ip_not_allowed_total",
			"API requests refused because the caller's address is outside its tenant's allowed addresses (403 ip_not_allowed), by what was presented: keys (a token exchange) or token.",
			"kind"),
		exportRows: counterVec("esp_export_rows_total",
			"Plan rows sent by the API's export, by format.",
			"format"),
		exportBytes: counterVec("esp_export_bytes_total",
			"Bytes sent by the API's export, by format.",
			"format"),
		claimLateness: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "esp_scheduler_claim_lateness_seconds",
			Help:    "How late due activator work was when the scheduler claimed it.",
			Buckets: []float64{.1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600}}),
		activatorCalls: counterVec("esp_activator_calls_total",
			"Activator calls, by action and result: succeeded, failed (for good), retried, abandoned (claim lost).",
			"action", "result"),
	}
	reg.MustRegister(m.requests, m.duration, m.logins, m.exchanges, m.authFailures, m.refusals, m.addrRefusals,
		m.exportRows, m.exportBytes, m.claimLateness, m.activatorCalls,
		credentialsByStatus{creds: creds},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Series that are known up front start at zero, so that a rate over
	// them is defined before their first event.
	for _, limit := range []string{"login", "api"} {
		m.refusals.WithLabelValues(limit)
	}
	for _, kind := range []string{"keys", "token"} {
		m.authFailures.WithLabelValues(kind)
		m.addrRefusals.WithLabelValues(kind)
	}
	for _, a := range lifecycle.Actions {
		for _, r := range lifecycle.CallResults {
			m.activatorCalls.WithLabelValues(string(a), string(r))
		}
	}
	return m
}

// counterVec is a counter named name, explained by help, with labels.
func counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
}

// ObserveRequest counts one answered request and its time.
func (m *Metrics) ObserveRequest(method, route string, status int, elapsed time.Duration) {
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(method, route).Observe(elapsed.Seconds())
}

// Login counts one login by its outcome.
func (m *Metrics) Login(outcome string) { m.logins.WithLabelValues(outcome).Inc() }

// TokenExchange counts one exchange of keys for a token by its outcome.
func (m *Metrics) TokenExchange(outcome string) { m.exchanges.WithLabelValues(outcome).Inc() }

// AuthenticationFailed counts one failed authentication with kind (keys
// or token).
func (m *Metrics) AuthenticationFailed(kind string) { m.authFailures.WithLabelValues(kind).Inc() }

// RateLimited counts one request refused by limit (login or api).
func (m *Metrics) RateLimited(limit string) { m.refusals.WithLabelValues(limit).Inc() }

// AddressRefused counts one API request refused for its address, by kind
// (keys or token).
func (m *Metrics) AddressRefused(kind string) { m.addrRefusals.WithLabelValues(kind).Inc() }

// Exported counts what one export sent.
func (m *Metrics) Exported(format string, rows int, bytes int64) {
	m.exportRows.WithLabelValues(format).Add(float64(rows))
	m.exportBytes.WithLabelValues(format).Add(float64(bytes))
}

// Claimed records how late claimed work was (lifecycle.SchedulerObserver).
func (m *Metrics) Claimed(late time.Duration) { m.claimLateness.Observe(late.Seconds()) }

// ActivatorCalled counts one activator call (lifecycle.SchedulerObserver).
func (m *Metrics) ActivatorCalled(action lifecycle.Action, result lifecycle.CallResult) {
	m.activatorCalls.WithLabelValues(string(action), string(result)).Inc()
}

var _ lifecycle.SchedulerObserver = (*Metrics)(nil)

// credentialsByStatus is the gauge of credentials in each status, read
// from the database at each scrape. Every status is reported, zero where
// no credential is in it.
type credentialsByStatus struct{ creds CredentialCounter }

var credentialsDesc = prometheus.NewDesc("esp_credentials",
	"API credentials in the database, by status (read at each scrape).", []string{"status"}, nil)

// countTimeout bounds the scrape's database read.
const countTimeout = 5 * time.Second

func (c credentialsByStatus) Describe(ch chan<- *prometheus.Desc) { ch <- credentialsDesc }

func (c credentialsByStatus) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), countTimeout)
	defer cancel()
	counts, err := c.creds.CredentialCounts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(credentialsDesc, err)
		return
	}
	for _, s := range lifecycle.Statuses {
		if s == lifecycle.None {
			continue // no row holds it
		}
		ch <- prometheus.MustNewConstMetric(credentialsDesc, prometheus.GaugeValue, float64(counts[s]), string(s))
	}
}

// Handler serves the registry's metrics at /metrics, and 404 anywhere
// else. A metric that cannot be read (the database down) is logged and left
// out; the rest are still served.
func Handler(g prometheus.Gatherer, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelError),
		ErrorHandling: promhttp.ContinueOnError,
	}))
	return mux
}
