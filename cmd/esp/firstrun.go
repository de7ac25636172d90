package main

import (
	"context"
	"crypto/rand"
	"fmt"

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
func firstRun(ctx context.Context, e env, st *store.Store, accounts *lifecycle.Accounts) error {
	return st.WithLock(ctx, firstRunLock, func(ctx context.Context) error {
		return firstRunLocked(ctx, e, st, accounts)
	})
}

func firstRunLocked(ctx context.Context, e env, st *store.Store, accounts *lifecycle.Accounts) error {
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
	fmt.Fprintln(e.stdout, "These passwords are shown only now; keep them.")
	return nil
}

// loadDemoPlans gives the demo tenant plans to look at and export.
func loadDemoPlans(ctx context.Context, st *store.Store, tenantID int64) error {
	return importDemoPlans(ctx, st, tenantID)
}
