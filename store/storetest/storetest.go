// Package storetest opens stores for tests, on the backend the environment
// names, so that the same behaviour tests run on SQLite and on PostgreSQL.
//
//   - ESP_TEST_BACKEND: "sqlite" (the default) or "postgres".
//   - ESP_TEST_DATABASE_URL: the PostgreSQL database the tests may use
//     (postgres://USER@HOST:PORT/DB?sslmode=disable). Each test gets a
//     schema of its own in it, dropped when the test ends.
//
// Under CI=true a test that needs PostgreSQL fails when the URL is unset;
// elsewhere it is skipped (see PostgresURL).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver of the schemas' own connection

	"esp/lifecycle"
	"esp/store"
)

// The environment variables the tests read.
const (
	BackendEnv = "ESP_TEST_BACKEND"
	URLEnv     = "ESP_TEST_DATABASE_URL"
)

// The backends, as ESP_TEST_BACKEND names them.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Backend is the backend the tests run on: ESP_TEST_BACKEND, SQLite when
// unset.
func Backend(tb testing.TB) string {
	tb.Helper()
	switch b := os.Getenv(BackendEnv); b {
	case "", SQLite:
		return SQLite
	case Postgres:
		return Postgres
	default:
		tb.Fatalf("%s=%q: want %q or %q", BackendEnv, b, SQLite, Postgres)
		return ""
	}
}

// Database is a fresh, empty database of the tests' backend, removed
// when the test ends, on which a test opens as many stores as it likes
// (the processes that share it, or one process started again).
type Database struct {
	dir, url string // SQLite's folder, or PostgreSQL's URL with its schema
}

// New makes a fresh database of the tests' backend: SQLite in
// tb.TempDir(), or a schema of its own in ESP_TEST_DATABASE_URL.
func New(tb testing.TB) *Database {
	tb.Helper()
	if Backend(tb) == Postgres {
		u := os.Getenv(URLEnv)
		if u == "" {
			tb.Fatalf("%s=%s needs %s (a PostgreSQL database the tests may use)", BackendEnv, Postgres, URLEnv)
		}
		return &Database{url: newSchema(tb, u)}
	}
	return NewSQLite(tb)
}

// NewSQLite makes a fresh SQLite database whatever the tests' backend, for
// the tests of what only SQLite has (files, its single writer, the read
// cache).
func NewSQLite(tb testing.TB) *Database {
	tb.Helper()
	return &Database{dir: tb.TempDir()}
}

// Dir is the SQLite database's folder ("" on PostgreSQL).
func (d *Database) Dir() string { return d.dir }

// URL is the PostgreSQL database's URL, its search_path the test's
// schema ("" on SQLite).
func (d *Database) URL() string { return d.url }

// Open opens a store on the database, closed when the test ends (or
// before, by the test).
func (d *Database) Open(tb testing.TB) *store.Store {
	tb.Helper()
	var st *store.Store
	var err error
	if d.url != "" {
		st, err = store.OpenPostgres(context.Background(), d.url)
	} else {
		st, err = store.Open(context.Background(), d.dir)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// Open opens a store on a fresh, empty database of the tests' backend.
func Open(tb testing.TB) *store.Store {
	tb.Helper()
	return New(tb).Open(tb)
}

// OpenShared opens n stores on one fresh database of the tests' backend,
// as n processes sharing it would (several servers on one SQLite folder,
// replicas on one PostgreSQL database).
func OpenShared(tb testing.TB, n int) []*store.Store {
	tb.Helper()
	db := New(tb)
	stores := make([]*store.Store, n)
	for i := range stores {
		stores[i] = db.Open(tb)
	}
	return stores
}

// PostgresURL is the URL of a fresh, empty schema of ESP_TEST_DATABASE_URL,
// dropped when the test ends, for tests that start real processes on
// PostgreSQL (whatever ESP_TEST_BACKEND says). Without the URL the test is
// skipped, or fails under CI=true. The processes must have ended by then:
// stop them in a Cleanup registered after this call.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(URLEnv)
	if u == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s is not set: under CI=true the PostgreSQL tests must run", URLEnv)
		}
		tb.Skipf("%s is not set: PostgreSQL test skipped", URLEnv)
	}
	return newSchema(tb, u)
}

// admin is the connection that creates and drops the tests' schemas, one
// per database URL.
var admin struct {
	mu  sync.Mutex
	dbs map[string]*sql.DB
}

func adminDB(tb testing.TB, u string) *sql.DB {
	tb.Helper()
	admin.mu.Lock()
	defer admin.mu.Unlock()
	if db, ok := admin.dbs[u]; ok {
		return db
	}
	db, err := sql.Open("pgx", u)
	if err != nil {
		tb.Fatalf("%s: %v", URLEnv, err) // pgx leaves the password out
	}
	db.SetMaxOpenConns(2)
	if admin.dbs == nil {
		admin.dbs = map[string]*sql.DB{}
	}
	admin.dbs[u] = db
	return db
}

// newSchema creates a schema named esp_t_<random> in the database at u
// and returns u with that schema as its search_path; the schema and
// everything in it is dropped when the test ends.
func newSchema(tb testing.TB, u string) string {
	tb.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	schema := "esp_t_" + hex.EncodeToString(b)
	db := adminDB(tb, u)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		tb.Fatalf("create test schema in %s: %v", URLEnv, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := db.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			tb.Errorf("drop test schema %s: %v", schema, err)
		}
	})
	return withSearchPath(tb, u, schema)
}

// withSearchPath is the database URL u (a URL or a key=value string) with
// its search_path set to schema.
func withSearchPath(tb testing.TB, u, schema string) string {
	tb.Helper()
	if !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
		return fmt.Sprintf("%s search_path=%s", u, schema)
	}
	p, err := url.Parse(u)
	if err != nil {
		tb.Fatalf("%s is not a valid URL", URLEnv) // the error would repeat it, password and all
	}
	q := p.Query()
	q.Set("search_path", schema)
	p.RawQuery = q.Encode()
	return p.String()
}

// auditEvents are every audit event the lifecycle writes.
var auditEvents = []lifecycle.AuditEvent{
	lifecycle.AuditGenerate, lifecycle.AuditDeactivate, lifecycle.AuditActivate,
	lifecycle.AuditFailActivation, lifecycle.AuditRemoveFailedActivation, lifecycle.AuditAbandonRemoval,
	lifecycle.AuditConfirmDeactivation, lifecycle.AuditFailDeactivation, lifecycle.AuditPurge,
}

// AuditTrail is the audit trail of the tenant's credential (0: of every
// credential of the tenant), oldest first, read as the history reads it.
func AuditTrail(tb testing.TB, st *store.Store, tenantID, credentialID int64) []lifecycle.AuditEntry {
	tb.Helper()
	rows, err := st.TenantAudit(context.Background(), tenantID, 0, auditEvents, 1<<30)
	if err != nil {
		tb.Fatal(err)
	}
	var trail []lifecycle.AuditEntry
	for i := len(rows) - 1; i >= 0; i-- {
		if credentialID == 0 || rows[i].CredentialID == credentialID {
			trail = append(trail, rows[i])
		}
	}
	return trail
}
