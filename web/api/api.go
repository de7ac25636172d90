// Package api is ESP's public API: key exchange for tokens (JSON and
// OAuth 2.0 client credentials), the plans, their data and exports, and
// the OpenAPI document. Its handlers and middleware are registered by
// web's route table.
package api

import (
	"context"
	"log/slog"
	"time"

	"esp/lifecycle"
	"esp/web/httpx"
)

// Config is what the API needs to know beyond its dependencies.
type Config struct {
	// Limits makes the limit of failed authentications; nil keeps it in
	// this process, by the real clock.
	Limits httpx.NewLimit
	// MaxExports bounds the exports this process runs at once, all
	// tenants together (default 64); each tenant runs at most 4.
	MaxExports int
	// ExportStallTimeout is how long an export waits for a client that
	// has stopped reading before it gives up and frees its slot
	// (default httpx.DefaultStallTimeout).
	ExportStallTimeout time.Duration
	// ScanningKeys verify the secret scanner's reports; nil turns secret
	// scanning off (its route answers 404).
	ScanningKeys *ScanningKeys
}

// FailureLimit is the name of the limit of failed authentications, for
// Config.Limits.
const FailureLimit = "api-auth"

// The public API's limits.
const (
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
	tokens   Tokens
	plans    Plans
	leaks    Leaks
	failures httpx.AttemptLimit // failed authentications per client address
	reports  httpx.AttemptLimit // secret scanning reports per client address
	scanKeys *ScanningKeys      // nil: secret scanning is off
	exports  ExportObserver
	refused  AddressObserver
	slots    *exportSlots  // the exports running now
	gzips    gzipWriters   // gzip writers of finished exports, for the next
	tagSalt  string        // what export ETags hold beside the plan (exportETag)
	stall    time.Duration // how long an export waits for a stalled client
	docs     docsPage      // the API reference page, made from the OpenAPI document
}

// Tokens exchanges keys for bearer tokens and authenticates the tokens
// (lifecycle.Tokens).
type Tokens interface {
	Exchange(ctx context.Context, accessKey, secretKey string, from lifecycle.Caller) (lifecycle.IssuedToken, error)
	Authenticate(ctx context.Context, token string, from lifecycle.Caller) (lifecycle.Bearer, error)
}

// Plans lists, reads, pages and exports a tenant's plans (lifecycle.Plans).
type Plans interface {
	List(ctx context.Context, tenantID int64) ([]lifecycle.Plan, error)
	Get(ctx context.Context, tenantID, planID int64) (lifecycle.Plan, error)
	Page(ctx context.Context, planID, afterID int64, limit int) (lifecycle.Page, error)
	Export(ctx context.Context, planID int64, w lifecycle.RowWriter) error
}

// ExportObserver hears what each export sent: the metrics count it.
type ExportObserver interface {
	Exported(format string, rows int, bytes int64)
}

// AddressObserver hears of each request refused because its address is
// outside its tenant's allowed addresses, by kind: keys (a token
// exchange) or token (a bearer request). The metrics count them.
type AddressObserver interface {
	AddressRefused(kind string)
}

// Observer hears what the API did, for the metrics.
type Observer interface {
	ExportObserver
	AddressObserver
}

// New builds the API's handlers over the use cases they call; obs, when
// not nil, hears of each export and each refused address.
func New(cfg Config, log *slog.Logger, tokens Tokens, plans Plans, leaks Leaks, obs Observer) *Handlers {
	if obs == nil {
		obs = noObserver{}
	}
	h := &Handlers{log: log, tokens: tokens, plans: plans, leaks: leaks, exports: obs, refused: obs,
		stall: cfg.ExportStallTimeout, scanKeys: cfg.ScanningKeys, docs: newDocsPage(openAPIDoc),
		tagSalt: exportTagVersion + " " + gzipVersion()}
	if cfg.MaxExports <= 0 {
		cfg.MaxExports = defaultMaxExports
	}
	h.slots = newExportSlots(exportsPerTenant, cfg.MaxExports)
	if cfg.Limits == nil {
		cfg.Limits = httpx.MemoryLimits(time.Now)
	}
	h.failures = cfg.Limits(FailureLimit, apiFailEvery, apiFailBurst)
	h.reports = cfg.Limits(ScanningLimit, scanningEvery, scanningBurst)
	return h
}

// noObserver hears nothing.
type noObserver struct{}

func (noObserver) Exported(string, int, int64) {}
func (noObserver) AddressRefused(string)       {}
