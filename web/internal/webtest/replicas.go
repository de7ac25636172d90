package webtest

import (
	"context"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store/storetest"
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
	db := storetest.New(tb)
	clock := &FakeClock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	// One data folder on SQLite; on PostgreSQL a folder of each replica's
	// own, unused: the keys are the database's.
	dir := db.Dir()
	shared := dir == ""
	envs := make([]*Env, n)
	for i := range envs {
		if shared {
			dir = tb.TempDir()
		}
		envs[i] = newEnv(tb, db, dir, clock, shared, opts)
		if i == 0 {
			envs[0].seed(tb)
		} else {
			envs[i].Acme, envs[i].Globex = envs[i].tenant(tb, "acme"), envs[i].tenant(tb, "globex")
		}
	}
	return envs
}

func (env *Env) tenant(tb testing.TB, name string) lifecycle.Tenant {
	tb.Helper()
	t, err := env.Store.TenantByName(context.Background(), name)
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
