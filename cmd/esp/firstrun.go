package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"esp/lifecycle"
	"esp/store"
)

// Names of what the first run creates.
const (
	demoTenant   = "demo"
	demoAdmin    = "admin"
	demoNonAdmin = "viewer"
)

// firstRunLock is the lock that servers starting together on one empty
// database take to decide which of them does the first run.
const firstRunLock = "first run"

// firstRun prepares an empty database for a newcomer: a demo tenant with the
// public API on, an admin and a non-admin user whose passwords are printed
// once, and demo plans. Servers starting together on one database take
// turns: the first finds no users and creates them, the others find them
// and print nothing.
// The banner ends with the command that sets a new password, run on db.
func firstRun(ctx context.Context, e env, st *store.Store, accounts *lifecycle.Accounts, db *dbFlags) error {
	return st.WithLock(ctx, firstRunLock, func(ctx context.Context) error {
		return firstRunLocked(ctx, e, st, accounts, db)
	})
}

func firstRunLocked(ctx context.Context, e env, st *store.Store, accounts *lifecycle.Accounts, db *dbFlags) error {
	n, err := st.CountUsers(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	// Each step can be retried: a start that fails half-way runs the first
	// run again next time (no users yet), and a password is printed the
	// moment its user exists, so no account is ever created unseen.
	t, err := st.TenantByName(ctx, demoTenant)
	if err != nil {
		if t, err = accounts.AddTenant(ctx, demoTenant); err != nil {
			return fmt.Errorf("first run: %w", err)
		}
	}
	if err := accounts.SetPublicAPI(ctx, demoTenant, true); err != nil {
		return fmt.Errorf("first run: %w", err)
	}
	plans, err := st.Plans(ctx, t.ID)
	if err != nil {
		return fmt.Errorf("first run: %w", err)
	}
	if len(plans) == 0 {
		if err := loadDemoPlans(ctx, st, t.ID); err != nil {
			return fmt.Errorf("first run: %w", err)
		}
	}
	fmt.Fprintf(e.stdout, "First run: created tenant %q with the public API on, and two users.\n", demoTenant)
	for _, u := range []struct {
		role, name string
		admin      bool
	}{{"ESP admin:", demoAdmin, true}, {"non-admin:", demoNonAdmin, false}} {
		pw := rand.Text()[:16]
		if _, err := accounts.AddUser(ctx, demoTenant, u.name, pw, u.admin); err != nil {
			return fmt.Errorf("first run: %w", err)
		}
		fmt.Fprintf(e.stdout, "  %-11s username %-8s password %s\n", u.role, u.name, pw)
	}
	fmt.Fprintln(e.stdout, "These passwords are shown only now; keep them. Lost one? Set a new one (read from stdin) with:")
	fmt.Fprintln(e.stdout, "  "+passwdCommand(programName(), db, demoAdmin))
	return nil
}

// passwdCommand is the command line that sets a new password for username
// of the demo tenant, on the database db.
func passwdCommand(program string, db *dbFlags, username string) string {
	cmd := program + " user passwd --tenant " + demoTenant + " " + username
	switch {
	case db.postgres():
		cmd += " --database-url URL   # the URL this server uses"
	case filepath.Clean(db.data) != "data":
		cmd += " --data " + shellWord(db.data)
	}
	return cmd
}

// programName is how to run this program again: its path as it was
// started ("./bin/esp" under make run) when it is called esp, else "esp".
func programName() string {
	if len(os.Args) > 0 && filepath.Base(os.Args[0]) == "esp" {
		return shellWord(os.Args[0])
	}
	return "esp"
}

// shellWord is s as one word of a shell command: as it is when it holds
// nothing a shell would read specially, else quoted.
func shellWord(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return !strings.ContainsRune(shellSafe, r) }) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shellSafe are the characters a shell word may hold unquoted.
const shellSafe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./_-"

// loadDemoPlans gives the demo tenant plans to look at and export.
func loadDemoPlans(ctx context.Context, st *store.Store, tenantID int64) error {
	return importDemoPlans(ctx, st, tenantID)
}
