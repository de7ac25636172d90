package store_test

import (
	"context"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store"
	"esp/store/storetest"
)

// With default_query_exec_mode=exec in the URL (what the store chooses by
// itself behind PgBouncer) nothing the store sends leaves a named prepared
// statement on its connection: PgBouncer in transaction pooling mode hands
// the next transaction whichever server connection is free, where such a
// statement would be missing or already exist. With a pool of one
// connection every operation runs on one session, whose statements the
// test then counts.
func TestPostgresLeavesNoPreparedStatementInExecMode(t *testing.T) {
	if named := preparedAfterWork(t, storetest.PostgresURL(t)+"&default_query_exec_mode=exec"); named != 0 {
		t.Fatalf("%d named prepared statements left on the store's connection, want none", named)
	}
}

// On a direct connection the store prepares its statements on each
// connection (pgx's statement cache): the server neither parses nor plans
// them again.
func TestPostgresDirectConnectionKeepsPreparedStatements(t *testing.T) {
	if named := preparedAfterWork(t, storetest.PostgresURL(t)); named == 0 {
		t.Fatal("no prepared statement on a direct connection's store")
	}
}

// preparedAfterWork opens the store at u with a pool of one connection,
// does some of each kind of work and counts the named prepared statements
// then on that connection.
func preparedAfterWork(t *testing.T, u string) int {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenPostgresWith(ctx, u, store.PostgresOptions{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got := st.DB.Stats().MaxOpenConnections; got != 1 {
		t.Fatalf("pool of %d connections, want the 1 asked for", got)
	}
	_, acme, globex := withTenants(t, st)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	// Twice each: a statement cache prepares a statement on its second
	// run at the latest.
	for i, tenant := range []lifecycle.Tenant{acme, globex} {
		c := newCredential(t, st, tenant.ID, now.Add(time.Duration(i)))
		claim := lifecycle.Claim{CredentialID: c.ID, Status: c.Status, Until: now.Add(time.Minute)}
		if _, err := st.RenewClaims(ctx, []lifecycle.Claim{claim}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.ApplyTransitions(ctx, []lifecycle.CredentialWrite{{CredentialID: c.ID, From: []lifecycle.Status{"activated"},
			To: "pending_deactivation", At: now, Actor: "test", Action: "deactivate"}}); err != nil {
			t.Fatal(err)
		}
		if err := st.SetPublicAPI(ctx, "acme", i == 0); err != nil {
			t.Fatal(err)
		}
		if _, err := st.TenantAudit(ctx, tenant.ID, 0, nil, 10); err != nil {
			t.Fatal(err)
		}
	}
	var named int
	if err := st.DB.QueryRowContext(ctx, `SELECT count(*) FROM pg_prepared_statements`).Scan(&named); err != nil {
		t.Fatal(err)
	}
	return named
}
