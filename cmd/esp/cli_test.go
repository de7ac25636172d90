package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store"
	"esp/store/storetest"
)

func TestTenantAdd(t *testing.T) {
	dir := t.TempDir()
	r := runCLI(t, dir, "", "tenant", "add", "acme")
	if r.err != nil {
		t.Fatal(r.err)
	}
	if !strings.Contains(r.stdout, `added tenant "acme"`) {
		t.Fatalf("stdout=%q", r.stdout)
	}
	st := mustStore(t, dir)
	tn, err := st.TenantByName(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	if tn.PublicAPI {
		t.Fatal("a new tenant has the public API on")
	}
}

func TestTenantFeature(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "tenant", "add", "acme")
	mustRun(t, dir, "", "tenant", "feature", "acme", "public-api", "on")
	if tn := tenant(t, dir, "acme"); !tn.PublicAPI {
		t.Fatal("public API still off")
	}
	mustRun(t, dir, "", "--data", dir, "tenant", "feature", "acme", "public-api", "off")
	if tn := tenant(t, dir, "acme"); tn.PublicAPI {
		t.Fatal("public API still on")
	}
}

func TestUserAdd(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "tenant", "add", "acme")
	mustRun(t, dir, "s3cret pass\n", "user", "add", "--tenant", "acme", "--admin", "alice")
	mustRun(t, dir, "other", "user", "add", "bob", "--tenant", "acme")
	st := mustStore(t, dir)
	acc := lifecycle.NewAccounts(st, time.Now)
	u, err := acc.Authenticate(context.Background(), "alice", "s3cret pass")
	if err != nil {
		t.Fatalf("alice cannot log in with the password given on stdin: %v", err)
	}
	if !u.IsAdmin {
		t.Fatal("--admin did not make alice an admin")
	}
	if u.PasswordHash == "s3cret pass" || !strings.HasPrefix(u.PasswordHash, "$2") {
		t.Fatal("password not stored as a bcrypt hash")
	}
	b, err := acc.Authenticate(context.Background(), "bob", "other")
	if err != nil || b.IsAdmin {
		t.Fatalf("bob: %+v %v", b, err)
	}
}

func TestPurgeCommand(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "tenant", "add", "acme")
	st := mustStore(t, dir)
	ctx := context.Background()
	tn := tenant(t, dir, "acme")
	past := func() time.Time { return time.Now().Add(-48 * time.Hour) }
	svc := lifecycle.NewService(st, past, lifecycle.Config{})
	sch := lifecycle.NewScheduler(st, lifecycle.LocalActivator{}, lifecycle.Config{}, nil, past)
	if _, err := svc.Generate(ctx, tn.ID, "test"); err != nil {
		t.Fatal(err)
	}
	sch.Tick(ctx, past())
	svc.Deactivate(ctx, tn.ID, "test")
	sch.Tick(ctx, past())
	if cur, _ := svc.Current(ctx, tn.ID); cur.Status != lifecycle.Deactivated {
		t.Fatalf("status=%s", cur.Status)
	}
	r := mustRun(t, dir, "", "purge")
	if !strings.Contains(r.stdout, "purged 1 ") {
		t.Fatalf("stdout=%q", r.stdout)
	}
	if cur, _ := svc.Current(ctx, tn.ID); cur.Status != lifecycle.None {
		t.Fatalf("after purge: status=%s, want none", cur.Status)
	}
}

