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

// firstRun prepares an empty database for a newcomer: a demo tenant with the
// public API on, an admin and a non-admin user whose passwords are printed
// once, and demo plans.
func firstRun(ctx context.Context, e env, st *store.Store, accounts *lifecycle.Accounts) error {
	n, err := st.CountUsers(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	t, err := st.TenantByName(ctx, demoTenant)
	if err != nil {
		if t, err = accounts.AddTenant(ctx, demoTenant); err != nil {
			return fmt.Errorf("first run: %w", err)
		}
	}
	if err := accounts.SetPublicAPI(ctx, demoTenant, true); err != nil {
		return fmt.Errorf("first run: %w", err)
	}
	adminPW, userPW := rand.Text()[:16], rand.Text()[:16]
	if _, err := accounts.AddUser(ctx, demoTenant, demoAdmin, adminPW, true); err != nil {
		return fmt.Errorf("first run: %w", err)
	}
	if _, err := accounts.AddUser(ctx, demoTenant, demoNonAdmin, userPW, false); err != nil {
		return fmt.Errorf("first run: %w", err)
	}
	if err := loadDemoPlans(ctx, st, t.ID); err != nil {
		return fmt.Errorf("first run: %w", err)
	}
	fmt.Fprintf(e.stdout, `First run: created tenant %q with the public API on, and two users.
  ESP admin:  username %-8s password %s
  non-admin:  username %-8s password %s
These passwords are shown only now; keep them.
`, demoTenant, demoAdmin, adminPW, demoNonAdmin, userPW)
	return nil
}

// loadDemoPlans gives the demo tenant plans to look at and export.
func loadDemoPlans(ctx context.Context, st *store.Store, tenantID int64) error {
	return importDemoPlans(ctx, st, tenantID)
}
