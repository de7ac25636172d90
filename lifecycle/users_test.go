package lifecycle_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"esp/lifecycle"
)

func (f *fixture) signIn(tb testing.TB, u lifecycle.User, name string) []byte {
	tb.Helper()
	h := sha256.Sum256([]byte(name))
	now := f.clock.Now()
	if err := f.store.CreateSession(context.Background(), lifecycle.Session{IDHash: h[:], UserID: u.ID, CreatedAt: now, LastSeenAt: now}, u.PasswordHash); err != nil {
		tb.Fatal(err)
	}
	return h[:]
}

func (f *fixture) hasSession(tb testing.TB, idHash []byte) bool {
	tb.Helper()
	_, u, _, err := f.store.SessionAccount(context.Background(), idHash, time.Time{})
	if errors.Is(err, lifecycle.ErrNotFound) {
		return false
	}
	if err != nil {
		tb.Fatal(err)
	}
	return u.ID != 0
}

func (f *fixture) addUser(tb testing.TB, name string, admin bool) lifecycle.User {
	tb.Helper()
	u, err := f.accounts.AddUser(context.Background(), "acme", name, "password-"+name, admin)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

func TestSetPasswordEndsEverySessionOfThatUserOnly(t *testing.T) {
	f := newFixture(t, nil, lifecycle.Config{})
	ctx := context.Background()
	alice, bob := f.addUser(t, "alice", true), f.addUser(t, "bob", false)
	a1, a2, b1 := f.signIn(t, alice, "a1"), f.signIn(t, alice, "a2"), f.signIn(t, bob, "b1")
	if err := f.accounts.SetPassword(ctx, "acme", "alice", "new password"); err != nil {
		t.Fatal(err)
	}
	if f.hasSession(t, a1) || f.hasSession(t, a2) {
		t.Fatal("a session of alice outlived her new password")
	}
	if !f.hasSession(t, b1) {
		t.Fatal("bob's session ended with alice's password")
	}
	if _, err := f.accounts.Authenticate(ctx, "alice", "password-alice"); !errors.Is(err, lifecycle.ErrBadLogin) {
		t.Fatalf("the old password: %v, want a bad login", err)
	}
	if _, err := f.accounts.Authenticate(ctx, "alice", "new password"); err != nil {
		t.Fatalf("the new password: %v", err)
	}
	// A sign-in that checked the old password makes no session after.
	if err := f.store.CreateSession(ctx, lifecycle.Session{IDHash: make([]byte, 32), UserID: alice.ID,
		CreatedAt: f.clock.Now(), LastSeenAt: f.clock.Now()}, alice.PasswordHash); !errors.Is(err, lifecycle.ErrConflict) {
		t.Fatalf("session with the old password's sign-in: %v, want a conflict", err)
	}
	if err := f.accounts.SetPassword(ctx, "acme", "alice", ""); lifecycle.ErrorCode(err) != lifecycle.Invalid {
		t.Fatalf("empty password: %v, want invalid", err)
	}
}

// A removed user's sessions end, and the history still names them as the
// actor of what they did.
func TestRemovedUserStaysTheActorOfTheirHistory(t *testing.T) {
	f := newFixture(t, nil, lifecycle.Config{})
	ctx := context.Background()
	alice := f.addUser(t, "alice", true)
	s := f.signIn(t, alice, "a1")
	if _, err := f.svc.Generate(ctx, f.tenant.ID, lifecycle.UserActor("alice")); err != nil {
		t.Fatal(err)
	}
	if err := f.accounts.RemoveUser(ctx, "acme", "alice"); err != nil {
		t.Fatal(err)
	}
	if f.hasSession(t, s) {
		t.Fatal("the removed user's session lives on")
	}
	if _, err := f.store.UserByUsername(ctx, "alice"); !errors.Is(err, lifecycle.ErrNotFound) {
		t.Fatalf("removed user: %v", err)
	}
	h, err := f.svc.History(ctx, f.tenant.ID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 1 || h[0].Actor != "alice" {
		t.Fatalf("history %+v, want alice's Generate", h)
	}
}

func TestSetUserChangesAdminAndEmail(t *testing.T) {
	f := newFixture(t, nil, lifecycle.Config{})
	ctx := context.Background()
	u, err := f.accounts.CreateUser(ctx, lifecycle.NewUser{Tenant: "acme", Username: "alice", Password: "pw", Admin: true, Email: "alice@example.com"})
	if err != nil || u.Email != "alice@example.com" {
		t.Fatalf("%+v %v", u, err)
	}
	s := f.signIn(t, u, "a1")
	no, none := false, ""
	if err := f.accounts.SetUser(ctx, "acme", "alice", lifecycle.UserChange{Admin: &no}); err != nil {
		t.Fatal(err)
	}
	users, err := f.accounts.Users(ctx, "acme")
	if err != nil || len(users) != 1 || users[0].IsAdmin || users[0].Email != "alice@example.com" {
		t.Fatalf("after the demotion: %+v %v", users, err)
	}
	if _, got, _, err := f.store.SessionAccount(ctx, s, time.Time{}); err != nil || got.IsAdmin {
		t.Fatalf("the session's user %+v (%v), want no admin", got, err)
	}
	if err := f.accounts.SetUser(ctx, "acme", "alice", lifecycle.UserChange{Email: &none}); err != nil {
		t.Fatal(err)
	}
	if users, _ := f.accounts.Users(ctx, "acme"); users[0].Email != "" {
		t.Fatalf("email %q, want it cleared", users[0].Email)
	}
}

func TestUserManagementFindsUsersOnlyInTheirTenant(t *testing.T) {
	f := newFixture(t, nil, lifecycle.Config{})
	ctx := context.Background()
	f.addUser(t, "alice", true)
	if _, err := f.accounts.AddTenant(ctx, "globex"); err != nil {
		t.Fatal(err)
	}
	yes := true
	for name, err := range map[string]error{
		"passwd other tenant": f.accounts.SetPassword(ctx, "globex", "alice", "x"),
		"set other tenant":    f.accounts.SetUser(ctx, "globex", "alice", lifecycle.UserChange{Admin: &yes}),
		"remove other tenant": f.accounts.RemoveUser(ctx, "globex", "alice"),
		"remove unknown user": f.accounts.RemoveUser(ctx, "acme", "zed"),
		"remove no tenant":    f.accounts.RemoveUser(ctx, "nope", "alice"),
	} {
		if lifecycle.ErrorCode(err) != lifecycle.NotFound {
			t.Errorf("%s: %v, want not found", name, err)
		}
	}
	if _, err := f.accounts.Authenticate(ctx, "alice", "password-alice"); err != nil {
		t.Fatalf("alice changed: %v", err)
	}
}

func TestEmailIsOnePlainAddress(t *testing.T) {
	for email, ok := range map[string]bool{
		"":                                 true,
		"alice@example.com":                true,
		"a.b+c@sub.example.org":            true,
		"Alice <alice@example.com>":        false,
		"<alice@example.com>":              false,
		"alice@example.com, b@example.com": false,
		"alice":                            false,
		"alice@":                           false,
		"al ice@example.com":               false,
		"alice@example.com\n":              false,
		" alice@example.com":               false,
	} {
		if err := lifecycle.CheckEmail(email); (err == nil) != ok {
			t.Errorf("%q: %v, want ok=%v", email, err, ok)
		}
	}
}

// A session signs its user in until it has idled SessionIdle or lived
// SessionMax, whichever comes first; a use keeps it from idling, and an
// ended one signs nobody in.
func TestSessionsEndByIdleAndMaxTimeoutsAndLogout(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil, lifecycle.Config{})
	sessions := lifecycle.NewSessions(f.store, f.clock.Now, lifecycle.Config{SessionIdle: 30 * time.Minute, SessionMax: time.Hour})
	alice := f.addUser(t, "alice", true)
	start := func() string {
		t.Helper()
		id, err := sessions.Start(ctx, alice)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	live := func(id string) bool {
		t.Helper()
		in, err := sessions.Load(ctx, id)
		if errors.Is(err, lifecycle.ErrNoSession) {
			return false
		}
		if err != nil || in.User.ID != alice.ID || in.Tenant.ID != f.tenant.ID {
			t.Fatalf("Load = %+v, %v", in, err)
		}
		return true
	}

	used, idle, ended := start(), start(), start()
	if err := sessions.End(ctx, ended); err != nil {
		t.Fatal(err)
	}
	for range 2 { // used every 20 minutes, 40 in all
		f.clock.Add(20 * time.Minute)
		if !live(used) {
			t.Fatalf("a session used every 20 minutes ended at %v", f.clock.Now())
		}
	}
	if live(idle) || live(ended) {
		t.Fatalf("an idle or logged-out session still signs in")
	}
	f.clock.Add(20 * time.Minute)
	if live(used) {
		t.Fatalf("a session an hour old still signs in")
	}
	if got := sessions.MaxAge(); got != time.Hour {
		t.Fatalf("MaxAge = %s, want 1h", got)
	}
}