// esp purge deletes credentials deactivated 24 hours ago or more: one
// deactivated a nanosecond less than 24 hours ago is kept, and at exactly
// 24 hours it is purged.
func TestPurgeCommandPurgesFromExactly24Hours(t *testing.T) {
	db := storetest.New(t)
	st := db.Open(t)
	ctx := context.Background()
	deactivated := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	at := func() time.Time { return deactivated }
	tn, err := lifecycle.NewAccounts(st, at).AddTenant(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	svc := lifecycle.NewService(st, at, lifecycle.Config{})
	sch := lifecycle.NewScheduler(st, lifecycle.LocalActivator{}, lifecycle.Config{}, nil, at)
	k, err := svc.Generate(ctx, tn.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	sch.Tick(ctx, at())
	if _, err := svc.Deactivate(ctx, tn.ID, "test"); err != nil {
		t.Fatal(err)
	}
	sch.Tick(ctx, at())
	if cur, _ := svc.Current(ctx, tn.ID); cur.Status != lifecycle.Deactivated {
		t.Fatalf("status=%s, want %s", cur.Status, lifecycle.Deactivated)
	}
	purge := func(age time.Duration) string {
		t.Helper()
		var out bytes.Buffer
		e := env{getenv: func(k string) string {
			switch k {
			case "ESP_DATA":
				return db.Dir()
			case "ESP_DATABASE_URL":
				return db.URL()
			}
			return ""
		}, stdin: strings.NewReader(""), stdout: &out, stderr: &out, now: func() time.Time { return deactivated.Add(age) }}
		if err := runIn(ctx, e, []string{"purge"}); err != nil {
			t.Fatalf("purge at %v: %v", age, err)
		}
		return out.String()
	}
	if out := purge(24*time.Hour - time.Nanosecond); !strings.Contains(out, "purged 0 ") {
		t.Fatalf("purge a nanosecond before 24h: %q, want purged 0", out)
	}
	if _, err := st.CredentialByID(ctx, k.Credential.ID); err != nil {
		t.Fatalf("credential deactivated a nanosecond less than 24h ago: %v, want kept", err)
	}
	if out := purge(24 * time.Hour); !strings.Contains(out, "purged 1 ") {
		t.Fatalf("purge at 24h: %q, want purged 1", out)
	}
	if _, err := st.CredentialByID(ctx, k.Credential.ID); !errors.Is(err, lifecycle.ErrNotFound) {
		t.Fatalf("credential deactivated 24h ago: %v, want ErrNotFound", err)
	}
}

// Every bad input: a one-line error, a non-zero exit, nothing changed.
func TestCommandsRefuseBadInput(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "tenant", "add", "acme")
	mustRun(t, dir, "pw\n", "user", "add", "--tenant", "acme", "alice")
	cases := []struct {
		name  string
		stdin string
		args  []string
		want  string // part of the error line
		code  int
	}{
		{"unknown tenant for user", "pw\n", []string{"user", "add", "--tenant", "nope", "carol"}, `unknown tenant "nope"`, 1},
		{"unknown tenant for feature", "", []string{"tenant", "feature", "nope", "public-api", "on"}, `unknown tenant "nope"`, 1},
		{"duplicate tenant", "", []string{"tenant", "add", "acme"}, `tenant "acme" already exists`, 1},
		{"duplicate user", "pw\n", []string{"user", "add", "--tenant", "acme", "alice"}, `user "alice" already exists`, 1},
		{"empty password", "\n", []string{"user", "add", "--tenant", "acme", "carol"}, "password must not be empty", 1},
		{"no password", "", []string{"user", "add", "--tenant", "acme", "carol"}, "password must not be empty", 1},
		{"missing tenant flag", "pw\n", []string{"user", "add", "carol"}, "--tenant is required", 2},
		{"bad flag", "", []string{"tenant", "add", "--bogus", "x"}, "flag provided but not defined: -bogus", 2},
		{"bad flag on serve", "", []string{"serve", "--tick", "soon"}, "invalid value", 2},
		{"zero duration", "", []string{"serve", "--activation-timeout", "0s"}, "must be a positive duration", 2},
		{"webhook without url", "", []string{"serve", "--activator", "webhook"}, "needs --webhook-url", 2},
		{"unknown activator", "", []string{"serve", "--activator", "carrier-pigeon"}, "must be local or webhook", 2},
		{"bad webhook url", "", []string{"serve", "--activator", "webhook", "--webhook-url", "ftp://x"}, "absolute http or https URL", 2},
		{"empty tenant name", "", []string{"tenant", "add", ""}, "must not be empty", 1},
		{"control chars in name", "", []string{"tenant", "add", "a\x01b"}, "control characters", 1},
		{"missing tenant name", "", []string{"tenant", "add"}, "expected 1 argument(s), got 0", 2},
		{"extra argument", "", []string{"tenant", "add", "a", "b"}, "expected 1 argument(s), got 2", 2},
		{"unknown feature", "", []string{"tenant", "feature", "acme", "dark-mode", "on"}, "unknown feature", 2},
		{"feature not on/off", "", []string{"tenant", "feature", "acme", "public-api", "yes"}, "expected on or off", 2},
		{"unknown command", "", []string{"frobnicate"}, "unknown command", 2},
		{"no command", "", nil, "no command given", 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := snapshot(t, dir)
			code, stdout, stderr := execCLI(t, dir, c.stdin, c.args...)
			if code != c.code {
				t.Fatalf("exit=%d, want %d (stderr %q)", code, c.code, stderr)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "esp: ") {
				t.Fatalf("stderr is not one line: %q", stderr)
			}
			if !strings.Contains(stderr, c.want) {
				t.Fatalf("stderr=%q, want it to mention %q", stderr, c.want)
			}
			if stdout != "" {
				t.Fatalf("stdout=%q, want nothing", stdout)
			}
			if after := snapshot(t, dir); after != before {
				t.Fatalf("the database changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

func TestEnvTwinsAreChecked(t *testing.T) {
	dir := t.TempDir()
	var out strings.Builder
	getenv := func(k string) string {
		return map[string]string{"ESP_DATA": dir, "ESP_TICK": "often"}[k]
	}
	err := run(context.Background(), []string{"serve"}, getenv, strings.NewReader(""), &out, &out)
	var u usageError
	if !errors.As(err, &u) || !strings.Contains(err.Error(), "ESP_TICK") {
		t.Fatalf("err=%v, want a usage error naming ESP_TICK", err)
	}
}

func mustRun(t *testing.T, dir, stdin string, args ...string) cliResult {
	t.Helper()
	r := runCLI(t, dir, stdin, args...)
	if r.err != nil {
		t.Fatalf("esp %s: %v", strings.Join(args, " "), r.err)
	}
	return r
}

func mustStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func tenant(t *testing.T, dir, name string) lifecycle.Tenant {
	t.Helper()
	st := mustStore(t, dir)
	tn, err := st.TenantByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return tn
}

func TestPurgeTakesPurgeAfterFromTheEnvironment(t *testing.T) {
	dir := t.TempDir()
	var out strings.Builder
	getenv := func(k string) string {
		return map[string]string{"ESP_DATA": dir, "ESP_PURGE_AFTER": "a while"}[k]
	}
	err := run(context.Background(), []string{"purge"}, getenv, strings.NewReader(""), &out, &out)
	if err == nil || !strings.Contains(err.Error(), "ESP_PURGE_AFTER") {
		t.Fatalf("err=%v, want one naming ESP_PURGE_AFTER", err)
	}
}

// Commands that change an existing database refuse a folder without one
// and leave it as it was; tenant add and serve create it.
func TestCommandsDoNotCreateADatabaseWhenTheyFail(t *testing.T) {
	csv := writeCSV(t, goodRow)
	for _, args := range [][]string{
		{"tenant", "feature", "acme", "public-api", "on"},
		{"user", "add", "--tenant", "acme", "alice"},
		{"plan", "import", "--tenant", "acme", "--name", "P", csv},
		{"token-key", "rotate"},
	} {
		dir := filepath.Join(t.TempDir(), "fresh")
		code, stdout, stderr := execCLI(t, dir, "pw\n", args...)
		assertOneLineFailure(t, code, stderr, "no ESP database in "+dir)
		if stdout != "" {
			t.Fatalf("stdout=%q", stdout)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Fatalf("esp %s created %s (%v)", strings.Join(args, " "), dir, err)
		}
	}
	dir := filepath.Join(t.TempDir(), "fresh")
	if code, stdout, _ := execCLI(t, dir, "", "purge"); code != 0 || !strings.Contains(stdout, "purged 0") {
		t.Fatalf("purge on a fresh folder: exit %d, %q", code, stdout)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("purge created %s", dir)
	}
}

func TestDataFolderWithURICharactersHoldsItsOwnDatabase(t *testing.T) {
	for _, name := range []string{"dq#x", "dq?x", "dq%x", "dq%41"} {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			cmd := exec.Command(espBinary, "--data", name, "tenant", "add", "acme")
			cmd.Dir = parent
			cmd.Env = inheritedEnv()
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("esp --data %q tenant add acme: %v\n%s", name, err, out)
			}
			entries, err := os.ReadDir(parent)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 || entries[0].Name() != name {
				var got []string
				for _, e := range entries {
					got = append(got, e.Name())
				}
				t.Fatalf("the command left %q, want only the data folder %q", got, name)
			}
			dir := filepath.Join(parent, name)
			fi, err := os.Stat(filepath.Join(dir, store.DBFile))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Size() == 0 || fi.Mode().Perm() != 0o600 {
				t.Fatalf("%s/%s: size %d, mode %v; want the database, 0600", name, store.DBFile, fi.Size(), fi.Mode().Perm())
			}
			tenant(t, dir, "acme")
		})
	}
}

// esp token-key rotate keeps the first key on a database no server has
// started on (it signs at once), then adds the next key, which signs two
// minutes later; the servers' keys are the database's.
func TestTokenKeyRotate(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "tenant", "add", "acme")
	if r := mustRun(t, dir, "", "token-key", "rotate"); r.stdout != "token key 1 signs from now (the first)\n" {
		t.Fatalf("first rotation: stdout=%q", r.stdout)
	}
	before := time.Now()
	r := mustRun(t, dir, "", "token-key", "rotate")
	if !strings.HasPrefix(r.stdout, "token key 2 signs from ") {
		t.Fatalf("second rotation: stdout=%q", r.stdout)
	}
	keys, err := mustStore(t, dir).TokenKeys(context.Background())
	if err != nil || len(keys) != 2 {
		t.Fatalf("keys %+v, %v; want 2", keys, err)
	}
	if from := keys[1].SignsFrom; from.Before(before.Add(lifecycle.KeyPublish)) || from.After(time.Now().Add(lifecycle.KeyPublish)) {
		t.Fatalf("key 2 signs from %v, want %v after the rotation", from, lifecycle.KeyPublish)
	}
	if r := runCLI(t, dir, "", "token-key", "rotate", "now"); r.err == nil {
		t.Fatal("token-key rotate took an argument")
	}
}
