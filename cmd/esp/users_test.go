package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store"
	"esp/store/storetest"
)

// usersFolder is a data folder with tenants acme and globex, admin alice
// (alice@example.com) and user bob in acme, and gina in globex.
func usersFolder(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	mustRun(t, dir, "", "tenant", "add", "acme")
	mustRun(t, dir, "", "tenant", "add", "globex")
	mustRun(t, dir, "pw-alice\n", "user", "add", "--tenant", "acme", "--admin", "--email", "alice@example.com", "alice")
	mustRun(t, dir, "pw-bob\n", "user", "add", "--tenant", "acme", "bob")
	mustRun(t, dir, "pw-gina\n", "user", "add", "--tenant", "globex", "gina")
	return dir
}

func user(t *testing.T, dir, name string) lifecycle.User {
	t.Helper()
	u, err := mustStore(t, dir).UserByUsername(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// signIn records a session of the user, as the web's sign-in does.
func signIn(t *testing.T, dir, name string) []byte {
	t.Helper()
	u, h, now := user(t, dir, name), sha256.Sum256([]byte(name+" session")), time.Now()
	if err := mustStore(t, dir).CreateSession(context.Background(), lifecycle.Session{IDHash: h[:], UserID: u.ID, CreatedAt: now, LastSeenAt: now}, u.PasswordHash); err != nil {
		t.Fatal(err)
	}
	return h[:]
}

func sessionLives(t *testing.T, dir string, idHash []byte) bool {
	t.Helper()
	_, u, _, err := mustStore(t, dir).SessionAccount(context.Background(), idHash, time.Time{})
	if err != nil && !errors.Is(err, lifecycle.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil && u.ID != 0
}

func TestUserAddKeepsTheEmail(t *testing.T) {
	dir := usersFolder(t)
	if u := user(t, dir, "alice"); u.Email != "alice@example.com" || !u.IsAdmin {
		t.Fatalf("alice %+v", u)
	}
	if u := user(t, dir, "bob"); u.Email != "" || u.IsAdmin {
		t.Fatalf("bob %+v", u)
	}
}

func TestUserPasswdSetsThePasswordAndEndsTheSessions(t *testing.T) {
	dir := usersFolder(t)
	alice, bob := signIn(t, dir, "alice"), signIn(t, dir, "bob")
	r := mustRun(t, dir, "new secret\n", "user", "passwd", "--tenant", "acme", "alice")
	if !strings.Contains(r.stdout, `new password set for user "alice"`) || strings.Contains(r.stdout+r.stderr, "new secret") {
		t.Fatalf("stdout=%q stderr=%q", r.stdout, r.stderr)
	}
	acc := lifecycle.NewAccounts(mustStore(t, dir), time.Now)
	if _, err := acc.Authenticate(context.Background(), "alice", "new secret"); err != nil {
		t.Fatalf("the new password: %v", err)
	}
	if sessionLives(t, dir, alice) || !sessionLives(t, dir, bob) {
		t.Fatal("want alice's session ended and bob's kept")
	}
}

func TestUserSetChangesTheAdminFlagAndEmail(t *testing.T) {
	dir := usersFolder(t)
	mustRun(t, dir, "", "user", "set", "--tenant", "acme", "alice", "--admin=false")
	if u := user(t, dir, "alice"); u.IsAdmin || u.Email != "alice@example.com" {
		t.Fatalf("after --admin=false: %+v", u)
	}
	mustRun(t, dir, "", "user", "set", "--tenant", "acme", "--admin=true", "--email", "bob@example.org", "bob")
	if u := user(t, dir, "bob"); !u.IsAdmin || u.Email != "bob@example.org" {
		t.Fatalf("bob %+v", u)
	}
	mustRun(t, dir, "", "user", "set", "--tenant", "acme", "--email", "", "bob")
	if u := user(t, dir, "bob"); !u.IsAdmin || u.Email != "" {
		t.Fatalf("after --email \"\": %+v", u)
	}
}

func TestUserRemoveEndsTheSessionsAndKeepsTheHistory(t *testing.T) {
	dir := usersFolder(t)
	s := signIn(t, dir, "alice")
	st := mustStore(t, dir)
	acme := tenant(t, dir, "acme")
	svc := lifecycle.NewService(st, time.Now, lifecycle.Config{})
	if _, err := svc.Generate(context.Background(), acme.ID, lifecycle.UserActor("alice")); err != nil {
		t.Fatal(err)
	}
	mustRun(t, dir, "", "user", "remove", "--tenant", "acme", "alice")
	if _, err := st.UserByUsername(context.Background(), "alice"); !errors.Is(err, lifecycle.ErrNotFound) {
		t.Fatalf("alice: %v", err)
	}
	if sessionLives(t, dir, s) {
		t.Fatal("the removed user's session lives on")
	}
	h, err := svc.History(context.Background(), acme.ID, 0, 10)
	if err != nil || len(h) != 1 || h[0].Actor != "alice" {
		t.Fatalf("history %+v %v, want alice's Generate", h, err)
	}
}

func TestUserListIsAPlainTable(t *testing.T) {
	dir := usersFolder(t)
	r := mustRun(t, dir, "", "user", "list", "--tenant", "acme")
	want := "USERNAME  ADMIN  EMAIL\n" +
		"alice     yes    alice@example.com\n" +
		"bob       no     \n"
	if r.stdout != want {
		t.Fatalf("stdout:\n%s\nwant:\n%s", r.stdout, want)
	}
}

func TestUserAndTenantAlonePrintTheirCommands(t *testing.T) {
	dir := t.TempDir()
	for cmd, want := range map[string][]string{
		"user":   {"add --tenant", "passwd --tenant", "set --tenant", "remove --tenant", "list --tenant"},
		"tenant": {"add NAME", "feature NAME"},
	} {
		code, stdout, stderr := execCLI(t, dir, "", cmd)
		if code != 0 || stderr != "" {
			t.Fatalf("esp %s: exit %d, stderr %q", cmd, code, stderr)
		}
		for _, w := range want {
			if !strings.Contains(stdout, w) {
				t.Errorf("esp %s: %q missing from\n%s", cmd, w, stdout)
			}
		}
	}
}

// Every bad input of the user commands: a one-line error, a failure, and
// nothing changed.
func TestUserCommandsRefuseBadInput(t *testing.T) {
	dir := usersFolder(t)
	cases := []struct {
		name  string
		stdin string
		args  []string
		want  string
		code  int
	}{
		{"passwd unknown tenant", "pw\n", []string{"user", "passwd", "--tenant", "nope", "alice"}, `unknown tenant "nope"`, 1},
		{"passwd unknown user", "pw\n", []string{"user", "passwd", "--tenant", "acme", "zed"}, `unknown user "zed" in tenant "acme"`, 1},
		{"passwd user of another tenant", "pw\n", []string{"user", "passwd", "--tenant", "globex", "alice"}, `unknown user "alice" in tenant "globex"`, 1},
		{"passwd empty password", "\n", []string{"user", "passwd", "--tenant", "acme", "alice"}, "password must not be empty", 1},
		{"passwd too long", strings.Repeat("x", 73) + "\n", []string{"user", "passwd", "--tenant", "acme", "alice"}, "at most 72 bytes", 1},
		{"passwd no tenant", "pw\n", []string{"user", "passwd", "alice"}, "--tenant is required", 2},
		{"set unknown user", "", []string{"user", "set", "--tenant", "acme", "--admin=true", "zed"}, `unknown user "zed"`, 1},
		{"set unknown tenant", "", []string{"user", "set", "--tenant", "nope", "--admin=true", "alice"}, `unknown tenant "nope"`, 1},
		{"set nothing", "", []string{"user", "set", "--tenant", "acme", "alice"}, "nothing to change", 2},
		{"set admin not a bool", "", []string{"user", "set", "--tenant", "acme", "--admin=maybe", "alice"}, "invalid boolean value", 2},
		{"set bad email", "", []string{"user", "set", "--tenant", "acme", "--email", "not-an-address", "alice"}, "must be one plain address", 1},
		{"set email with display name", "", []string{"user", "set", "--tenant", "acme", "--email", "Alice <a@example.com>", "alice"}, "must be one plain address", 1},
		{"set two emails", "", []string{"user", "set", "--tenant", "acme", "--email", "a@example.com,b@example.com", "alice"}, "must be one plain address", 1},
		{"set bad email beside a good admin flag", "", []string{"user", "set", "--tenant", "acme", "--admin=false", "--email", "x", "alice"}, "must be one plain address", 1},
		{"add bad email", "pw\n", []string{"user", "add", "--tenant", "acme", "--email", "carol@", "carol"}, "must be one plain address", 1},
		{"add email with new line", "pw\n", []string{"user", "add", "--tenant", "acme", "--email", "c@example.com\nBcc: x@example.com", "carol"}, "must be one plain address", 1},
		{"remove unknown user", "", []string{"user", "remove", "--tenant", "acme", "zed"}, `unknown user "zed"`, 1},
		{"remove user of another tenant", "", []string{"user", "remove", "--tenant", "acme", "gina"}, `unknown user "gina" in tenant "acme"`, 1},
		{"remove two users", "", []string{"user", "remove", "--tenant", "acme", "alice", "bob"}, "expected 1 argument(s), got 2", 2},
		{"list unknown tenant", "", []string{"user", "list", "--tenant", "nope"}, `unknown tenant "nope"`, 1},
		{"list no tenant", "", []string{"user", "list"}, "--tenant is required", 2},
		{"list bad flag", "", []string{"user", "list", "--tenant", "acme", "--all"}, "flag provided but not defined: -all", 2},
		{"unknown user command", "", []string{"user", "rename", "alice"}, `unknown command "user rename"`, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := snapshot(t, dir)
			code, stdout, stderr := execCLI(t, dir, c.stdin, c.args...)
			if code != c.code {
				t.Fatalf("exit=%d, want %d (stderr %q)", code, c.code, stderr)
			}
			assertOneLineFailure(t, code, stderr, c.want)
			if stdout != "" {
				t.Fatalf("stdout=%q, want nothing", stdout)
			}
			if after := snapshot(t, dir); after != before {
				t.Fatalf("the database changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

// The user commands on PostgreSQL, where a server's replicas see their
// changes at the next request.
func TestUserCommandsOnPostgres(t *testing.T) {
	u := storetest.PostgresURL(t)
	dir := filepath.Join(t.TempDir(), "unused")
	vars := []string{"ESP_DATABASE_URL=" + u}
	steps := []struct {
		stdin string
		args  []string
	}{
		{"", []string{"tenant", "add", "acme"}},
		{"pw\n", []string{"user", "add", "--tenant", "acme", "--email", "alice@example.com", "alice"}},
		{"pw\n", []string{"user", "add", "--tenant", "acme", "bob"}},
		{"new pw\n", []string{"user", "passwd", "--tenant", "acme", "alice"}},
		{"", []string{"user", "set", "--tenant", "acme", "--admin=true", "--email", "", "alice"}},
		{"", []string{"user", "remove", "--tenant", "acme", "bob"}},
	}
	for _, s := range steps {
		if code, stdout, stderr := execCLIEnv(t, dir, vars, s.stdin, s.args...); code != 0 {
			t.Fatalf("esp %s: exit %d, %q %q", strings.Join(s.args, " "), code, stdout, stderr)
		}
	}
	code, stdout, stderr := execCLIEnv(t, dir, vars, "", "user", "list", "--tenant", "acme")
	if want := "USERNAME  ADMIN  EMAIL\nalice     yes    \n"; code != 0 || stdout != want {
		t.Fatalf("list: exit %d, %q %q; want %q", code, stdout, stderr, want)
	}
	st, err := store.OpenPostgres(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := lifecycle.NewAccounts(st, time.Now).Authenticate(context.Background(), "alice", "new pw"); err != nil {
		t.Fatalf("alice's new password: %v", err)
	}
}
