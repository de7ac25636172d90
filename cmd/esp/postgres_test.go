package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store"
	"esp/store/storetest"
)

// Every command takes the PostgreSQL database from --database-url or from
// ESP_DATABASE_URL, before or after its words, and then leaves the data
// folder alone.
func TestCommandsUsePostgresFromTheFlagOrTheEnvironment(t *testing.T) {
	u := storetest.PostgresURL(t)
	dir := filepath.Join(t.TempDir(), "unused")
	env := []string{"ESP_DATABASE_URL=" + u}
	csv := writeCSV(t, goodRow)
	for _, c := range []struct {
		vars  []string
		stdin string
		args  []string
	}{
		{nil, "", []string{"--database-url", u, "tenant", "add", "acme"}},
		{env, "", []string{"tenant", "feature", "acme", "public-api", "on"}},
		{nil, "pw\n", []string{"user", "add", "--tenant", "acme", "--database-url=" + u, "alice"}},
		{env, "", []string{"plan", "import", "--tenant", "acme", "--name", "FY2027", csv}},
		{nil, "", []string{"purge", "--database-url", u}},
	} {
		if code, stdout, stderr := execCLIEnv(t, dir, c.vars, c.stdin, c.args...); code != 0 {
			t.Fatalf("esp %s: exit %d, %q %q", strings.Join(c.args, " "), code, stdout, stderr)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the data folder was created on PostgreSQL (%v)", err)
	}

	ctx := context.Background()
	st, err := store.OpenPostgres(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tn, err := st.TenantByName(ctx, "acme")
	if err != nil || !tn.PublicAPI {
		t.Fatalf("tenant %+v, %v; want acme with the public API on", tn, err)
	}
	if _, err := lifecycle.NewAccounts(st, time.Now).Authenticate(ctx, "alice", "pw"); err != nil {
		t.Fatalf("alice: %v", err)
	}
	if p := onlyPlan(t, st, tn.ID, "FY2027"); p.Rows != 1 {
		t.Fatalf("plan %+v", p)
	}

	// Turned off again through the flag: the next read sees it.
	if code, _, stderr := execCLIEnv(t, dir, nil, "", "tenant", "feature", "acme", "public-api", "off", "--database-url", u); code != 0 {
		t.Fatalf("feature off: %q", stderr)
	}
	if tn, err := st.TenantByName(ctx, "acme"); err != nil || tn.PublicAPI {
		t.Fatalf("after off: %+v, %v", tn, err)
	}
}

// A --database-url that is not a PostgreSQL URL, or names a server that
// cannot be reached, fails in one line without the password, creates no
// data folder and changes nothing.
func TestBadDatabaseURLFailsInOneLineAndChangesNothing(t *testing.T) {
	for _, c := range []struct {
		name, url, want string
		code            int
	}{
		{"not PostgreSQL", "mysql://esp:s3cret@127.0.0.1/esp", "--database-url must be a PostgreSQL URL", 2},
		{"no host", "postgres:///esp", "--database-url must be a PostgreSQL URL", 2},
		{"unparsable", "postgres://esp:s3cret@127.0.0.1:port/esp", "--database-url must be a PostgreSQL URL", 2},
		{"bad option", "postgres://esp:s3cret@127.0.0.1:5432/esp?sslmode=sometimes", "cannot be parsed", 1},
		{"unreachable", "postgres://esp:s3cret@127.0.0.1:1/esp?sslmode=disable", "cannot open the PostgreSQL database", 1},
		// A Unix socket's folder as the host option is a PostgreSQL URL; no
		// server listens in this one.
		{"unreachable socket", "postgres://esp:s3cret@/esp?host=/nonexistent-esp-socket-folder", "cannot open the PostgreSQL database", 1},
	} {
		for _, args := range [][]string{
			{"tenant", "add", "acme"},
			{"tenant", "feature", "acme", "public-api", "on"},
			{"purge"},
			{"serve", "--addr", "127.0.0.1:0"},
		} {
			t.Run(c.name+"/"+args[0], func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "unused")
				code, stdout, stderr := execCLIEnv(t, dir, []string{"ESP_DATABASE_URL=" + c.url}, "", args...)
				assertOneLineFailure(t, code, stderr, c.want)
				if code != c.code {
					t.Fatalf("exit %d, want %d", code, c.code)
				}
				if strings.Contains(stderr, "s3cret") {
					t.Fatalf("the password is in the error: %q", stderr)
				}
				if strings.Contains(stdout, "password") {
					t.Fatalf("stdout %q", stdout)
				}
				if _, err := os.Stat(dir); !os.IsNotExist(err) {
					t.Fatalf("the data folder was created (%v)", err)
				}
			})
		}
	}
}

// The commands that only change an existing database refuse a PostgreSQL
// database without ESP's tables, and create none.
func TestCommandsRefuseAnEmptyPostgresDatabase(t *testing.T) {
	u := storetest.PostgresURL(t)
	dir := t.TempDir()
	csv := writeCSV(t, goodRow)
	for _, args := range [][]string{
		{"tenant", "feature", "acme", "public-api", "on"},
		{"user", "add", "--tenant", "acme", "alice"},
		{"plan", "import", "--tenant", "acme", "--name", "P", csv},
	} {
		code, _, stderr := execCLIEnv(t, dir, []string{"ESP_DATABASE_URL=" + u}, "pw\n", args...)
		assertOneLineFailure(t, code, stderr, "no ESP database at --database-url")
	}
	if code, stdout, stderr := execCLIEnv(t, dir, []string{"ESP_DATABASE_URL=" + u}, "", "purge"); code != 0 || !strings.Contains(stdout, "purged 0") {
		t.Fatalf("purge on an empty database: exit %d, %q %q", code, stdout, stderr)
	}
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tables int
	if err := db.QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Fatalf("%d tables created in the empty database", tables)
	}
}
