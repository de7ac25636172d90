package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store"
)

// transitionGroup is four tenants' pending credentials and a scheduler's
// group of outcomes for them: acme's and globex's apply; the third's
// carries a claim that no longer holds and the fourth's leaves a status
// its credential is not in, so those two are skipped.
type transitionGroup struct {
	creds []lifecycle.Credential
	group []lifecycle.CredentialWrite
}

func newTransitionGroup(t *testing.T, st *store.Store, acme, globex lifecycle.Tenant, now time.Time) transitionGroup {
	t.Helper()
	ctx := context.Background()
	tenants := []lifecycle.Tenant{acme, globex}
	for _, name := range []string{"third", "fourth"} {
		ten, err := st.CreateTenant(ctx, name, true, now)
		if err != nil {
			t.Fatal(err)
		}
		tenants = append(tenants, ten)
	}
	var g transitionGroup
	for i, ten := range tenants {
		c, err := st.InsertCredential(ctx, liveCredential(ten.ID, fmt.Sprintf("ESPAKGROUP%06d", i), now), "test", lifecycle.AuditGenerate)
		if err != nil {
			t.Fatal(err)
		}
		g.creds = append(g.creds, c)
	}
	held, err := st.ClaimDue(ctx, []lifecycle.Claim{{CredentialID: g.creds[2].ID, Status: lifecycle.PendingActivation,
		DueAt: g.creds[2].DueAt, Until: now.Add(time.Minute)}})
	if err != nil || len(held) != 1 {
		t.Fatalf("claim: %v %v", held, err)
	}
	// Written out of id order, as a group may be.
	for _, i := range []int{1, 0, 2, 3} {
		w := activation(g.creds[i].ID, now.Add(time.Second))
		switch i {
		case 2:
			w.Claim = held[0].Token + 1 // another scheduler's claim since
		case 3:
			w.From = []lifecycle.Status{lifecycle.Activated}
		}
		g.group = append(g.group, w)
	}
	return g
}

// auditedActivations counts the Activated audit rows of the credentials.
func auditedActivations(t *testing.T, st *store.Store, creds []lifecycle.Credential) int {
	t.Helper()
	n := 0
	for _, c := range creds {
		var k int
		err := st.DB.QueryRow(`SELECT count(*) FROM audit WHERE credential_id = $1 AND action = 'activate' AND from_status = 'pending_activation' AND to_status = 'activated'`, c.ID).Scan(&k)
		if err != nil {
			t.Fatal(err)
		}
		n += k
	}
	return n
}

// A group of transitions applies those whose credential is still in the
// status and claim they expect, each with one audit row and its notices,
// and skips the others, reporting them by index; applied again, it
// changes nothing.
func TestApplyTransitionsGroupWritesEachChangeOnceWithItsAuditAndNotices(t *testing.T) {
	st, acme, globex := openPlanStore(t)
	withRecipients(t, st, acme, globex)
	st.NotifyOn(lifecycle.NoticeEvents())
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	g := newTransitionGroup(t, st, acme, globex, now)
	outbox := count(t, st, "outbox")

	skipped, err := st.ApplyTransitions(ctx, g.group)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(skipped, []int{2, 3}) {
		t.Fatalf("skipped %v, want [2 3]", skipped)
	}
	for i, want := range []lifecycle.Status{lifecycle.Activated, lifecycle.Activated, lifecycle.PendingActivation, lifecycle.PendingActivation} {
		c, err := st.CredentialByID(ctx, g.creds[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != want || (want == lifecycle.Activated && (c.DueAt != time.Time{} || c.PendingAction != "")) {
			t.Fatalf("credential %d: %s due %v action %q, want %s", i, c.Status, c.DueAt, c.PendingAction, want)
		}
	}
	if n := auditedActivations(t, st, g.creds); n != 2 {
		t.Fatalf("%d Activated audit rows, want 2", n)
	}
	// alice (acme) and gina (globex) hear of the activations; the other
	// tenants have no admin with an address.
	if n := count(t, st, "outbox"); n != outbox+2 {
		t.Fatalf("%d notices queued, want 2", n-outbox)
	}

	skipped, err = st.ApplyTransitions(ctx, g.group)
	if !errors.Is(err, lifecycle.ErrConflict) || len(skipped) != 4 {
		t.Fatalf("applied again: skipped %v, err %v; want all four skipped and ErrConflict", skipped, err)
	}
	if n := auditedActivations(t, st, g.creds); n != 2 || count(t, st, "outbox") != outbox+2 {
		t.Fatalf("applied again: %d audit rows, %d notices; want 2 and 2", n, count(t, st, "outbox")-outbox)
	}
}

// The same group applied by 50 writers at once (schedulers of replicas
// writing one outcome) changes each credential once: one audit row and
// one set of notices each, and no writer fails but with ErrConflict.
func TestApplyTransitionsGroupFromFiftyWritersAtOnceAppliesOnce(t *testing.T) {
	st, acme, globex := openPlanStore(t)
	withRecipients(t, st, acme, globex)
	st.NotifyOn(lifecycle.NoticeEvents())
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	g := newTransitionGroup(t, st, acme, globex, now)
	outbox := count(t, st, "outbox")
	var wg sync.WaitGroup
	var mu sync.Mutex
	applied := 0
	start := make(chan struct{})
	for range 50 {
		wg.Go(func() {
			<-start
			skipped, err := st.ApplyTransitions(context.Background(), g.group)
			if err != nil && !errors.Is(err, lifecycle.ErrConflict) {
				t.Errorf("a writer failed: %v", err)
				return
			}
			mu.Lock()
			applied += len(g.group) - len(skipped)
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	if n := auditedActivations(t, st, g.creds); applied != 2 || n != 2 || count(t, st, "outbox") != outbox+2 {
		t.Fatalf("%d applied, %d audit rows, %d notices; want 2 of each", applied, n, count(t, st, "outbox")-outbox)
	}
}
