// Package api is ESP's public API: key exchange for tokens (JSON and
// OAuth 2.0 client credentials), the plans, their data and exports, and
// the OpenAPI document. Its handlers and middleware are registered by
// web's route table.
package api

import (
	"log/slog"
	"time"

	"esp/lifecycle"
	"esp/store"
	"esp/web/httpx"
)

// Config is what the API needs to know beyond its dependencies.
type Config struct {
	// TokenTTL is the lifetime of bearer tokens (default 1h).
	TokenTTL time.Duration
	// Limits makes the limit of failed authentications; nil keeps it in
	// this process.
	Limits httpx.NewLimit
	// MaxExports bounds the exports this process runs at once, all
	// tenants together (default 64); each tenant runs at most 4.
	MaxExports int
	// ExportStallTimeout is how long an export waits for a client that
	// has stopped reading before it gives up and frees its slot
	// (default httpx.DefaultStallTimeout).
	ExportStallTimeout time.Duration
}

// FailureLimit is the name of the limit of failed authentications, for
// Config.Limits.
const FailureLimit = "api-auth"

// The public API's limits.
const (
	defaultTokenTTL   = time.Hour
	apiFailBurst      = 20              // failed authentications an address may make at once
	apiFailEvery      = 3 * time.Second // then one more per this period
	defaultPageLimit  = 100
	maxPageLimit      = 1000
	apiExportBufBytes = 64 << 10
)

// Handlers are the API's handlers and middleware, and what they keep
// between requests.
type Handlers struct {
	log      *slog.Logger
	store    *store.Store
	now      func() time.Time
	tokenTTL time.Duration
	tokens   *lifecycle.Tokens
	plans    *lifecycle.Plans
	failures httpx.AttemptLimit // failed authentications per client address
	exports  ExportObserver
	slots    *exportSlots  // the exports running now
	stall    time.Duration // how long an export waits for a stalled client
}

// ExportObserver hears what each export sent: the metrics count it.
type ExportObserver interface {
	Exported(format string, rows int, bytes int64)
}

// New builds the API's handlers; exports, when not nil, hears of each
// export.
func New(cfg Config, log *slog.Logger, st *store.Store, now func() time.Time, exports ExportObserver) *Handlers {
	if exports == nil {
		exports = noExports{}
	}
	h := &Handlers{log: log, store: st, now: now, tokenTTL: cfg.TokenTTL, exports: exports, stall: cfg.ExportStallTimeout}
	if h.tokenTTL <= 0 {
		h.tokenTTL = defaultTokenTTL
	}
	if cfg.MaxExports <= 0 {
		cfg.MaxExports = defaultMaxExports
	}
	h.slots = newExportSlots(exportsPerTenant, cfg.MaxExports)
	h.tokens = lifecycle.NewTokens(st, now, h.tokenTTL)
	h.plans = lifecycle.NewPlans(st, now)
	if cfg.Limits == nil {
		cfg.Limits = httpx.MemoryLimits(now)
	}
	h.failures = cfg.Limits(FailureLimit, apiFailEvery, apiFailBurst)
	return h
}

// noExports hears nothing.
type noExports struct{}

func (noExports) Exported(string, int, int64) {}
