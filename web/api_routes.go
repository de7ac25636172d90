package web

import (
	"time"

	"esp/web/httpx"
)

// The public API's limits.
const (
	defaultTokenTTL   = time.Hour
	apiFailBurst      = 20              // failed authentications an address may make at once
	apiFailEvery      = 3 * time.Second // then one more per this period
	lastUsedEvery     = time.Minute     // at most one last_used_at write per credential per period
	defaultPageLimit  = 100
	maxPageLimit      = 1000
	apiExportBufBytes = 64 << 10
)

// apiState is what the public API keeps between requests.
type apiState struct {
	tokenTTL time.Duration
	failures httpx.AttemptLimit // failed authentications per client address
}

func (s *Server) initAPI() {
	s.api.tokenTTL = s.cfg.TokenTTL
	if s.api.tokenTTL <= 0 {
		s.api.tokenTTL = defaultTokenTTL
	}
	s.api.failures = httpx.NewMemoryLimit(apiFailEvery, apiFailBurst, s.now)
}
