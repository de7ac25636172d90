package api

import (
	"strconv"
	"sync"

	"github.com/labstack/echo/v4"

	"esp/lifecycle"
)

// The export's bounds. Each running export holds a block of rows (about
// 1 MiB on SQLite, 2 MiB on PostgreSQL, which also keeps the block as COPY
// sent it), its write buffer and, gzipped, its compressor (under 1 MiB) for
// as long as its client takes to read, so these bounds are what bounds the
// memory exports take: at defaultMaxExports about 130 MiB on SQLite and
// 200 MiB on PostgreSQL, whatever clients do.
const (
	exportsPerTenant  = 4   // exports one tenant may run at once
	defaultMaxExports = 64  // exports the process runs at once, all tenants together
	exportRetryAfter  = "5" // seconds a refused export's client should wait
)

// exportSlots counts the exports running in this process, per tenant and
// in all. The counts are the process's own: each replica bounds its own
// exports, as each has its own memory.
type exportSlots struct {
	perTenant, max int

	mu      sync.Mutex
	total   int
	running map[int64]int // by tenant; a tenant with none has no entry
}

func newExportSlots(perTenant, most int) *exportSlots {
	return &exportSlots{perTenant: perTenant, max: most, running: map[int64]int{}}
}

// take claims a slot for one of tenant's exports, or refuses it with 429
// when the tenant, or the process, runs as many as it may. The caller
// gives the slot back with release, once.
func (s *exportSlots) take(tenant int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running[tenant] >= s.perTenant {
		return exportsBusy("This tenant already runs " + strconv.Itoa(s.perTenant) + " exports at once, the most it may")
	}
	if s.total >= s.max {
		return exportsBusy("The server runs as many exports as it can at once")
	}
	s.running[tenant]++
	s.total++
	return nil
}

// release gives back a slot that take gave tenant.
func (s *exportSlots) release(tenant int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total--
	if s.running[tenant]--; s.running[tenant] <= 0 {
		delete(s.running, tenant)
	}
}

// exportsBusy is the answer to an export refused for want of a slot.
func exportsBusy(why string) error {
	return &lifecycle.Error{Code: lifecycle.RateLimited,
		Message: why + "; retry after " + exportRetryAfter + " seconds."}
}

// takeExportSlot claims a slot for the request's tenant; a refusal carries
// Retry-After.
func (h *Handlers) takeExportSlot(c echo.Context) (release func(), err error) {
	tenant := apiTenantID(c)
	if err := h.slots.take(tenant); err != nil {
		c.Response().Header().Set("Retry-After", exportRetryAfter)
		return nil, err
	}
	return func() { h.slots.release(tenant) }, nil
}
