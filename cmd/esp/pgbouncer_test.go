package main

import (
	"errors"
	"net"
	"os"
	"testing"

	"esp/cmd/internal/pgbouncer"
)

// PgBouncer in transaction pooling mode between the replicas and the test
// database, as operators run it when many replicas would pass the server's
// max_connections (SPEC "Storage and scale-out", "Behind PgBouncer"): it
// hands each transaction whichever of its few server connections is free,
// so nothing ESP sends may outlive a transaction.

// pgbouncerPool is how many server connections the test's PgBouncer opens:
// fewer than three replicas' pools of 16.
const pgbouncerPool = 6

// behindPgBouncer starts PgBouncer in front of the database at direct (a
// URL of storetest.PostgresURL, whose search_path PgBouncer sets on each
// server connection) and answers the database through it. It is stopped
// when the test ends. Without pgbouncer the test fails under CI=true and
// is skipped, loudly, otherwise.
func behindPgBouncer(t *testing.T, direct string) replicaDB {
	t.Helper()
	p, err := pgbouncer.Start(pgbouncer.Options{Server: direct, PoolSize: pgbouncerPool})
	switch {
	case errors.Is(err, pgbouncer.ErrMissing) && os.Getenv("CI") != "true":
		t.Skipf("SKIPPED: %v, so the replicas are not tested behind PgBouncer", err)
	case err != nil:
		t.Fatalf("under CI=true the PgBouncer tests must run: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("pgbouncer's log:\n%s", p.Log())
		}
		p.Stop()
	})
	return replicaDB{url: p.URL}
}

// plainUserDir is pgbouncer.PlainUserDir, deleted when the test ends.
func plainUserDir(t *testing.T) (string, []string) {
	t.Helper()
	dir, as, err := pgbouncer.PlainUserDir("esp-test-server-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir, as
}

// freePort is a loopback port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
