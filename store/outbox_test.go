package store_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store"
	"esp/store/storetest"
)

// withRecipients adds to acme an admin with an address (alice), an admin
// without one and a non-admin with one, and to globex an admin with one.
func withRecipients(tb testing.TB, st *store.Store, acme, globex lifecycle.Tenant) lifecycle.User {
	tb.Helper()
	ctx := context.Background()
	var alice lifecycle.User
	for _, u := range []lifecycle.User{
		{TenantID: acme.ID, Username: "alice", IsAdmin: true, Email: "alice@acme.test"},
		{TenantID: acme.ID, Username: "noaddress", IsAdmin: true},
		{TenantID: acme.ID, Username: "bob", Email: "bob@acme.test"},
		{TenantID: globex.ID, Username: "gina", IsAdmin: true, Email: "gina@globex.test"},
	} {
		u.PasswordHash = "x"
		made, err := st.CreateUser(ctx, u)
		if err != nil {
			tb.Fatal(err)
		}
		if u.Username == "alice" {
			alice = made
		}
	}
	return alice
}

func activation(id int64, at time.Time) lifecycle.CredentialWrite {
	return lifecycle.CredentialWrite{CredentialID: id, From: []lifecycle.Status{lifecycle.PendingActivation},
		To: lifecycle.Activated, At: at, Actor: "scheduler", Action: lifecycle.AuditActivate}
}

// A Generate and a transition each queue, in their transaction, one notice
// per admin of the tenant with an address, and a claim reads back what
// the notice tells.
func TestNoticesAreQueuedForTheTenantsAdminsWithAnAddress(t *testing.T) {
	st, acme, globex := openPlanStore(t)
	alice := withRecipients(t, st, acme, globex)
	st.NotifyOn(lifecycle.NoticeEvents())
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	c, err := st.InsertCredential(ctx, liveCredential(acme.ID, "ESPAKNOTICE0WXYZ", now), lifecycle.UserActor("alice"), lifecycle.AuditGenerate)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ApplyTransitions(ctx, []lifecycle.CredentialWrite{activation(c.ID, now.Add(time.Second))}); err != nil {
		t.Fatal(err)
	}
	got, err := st.ClaimNotices(ctx, now.Add(time.Minute), now.Add(2*time.Minute), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d notices claimed, want 2 (alice's Generated and Activated): %+v", len(got), got)
	}
	slices.SortFunc(got, func(a, b lifecycle.Notice) int { return int(a.AuditID - b.AuditID) })
	for i, want := range []lifecycle.AuditEvent{lifecycle.AuditGenerate, lifecycle.AuditActivate} {
		n := got[i]
		if n.To != "alice@acme.test" || n.UserID != alice.ID || n.Event != want || n.TenantName != "acme" ||
			n.AccessLast4 != "WXYZ" || n.Attempts != 1 || n.Claim == 0 {
			t.Errorf("notice %d = %+v, want alice's %s of acme's WXYZ", i, n, want)
		}
	}
	if got[0].Actor != lifecycle.UserActor("alice") || !got[0].At.Equal(now) {
		t.Errorf("Generated notice actor %q at %v, want alice at %v", got[0].Actor, got[0].At, now)
	}
}

// Without NotifyOn (notifications off) nothing is queued.
func TestNoNoticeIsQueuedWhenNotificationsAreOff(t *testing.T) {
	st, acme, globex := openPlanStore(t)
	withRecipients(t, st, acme, globex)
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	if _, err := st.InsertCredential(context.Background(), liveCredential(acme.ID, "ESPAKNOTICE1WXYZ", now), "test", lifecycle.AuditGenerate); err != nil {
		t.Fatal(err)
	}
	if n := count(t, st, "outbox"); n != 0 {
		t.Fatalf("%d outbox rows, want none", n)
	}
}

// A batch of transitions that fails part way rolls back whole: the
// notices of its transitions already written go with it.
func TestNoticesRollBackWithTheirTransition(t *testing.T) {
	st, acme, globex := openPlanStore(t)
	withRecipients(t, st, acme, globex)
	st.NotifyOn(lifecycle.NoticeEvents())
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	c, err := st.InsertCredential(ctx, liveCredential(acme.ID, "ESPAKNOTICE2WXYZ", now), "test", lifecycle.AuditGenerate)
	if err != nil {
		t.Fatal(err)
	}
	before := count(t, st, "outbox")
	broken := lifecycle.CredentialWrite{CredentialID: c.ID + 1, To: lifecycle.Activated, At: now} // no From: refused
	if _, err := st.ApplyTransitions(ctx, []lifecycle.CredentialWrite{activation(c.ID, now), broken}); err == nil {
		t.Fatal("a batch with a broken transition was applied")
	}
	if after := count(t, st, "outbox"); after != before {
		t.Fatalf("outbox rows %d after the failed batch, want %d as before it", after, before)
	}
	if _, err := st.ApplyTransitions(ctx, []lifecycle.CredentialWrite{activation(c.ID, now)}); err != nil {
		t.Fatal(err)
	}
	if after := count(t, st, "outbox"); after != before+1 {
		t.Fatalf("outbox rows %d after the transition, want %d", after, before+1)
	}
}

// Two stores on one database claiming the same due notices at once take
// each exactly once; an outcome written under a lapsed claim changes
// nothing.
func TestNoticesAreClaimedOnceAcrossStores(t *testing.T) {
	stores := storetest.OpenShared(t, 2)
	st, acme, globex := withTenants(t, stores[0])
	withRecipients(t, st, acme, globex)
	st.NotifyOn(lifecycle.NoticeEvents())
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for i := range 40 {
		key := "ESPAKNOTICECL" + string(rune('A'+i%26)) + string(rune('A'+i/26)) + "WXYZ"
		c, err := st.InsertCredential(ctx, liveCredential(acme.ID, key, now), "test", lifecycle.AuditGenerate)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.ApplyTransitions(ctx, []lifecycle.CredentialWrite{{CredentialID: c.ID,
			From: []lifecycle.Status{lifecycle.PendingActivation}, To: lifecycle.ActivationFailed, At: now,
			Actor: "test", Action: lifecycle.AuditFailActivation}}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for _, s := range stores {
		for range 3 {
			wg.Go(func() {
				for {
					got, err := s.ClaimNotices(ctx, now, now.Add(time.Minute), 7)
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, n := range got {
						seen[n.ID]++
					}
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	if len(seen) != 80 {
		t.Fatalf("%d notices claimed, want 80", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("notice %d claimed %d times", id, n)
		}
	}
	later := now.Add(2 * time.Minute)
	first, err := st.ClaimNotices(ctx, later, later.Add(time.Minute), 1)
	if err != nil || len(first) != 1 {
		t.Fatalf("reclaim after the lease: %v, %d notices", err, len(first))
	}
	stale := first[0]
	stale.Claim--
	if err := st.FinishNotice(ctx, stale); err != nil {
		t.Fatal(err)
	}
	if n := count(t, st, "outbox"); n != 80 {
		t.Fatalf("a lapsed claim deleted a notice: %d rows left", n)
	}
	if err := st.FinishNotice(ctx, first[0]); err != nil || count(t, st, "outbox") != 79 {
		t.Fatalf("the claim's holder could not finish its notice: %v", err)
	}
}
