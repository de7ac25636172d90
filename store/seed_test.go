package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store/storetest"
)

// Idle seeded credentials give the scheduler nothing to do, and are none
// of their tenant's current one; each due activation is its new tenant's
// current credential in Pending Activation, due at the time given, with
// its deadline. Both are ordinary rows the product reads like its own.
func TestSeedingWritesIdleAndDueCredentials(t *testing.T) {
	st := storetest.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	filler, err := st.CreateTenant(ctx, "filler", true, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SeedIdleCredentials(ctx, filler.ID, 30, now); err != nil {
		t.Fatal(err)
	}
	if err := st.SeedDueActivations(ctx, "due-", 7, now, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	counts, err := st.CredentialCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[lifecycle.Status]int64{lifecycle.ActivationFailed: 10, lifecycle.DeactivationFailed: 10,
		lifecycle.Deactivated: 10, lifecycle.PendingActivation: 7}
	for s, n := range want {
		if counts[s] != n {
			t.Errorf("%d credentials %s, want %d (all: %v)", counts[s], s, n, counts)
		}
	}
	if _, err := st.CurrentCredential(ctx, filler.ID); err == nil {
		t.Errorf("the filler tenant has a current credential")
	}
	due, err := st.DueCredentials(ctx, now, 100)
	if err != nil || len(due) != 7 {
		t.Fatalf("%d credentials due, %v; want the 7 activations", len(due), err)
	}
	for i := range 7 {
		tn, err := st.TenantByName(ctx, fmt.Sprintf("due-%06d", i+1))
		if err != nil {
			t.Fatal(err)
		}
		c, err := st.CurrentCredential(ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != lifecycle.PendingActivation || c.PendingAction != lifecycle.ActionActivate ||
			!c.DueAt.Equal(now) || !c.DeadlineAt.Equal(now.Add(time.Hour)) || !tn.PublicAPI {
			t.Errorf("%s: %+v, public API %v; want Pending Activation, activate, due now, deadline in an hour", tn.Name, c, tn.PublicAPI)
		}
	}
}
