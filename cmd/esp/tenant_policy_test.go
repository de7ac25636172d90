package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"esp/lifecycle"
)

// maxLifetime is the tenant's maximum credential lifetime as stored.
func maxLifetime(t *testing.T, dir, name string) time.Duration {
	t.Helper()
	d, err := mustStore(t, dir).MaxCredentialLifetime(context.Background(), tenant(t, dir, name).ID)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// `esp tenant policy` sets the maximum as days or a Go duration, off
// removes it, and `esp tenant` lists the command.
func TestTenantPolicySetsTheMaximumCredentialLifetime(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "tenant", "add", "acme")
	for _, tc := range []struct {
		value string
		want  time.Duration
		out   string
	}{
		{"90d", 90 * lifecycle.Day, `tenant "acme": new credentials live at most 90 days (live ones keep their expiry)`},
		{"36h", 36 * time.Hour, "at most 36h0m0s"},
		{"20s", 20 * time.Second, "at most 20s"},
		{"off", 0, `tenant "acme": no maximum credential lifetime`},
	} {
		r := mustRun(t, dir, "", "tenant", "policy", "acme", "--max-credential-lifetime", tc.value)
		if !strings.Contains(r.stdout, tc.out) {
			t.Errorf("%s: stdout %q, want %q", tc.value, r.stdout, tc.out)
		}
		if got := maxLifetime(t, dir, "acme"); got != tc.want {
			t.Errorf("%s: stored %v, want %v", tc.value, got, tc.want)
		}
	}
	if r := mustRun(t, dir, "", "tenant"); !strings.Contains(r.stdout, "policy NAME --max-credential-lifetime DURATION|off") {
		t.Errorf("esp tenant does not list the policy command:\n%s", r.stdout)
	}
}

// Bad input to `esp tenant policy`: one line, exit 2 for a bad flag (1 for
// an unknown tenant), nothing changed.
func TestTenantPolicyRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "tenant", "add", "acme")
	mustRun(t, dir, "", "tenant", "policy", "acme", "--max-credential-lifetime", "90d")
	for _, c := range []struct {
		args []string
		want string
		code int
	}{
		{[]string{"acme"}, "--max-credential-lifetime is required", 2},
		{[]string{"acme", "--max-credential-lifetime", "0d"}, "must be longer than zero", 2},
		{[]string{"acme", "--max-credential-lifetime", "-5s"}, "must be longer than zero", 2},
		{[]string{"acme", "--max-credential-lifetime", "soon"}, "is not a duration", 2},
		{[]string{"acme", "--max-credential-lifetime", "90"}, "is not a duration", 2},
		{[]string{"acme", "--max-credential-lifetime"}, "flag needs an argument", 2},
		{[]string{"--max-credential-lifetime", "30d"}, "expected 1 argument(s), got 0", 2},
		{[]string{"nope", "--max-credential-lifetime", "30d"}, `unknown tenant "nope"`, 1},
	} {
		args := append([]string{"tenant", "policy"}, c.args...)
		before := snapshot(t, dir)
		code, stdout, stderr := execCLI(t, dir, "", args...)
		if code != c.code || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.want) || stdout != "" {
			t.Errorf("esp %v: exit %d, stdout %q, stderr %q; want exit %d and one line with %q", args, code, stdout, stderr, c.code, c.want)
		}
		if after := snapshot(t, dir); after != before {
			t.Errorf("esp %v changed the database", args)
		}
	}
	if got := maxLifetime(t, dir, "acme"); got != 90*lifecycle.Day {
		t.Fatalf("maximum %v after the refusals, want 90 days", got)
	}
}
