package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store"
	"esp/store/storetest"
)

func userWithSessions(t *testing.T, st *store.Store) lifecycle.User {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	tn, err := st.CreateTenant(ctx, "acme", true, now)
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.CreateUser(ctx, lifecycle.User{TenantID: tn.ID, Username: "alice", PasswordHash: "hash", IsAdmin: true, CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func sessionsOf(t *testing.T, st *store.Store, userID int64) int {
	t.Helper()
	var n int
	if err := st.DB.QueryRow(`SELECT count(*) FROM sessions WHERE user_id = $1`, userID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// One user holds at most lifecycle.MaxSessionsPerUser sessions: each new
// one ends the oldest other.
func TestNewSessionEndsTheUsersOldestBeyondTheCap(t *testing.T) {
	st := storetest.New(t).Open(t)
	ctx := context.Background()
	u := userWithSessions(t, st)
	start := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	max := lifecycle.MaxSessionsPerUser
	for i := range max + 3 {
		at := start.Add(time.Duration(i) * time.Minute)
		if err := st.CreateSession(ctx, lifecycle.Session{IDHash: tokenHash(fmt.Sprint(i)), UserID: u.ID, CreatedAt: at, LastSeenAt: at}, "hash"); err != nil {
			t.Fatal(err)
		}
	}
	if n := sessionsOf(t, st, u.ID); n != max {
		t.Fatalf("%d sessions, want %d", n, max)
	}
	for i := range max + 3 {
		_, _, _, err := st.SessionAccount(ctx, tokenHash(fmt.Sprint(i)), time.Time{})
		if kept := err == nil; kept != (i >= 3) {
			t.Errorf("session %d: kept=%v (%v), want only the %d newest", i, kept, err, max)
		}
	}
}

// 50 sign-ins of one user at once leave exactly the cap, on both backends.
func TestSimultaneousSignInsOfOneUserLeaveAtMostTheCap(t *testing.T) {
	st := storetest.New(t).Open(t)
	ctx := context.Background()
	u := userWithSessions(t, st)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Go(func() {
			errs <- st.CreateSession(ctx, lifecycle.Session{IDHash: tokenHash(fmt.Sprint("s", i)), UserID: u.ID, CreatedAt: now, LastSeenAt: now}, "hash")
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := sessionsOf(t, st, u.ID); n != lifecycle.MaxSessionsPerUser {
		t.Fatalf("%d sessions after 50 simultaneous sign-ins, want %d", n, lifecycle.MaxSessionsPerUser)
	}
}
