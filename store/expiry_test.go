package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store"
)

var live = []lifecycle.Status{lifecycle.PendingActivation, lifecycle.Activated}

// expiringCredential stores a live credential of the tenant created at
// created and expiring at expires.
func expiringCredential(t *testing.T, st *store.Store, tenantID int64, key string, created, expires time.Time) lifecycle.Credential {
	t.Helper()
	c := liveCredential(tenantID, key, created)
	c.ExpiresAt = expires
	c, err := st.InsertCredential(context.Background(), c, "user:alice", lifecycle.AuditGenerate)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// stages lists the expiry work due at now, by credential.
func stages(t *testing.T, st *store.Store, now time.Time) map[int64]int {
	t.Helper()
	due, err := st.ExpiringCredentials(context.Background(), now, []int{30, 7, 1}, live, 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]int{}
	for _, e := range due {
		out[e.CredentialID] = e.Stage
	}
	return out
}

// The expiry work due: a reminder of the smallest window the expiry is
// in, if the credential was created before the window began and neither
// it nor a smaller one was sent; the expiry at its instant. The expiry is
// read back as stored.
func TestExpiringCredentialsAreTheOnesWithWorkDue(t *testing.T) {
	st, acme, globex := openPlanStore(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	day := lifecycle.Day
	long := expiringCredential(t, st, acme.ID, "ESPAKEXPIRYLONG0AAAA", now.Add(-100*day), now.Add(20*day))
	short := expiringCredential(t, st, globex.ID, "ESPAKEXPIRYSHORT0BBB", now.Add(-day), now.Add(20*day))
	if got, err := st.CredentialByID(ctx, long.ID); err != nil || !got.ExpiresAt.Equal(now.Add(20*day)) {
		t.Fatalf("stored expiry %v, %v", got.ExpiresAt, err)
	}
	if got := stages(t, st, now); len(got) != 1 || got[long.ID] != 30 {
		t.Fatalf("20 days before: %v, want the old credential's 30-day reminder only", got)
	}
	if !remind(t, st, acme.ID, long.ID, 30, now) {
		t.Fatal("the 30-day reminder was not written")
	}
	if got := stages(t, st, now); len(got) != 0 {
		t.Fatalf("after the reminder: %v, want nothing due", got)
	}
	if got := stages(t, st, now.Add(14*day)); got[long.ID] != 7 || got[short.ID] != 7 {
		t.Fatalf("6 days before: %v, want both credentials' 7-day reminders", got)
	}
	if got := stages(t, st, now.Add(20*day)); got[long.ID] != 0 || got[short.ID] != 0 {
		t.Fatalf("at the expiry: %v, want both expired", got)
	}
	if got := stages(t, st, now.Add(20*day-time.Nanosecond)); got[long.ID] != 1 {
		t.Fatalf("a nanosecond before: %v, want the 1-day reminder", got)
	}
}

// remind sends credential id's reminder of days at now, and says whether
// it was written.
func remind(t *testing.T, st *store.Store, tenantID, id int64, days int, now time.Time) bool {
	t.Helper()
	event := map[int]lifecycle.AuditEvent{30: lifecycle.AuditRemindExpiry30, 7: lifecycle.AuditRemindExpiry7, 1: lifecycle.AuditRemindExpiry1}[days]
	sent, err := st.RemindExpiry(context.Background(), lifecycle.ExpiryReminder{CredentialID: id, Days: days, At: now, While: live},
		lifecycle.AuditEntry{At: now, TenantID: tenantID, CredentialID: id, Actor: "scheduler", Action: event})
	if err != nil {
		t.Fatal(err)
	}
	return sent
}

// A reminder of a credential no longer live (deactivated since it was
// found due) is not written, nor is one sent before.
func TestRemindExpiryOnlyOnceAndOnlyWhileLive(t *testing.T) {
	st, acme, globex := openPlanStore(t)
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	a := expiringCredential(t, st, acme.ID, "ESPAKEXPIRYLIVE0DDDD", now.Add(-40*lifecycle.Day), now.Add(20*lifecycle.Day))
	b := expiringCredential(t, st, globex.ID, "ESPAKEXPIRYGONE0EEEE", now.Add(-40*lifecycle.Day), now.Add(lifecycle.Day))
	if _, err := st.ApplyTransitions(context.Background(), []lifecycle.CredentialWrite{{CredentialID: b.ID, From: live,
		To: lifecycle.PendingDeactivation, At: now, Actor: "user:gina", Action: lifecycle.AuditDeactivate}}); err != nil {
		t.Fatal(err)
	}
	if !remind(t, st, acme.ID, a.ID, 1, now) || remind(t, st, acme.ID, a.ID, 1, now) {
		t.Error("the live credential's reminder: want written the first time only")
	}
	if remind(t, st, globex.ID, b.ID, 1, now) {
		t.Error("a reminder was written for a credential being deactivated")
	}
	// A smaller reminder sent (by a scheduler whose clock runs ahead)
	// stands for the larger ones too.
	if got := stages(t, st, now); len(got) != 0 {
		t.Errorf("20 days before, after the 1-day reminder: %v due, want nothing", got)
	}
	var rows int
	if err := st.DB.QueryRow(`SELECT count(*) FROM audit WHERE action = 'remind_expiry_1d'`).Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("%d reminder audit rows (%v), want 1", rows, err)
	}
}

// 50 schedulers sending one reminder at once, and 50 expiring one
// credential at once: each is written once, with one audit row.
func TestConcurrentRemindersAndExpiriesAreWrittenOnce(t *testing.T) {
	st, acme, _ := openPlanStore(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	c := expiringCredential(t, st, acme.ID, "ESPAKEXPIRYONCE0CCCC", now.Add(-40*lifecycle.Day), now)
	const n = 50
	var wg sync.WaitGroup
	results := make(chan bool, 2*n)
	for range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			sent, err := st.RemindExpiry(ctx, lifecycle.ExpiryReminder{CredentialID: c.ID, Days: 1, At: now, While: live},
				lifecycle.AuditEntry{At: now, TenantID: acme.ID, CredentialID: c.ID, Actor: "scheduler", Action: lifecycle.AuditRemindExpiry1})
			if err != nil {
				t.Error(err)
			}
			results <- sent
		}()
		go func() {
			defer wg.Done()
			w := lifecycle.CredentialWrite{CredentialID: c.ID, From: live, To: lifecycle.PendingDeactivation, At: now,
				DueAt: now, DeadlineAt: now.Add(time.Hour), PendingAction: lifecycle.ActionDeactivate,
				Actor: "scheduler", Action: lifecycle.AuditDeactivate}
			done, err := st.ExpireCredential(ctx, lifecycle.AuditEntry{At: now, TenantID: acme.ID, CredentialID: c.ID,
				Actor: "scheduler", Action: lifecycle.AuditExpire}, w)
			if err != nil {
				t.Error(err)
			}
			results <- done
		}()
	}
	wg.Wait()
	close(results)
	var yes int
	for r := range results {
		if r {
			yes++
		}
	}
	var reminders, expiries, deactivations int
	err := st.DB.QueryRow(`SELECT (SELECT count(*) FROM expiry_reminders), (SELECT count(*) FROM audit WHERE action = 'expire'),
		(SELECT count(*) FROM audit WHERE action = 'deactivate')`).Scan(&reminders, &expiries, &deactivations)
	if err != nil {
		t.Fatal(err)
	}
	if expiries != 1 || deactivations != 1 || reminders > 1 || yes != 1+reminders {
		t.Fatalf("%d reminders, %d expiries, %d deactivations, %d writes reported: want one expiry and at most one reminder, each reported once",
			reminders, expiries, deactivations, yes)
	}
}
