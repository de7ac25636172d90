package webtest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store"
	"esp/store/storetest"
	"esp/web/admin"
	"esp/web/httpx"
)

// NewReplicas starts n servers on one fresh database of the tests' backend,
// each through a store of its own, as n replicas of esp serve are; they
// share one clock, and the first seeds the database as NewEnv does, so
// every Env has the same tenants. On PostgreSQL they share what serve makes
// replicas share: the session keys and the rate limits, in the database.
// On SQLite they share the data folder's session key file (the limits stay
// each server's: one server per folder).
func NewReplicas(tb testing.TB, n int, opts ...func(*Config)) []*Env {
	tb.Helper()
	stores := storetest.OpenShared(tb, n)
	dir := filepath.Dir(stores[0].Path())
	clock := &FakeClock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	envs := make([]*Env, n)
	for i, st := range stores {
		var shared func(*Config)
		if st.Postgres() {
			// A folder of its own, unused: the keys are the database's.
			dir = tb.TempDir()
			shared = func(cfg *Config) { sharedState(cfg, st, clock) }
		}
		envs[i] = newEnv(tb, st, dir, clock, shared, opts)
		if i == 0 {
			envs[0].seed(tb)
		} else {
			envs[i].Acme, envs[i].Globex = tenant(tb, st, "acme"), tenant(tb, st, "globex")
		}
		envs[i].start(tb)
	}
	return envs
}

// sharedState is what esp serve shares between replicas on PostgreSQL.
func sharedState(cfg *Config, st *store.Store, clock *FakeClock) {
	cfg.Admin.Keys = admin.KeysIn(st)
	limits := func(name string, every time.Duration, burst int) httpx.AttemptLimit {
		return st.AttemptLimit(name, every, burst, clock.Now)
	}
	cfg.Admin.Limits, cfg.API.Limits = limits, limits
}

func tenant(tb testing.TB, st *store.Store, name string) lifecycle.Tenant {
	tb.Helper()
	t, err := st.TenantByName(context.Background(), name)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// On is the same browser, its cookies and address, sending to another
// server: a browser behind a load balancer. Cookies set by either are the
// browser's.
func (c *Client) On(env *Env) *Client {
	return &Client{env: env, Addr: c.Addr, Cookies: c.Cookies}
}
