package store_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"modernc.org/sqlite"

	"esp/lifecycle"
	"esp/store"
	"esp/store/storetest"
)

// The store uses database/sql as it comes: no wrapper around the driver's
// connections or statements, so none of database/sql/driver's Driver,
// Connector, Conn or Stmt is implemented here (implementing one needs the
// package's types).
func TestStoreDoesNotWrapTheSQLDriver(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); path == "database/sql/driver" {
				t.Errorf("%s imports database/sql/driver", name)
			}
		}
	}
}

// Concurrent writers of one process all get through: on SQLite they queue
// for the one writer connection instead of failing on its lock.
func TestConcurrentWriteTransactionsAllCommit(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	if _, err := st.DB.ExecContext(ctx, `CREATE TABLE w (g INTEGER, i INTEGER)`); err != nil {
		t.Fatal(err)
	}
	const writers, each = 16, 25
	errs := make(chan error, writers)
	for g := range writers {
		go func() {
			for i := range each {
				err := st.Tx(ctx, func(tx *sql.Tx) error {
					_, err := tx.ExecContext(ctx, `INSERT INTO w (g, i) VALUES ($1, $2)`, g, i)
					return err
				})
				if err == nil {
					_, err = st.DB.ExecContext(ctx, `UPDATE w SET i = i WHERE g = $1 AND i = $2`, g, i)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := st.DB.QueryRowContext(ctx, `SELECT count(*) FROM w`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != writers*each {
		t.Fatalf("rows = %d, want %d", n, writers*each)
	}
}

// A read goes on while a write transaction is open (on SQLite: holds the
// writer; readers are connections of their own).
func TestReadsDoNotWaitForAnOpenWriteTransaction(t *testing.T) {
	ctx := context.Background()
	st, acme, _ := openPlanStore(t)
	inTx, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- st.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE tenants SET name = 'renamed' WHERE id = $1`, acme.ID); err != nil {
				return err
			}
			close(inTx)
			<-release
			return nil
		})
	}()
	<-inTx
	// Committed state only, and no wait: the transaction is still open.
	got, err := st.TenantByName(ctx, "acme")
	close(release)
	if err != nil || got.ID != acme.ID {
		t.Fatalf("acme during the open transaction = %+v, %v; want the committed tenant %d", got, err, acme.ID)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, err := st.TenantByName(ctx, "renamed"); err != nil || got.ID != acme.ID {
		t.Fatalf("after commit: %+v, %v; want tenant %d renamed", got, err, acme.ID)
	}
}

// The reader pool is read-only: a write sent there by mistake fails instead
// of racing the writer for SQLite's lock.
// SQLite only: on PostgreSQL the readers are the one pool.
func TestReadersRefuseWrites(t *testing.T) {
	st, acme, _ := openSQLitePlanStore(t)
	if _, err := st.Readers().Exec(`UPDATE tenants SET name = 'renamed' WHERE id = $1`, acme.ID); err == nil {
		t.Fatal("a write through the readers succeeded")
	}
	if got, err := st.TenantByName(context.Background(), "acme"); err != nil || got.ID != acme.ID {
		t.Fatalf("tenant acme = %+v, %v; want it unchanged", got, err)
	}
}

// requestRows are what the lookups behind every request read: a session of
// an admin of the tenant, an activated credential and a token of it.
func requestRows(tb testing.TB, st *store.Store, tenantID int64) (session []byte, cred lifecycle.Credential) {
	tb.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	u, err := st.CreateUser(ctx, lifecycle.User{TenantID: tenantID, Username: "alice", PasswordHash: "hash", IsAdmin: true, CreatedAt: now})
	if err != nil {
		tb.Fatal(err)
	}
	session = tokenHash("session")
	if err := st.CreateSession(ctx, lifecycle.Session{IDHash: session, UserID: u.ID, CreatedAt: now, LastSeenAt: now}, "hash"); err != nil {
		tb.Fatal(err)
	}
	return session, newCredential(tb, st, tenantID, now)
}

// slowStep backs the SQL function esp_test_step: its first call ends the
// context in stepCancel (the query is then running for sure), and every
// call is counted.
var (
	registerStep sync.Once
	stepCancel   atomic.Pointer[context.CancelFunc]
	steps        atomic.Int64
)

const slowSteps = 1_000_000

// slowTenants replaces the tenants table by a view that calls esp_test_step
// slowSteps times before it yields a row, so that every query reading
// tenants runs long after it has started.
func slowTenants(tb testing.TB, st *store.Store) {
	tb.Helper()
	for _, q := range []string{
		`ALTER TABLE tenants RENAME TO tenants_t`,
		`CREATE VIEW tenants AS SELECT t.* FROM tenants_t t WHERE (SELECT count(*) FROM (
			WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE esp_test_step() AND i < ` +
			strconv.Itoa(slowSteps) + `) SELECT i FROM n)) > 0`,
	} {
		if _, err := st.DB.Exec(q); err != nil {
			tb.Fatal(err)
		}
	}
}

// Every lookup of the hot paths (prepared once, at Open) stops when its
// context ends, even in the middle of running: the context reaches the
// driver.
func TestHotLookupsStopWhenTheirContextEnds(t *testing.T) {
	registerStep.Do(func() {
		err := sqlite.RegisterScalarFunction("esp_test_step", 0, func(*sqlite.FunctionContext, []driver.Value) (driver.Value, error) {
			steps.Add(1)
			if cancel := stepCancel.Swap(nil); cancel != nil {
				(*cancel)()
			}
			return int64(1), nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	st, acme, _ := openSQLitePlanStore(t) // the slow view calls a function of the SQLite driver
	session, cred := requestRows(t, st, acme.ID)
	slowTenants(t, st)

	lookups := []struct {
		name string
		run  func(ctx context.Context) error
	}{
		{"SessionAccount", func(ctx context.Context) error {
			_, _, _, err := st.SessionAccount(ctx, session, time.Time{})
			return err
		}},
		{"TokenGrant", func(ctx context.Context) error { _, err := st.TokenGrant(ctx, cred.ID); return err }},
		{"AccessKeyGrant", func(ctx context.Context) error { _, err := st.AccessKeyGrant(ctx, cred.AccessKey); return err }},
		{"CurrentCredential", func(ctx context.Context) error { _, err := st.CurrentCredential(ctx, acme.ID); return err }},
	}
	for _, l := range lookups {
		t.Run(l.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			steps.Store(0)
			stepCancel.Store(&cancel)
			err := l.run(ctx)
			if n := steps.Load(); n == 0 || n >= slowSteps {
				t.Fatalf("the query ran %d of its %d steps, want it stopped after the first", n, slowSteps)
			}
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
		})
	}
}
