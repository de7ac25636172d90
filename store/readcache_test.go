package store_test

import (
	"context"
	"errors"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store"
)

// counterFixture is one row of each kind the change counter watches.
type counterFixture struct {
	st      *store.Store
	acme    lifecycle.Tenant
	globex  lifecycle.Tenant
	user    lifecycle.User
	session []byte
	cred    lifecycle.Credential
	plan    lifecycle.Plan
	now     time.Time
}

func newCounterFixture(tb testing.TB) *counterFixture {
	tb.Helper()
	ctx := context.Background()
	st, acme, globex := openSQLitePlanStore(tb) // the read cache is SQLite's
	f := &counterFixture{st: st, acme: acme, globex: globex, now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	var err error
	if f.user, err = st.CreateUser(ctx, lifecycle.User{TenantID: acme.ID, Username: "alice", PasswordHash: "hash", IsAdmin: true, CreatedAt: f.now}); err != nil {
		tb.Fatal(err)
	}
	f.session = tokenHash("session")
	if err := st.CreateSession(ctx, lifecycle.Session{IDHash: f.session, UserID: f.user.ID, CreatedAt: f.now, LastSeenAt: f.now}, "hash"); err != nil {
		tb.Fatal(err)
	}
	f.cred = newCredential(tb, st, acme.ID, f.now)
	if f.plan, err = st.ImportPlan(ctx, acme.ID, "plan", f.now, genRows(3)); err != nil {
		tb.Fatal(err)
	}
	return f
}

func (f *counterFixture) exec(query string, args ...any) error {
	_, err := f.st.DB.ExecContext(context.Background(), query, args...)
	return err
}

func TestChangeCounterIsBumpedExactlyByChangesToCachedAnswers(t *testing.T) {
	ctx := context.Background()
	later := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		change func(f *counterFixture) error
		bumps  bool
	}{
		{"credential status", func(f *counterFixture) error {
			_, err := f.st.ApplyTransitions(ctx, []lifecycle.CredentialWrite{{CredentialID: f.cred.ID, From: []lifecycle.Status{"activated"},
				To: "pending_deactivation", At: later, Actor: "test", Action: "deactivate"}})
			return err
		}, true},
		{"credential delete", func(f *counterFixture) error {
			return f.exec(`DELETE FROM credentials WHERE id = $1`, f.cred.ID)
		}, true},
		{"credential insert", func(f *counterFixture) error {
			newCredential(t, f.st, f.globex.ID, later)
			return nil
		}, true},
		{"tenant public_api", func(f *counterFixture) error { return f.st.SetPublicAPI(ctx, "acme", false) }, true},
		{"tenant current_credential_id", func(f *counterFixture) error {
			return f.exec(`UPDATE tenants SET current_credential_id = NULL WHERE id = $1`, f.acme.ID)
		}, true},
		{"tenant delete", func(f *counterFixture) error { return f.exec(`DELETE FROM tenants WHERE id = $1`, f.globex.ID) }, true},
		{"user delete", func(f *counterFixture) error { return f.exec(`DELETE FROM users WHERE id = $1`, f.user.ID) }, true},
		{"user is_admin", func(f *counterFixture) error { return f.exec(`UPDATE users SET is_admin = 0 WHERE id = $1`, f.user.ID) }, true},
		{"user tenant_id", func(f *counterFixture) error {
			return f.exec(`UPDATE users SET tenant_id = $1 WHERE id = $2`, f.globex.ID, f.user.ID)
		}, true},
		{"user password_hash", func(f *counterFixture) error {
			return f.exec(`UPDATE users SET password_hash = 'new' WHERE id = $1`, f.user.ID)
		}, true},
		{"session delete", func(f *counterFixture) error { return f.st.DeleteSession(ctx, f.session) }, true},
		{"expired sessions deleted", func(f *counterFixture) error {
			_, err := f.st.DeleteExpiredSessions(ctx, later, later)
			return err
		}, true},
		{"plan import", func(f *counterFixture) error {
			_, err := f.st.ImportPlan(ctx, f.acme.ID, "second", later, genRows(2))
			return err
		}, true},
		{"plan delete", func(f *counterFixture) error { return f.exec(`DELETE FROM plans WHERE id = $1`, f.plan.ID) }, true},
		{"tenant max_credential_lifetime", func(f *counterFixture) error {
			return f.st.SetMaxCredentialLifetime(ctx, "acme", 90*lifecycle.Day)
		}, true},
		{"tenant allowed_ips", func(f *counterFixture) error {
			_, err := f.st.SetAllowedIPs(ctx, "203.0.113.0/24", lifecycle.AuditEntry{At: later, TenantID: f.acme.ID, Actor: "test", Action: lifecycle.AuditAllowedAddresses})
			return err
		}, true},

		{"credential last_used_at", func(f *counterFixture) error {
			_, err := f.st.RecordUse(ctx, lifecycle.CredentialUse{CredentialID: f.cred.ID, At: later}, time.Minute)
			return err
		}, false},
		{"session last_seen_at", func(f *counterFixture) error { return f.st.TouchSession(ctx, f.session, later) }, false},
		{"token key added", func(f *counterFixture) error {
			_, err := f.st.AddTokenKey(ctx, lifecycle.TokenKey{Secret: tokenHash("key"), SignsFrom: later})
			return err
		}, false},
		{"credential use", func(f *counterFixture) error {
			_, err := f.st.RecordUse(ctx, lifecycle.CredentialUse{CredentialID: f.cred.ID, Addr: netip.MustParseAddr("203.0.113.9"), At: later}, time.Minute)
			return err
		}, false},
		{"session insert", func(f *counterFixture) error {
			return f.st.CreateSession(ctx, lifecycle.Session{IDHash: tokenHash("another"), UserID: f.user.ID, CreatedAt: later, LastSeenAt: later}, "hash")
		}, false},
		{"expired sessions deleted, none expired", func(f *counterFixture) error {
			_, err := f.st.DeleteExpiredSessions(ctx, f.now.Add(-time.Hour), f.now.Add(-time.Hour))
			return err
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newCounterFixture(t)
			before, err := f.st.ChangeCounter(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.change(f); err != nil {
				t.Fatal(err)
			}
			after, err := f.st.ChangeCounter(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := after != before, tt.bumps; got != want {
				t.Fatalf("counter %d -> %d: bumped=%v, want %v", before, after, got, want)
			}
		})
	}
}

func TestCachedLookupsSeeAChangeFromAnotherHandleAtTheNextCounter(t *testing.T) {
	ctx := context.Background()
	f := newCounterFixture(t)
	other, err := store.Open(ctx, dirOf(f.st))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	readAll := func() (lifecycle.TokenGrant, []lifecycle.Plan, lifecycle.Plan, lifecycle.User, lifecycle.Credential) {
		t.Helper()
		cur, err := f.st.CurrentCredential(ctx, f.acme.ID)
		if err != nil {
			t.Fatal(err)
		}
		g, err := f.st.TokenGrant(ctx, f.cred.ID)
		if err != nil {
			t.Fatal(err)
		}
		plans, err := f.st.Plans(ctx, f.acme.ID)
		if err != nil {
			t.Fatal(err)
		}
		plan, err := f.st.TenantPlan(ctx, f.acme.ID, f.plan.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, u, _, err := f.st.SessionAccount(ctx, f.session, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		return g, plans, plan, u, cur
	}
	readAll() // fills the cache
	if err := other.SetPublicAPI(ctx, "acme", false); err != nil {
		t.Fatal(err)
	}
	if _, err := other.ImportPlan(ctx, f.acme.ID, "second", f.now, genRows(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := other.SetAllowedIPs(ctx, "203.0.113.0/24", lifecycle.AuditEntry{At: f.now, TenantID: f.acme.ID, Actor: "test", Action: lifecycle.AuditAllowedAddresses}); err != nil {
		t.Fatal(err)
	}
	if _, err := other.DB.ExecContext(ctx, `UPDATE users SET is_admin = 0`); err != nil {
		t.Fatal(err)
	}
	if _, err := other.DB.ExecContext(ctx, `UPDATE plans SET name = 'renamed' WHERE id = $1`, f.plan.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := other.ApplyTransitions(ctx, []lifecycle.CredentialWrite{{CredentialID: f.cred.ID,
		From: []lifecycle.Status{lifecycle.Activated}, To: lifecycle.PendingDeactivation, At: f.now, Actor: "test",
		Action: lifecycle.AuditDeactivate}}); err != nil {
		t.Fatal(err)
	}
	g, plans, plan, u, cur := readAll()
	if plan.Name != "renamed" {
		t.Errorf("plan name %q after another handle renamed it", plan.Name)
	}
	if cur.Status != lifecycle.PendingDeactivation {
		t.Errorf("current credential status %s after another handle deactivated it", cur.Status)
	}
	if g.PublicAPI {
		t.Errorf("PublicAPI = true after the feature was turned off")
	}
	if g.AllowedIPs.String() != "203.0.113.0/24" {
		t.Errorf("AllowedIPs = %q after another handle set them", g.AllowedIPs)
	}
	if got, want := len(plans), 2; got != want {
		t.Errorf("len(plans) = %d, want %d", got, want)
	}
	if u.IsAdmin {
		t.Errorf("IsAdmin = true after it was taken away")
	}
}

// setCounter sets the change counter to n, as if no change had been made
// since it was n: what the cache answers then shows whether it was used.
func (f *counterFixture) setCounter(tb testing.TB, n int64) {
	tb.Helper()
	if err := f.exec(`UPDATE change_counter SET value = $1 WHERE id = 1`, n); err != nil {
		tb.Fatal(err)
	}
}

func TestCachedTokenGrantIsReusedOnlyAtTheCounterItWasReadAt(t *testing.T) {
	ctx := context.Background()
	f := newCounterFixture(t)
	grant := func() lifecycle.TokenGrant {
		t.Helper()
		g, err := f.st.TokenGrant(ctx, f.cred.ID)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	n, err := f.st.ChangeCounter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	grant()
	if err := f.st.SetPublicAPI(ctx, "acme", false); err != nil {
		t.Fatal(err)
	}
	f.setCounter(t, n)
	if !grant().PublicAPI {
		t.Fatalf("PublicAPI = false at the old counter: the cached grant was not used")
	}
	f.setCounter(t, n+1)
	if grant().PublicAPI {
		t.Fatalf("PublicAPI = true at the new counter %d (old %d)", n+1, n)
	}
}

// The plan an API request asks for is answered from memory at the counter
// it was read at, and read again at the next.
func TestCachedTenantPlanIsReusedOnlyAtTheCounterItWasReadAt(t *testing.T) {
	ctx := context.Background()
	f := newCounterFixture(t)
	name := func() string {
		t.Helper()
		p, err := f.st.TenantPlan(ctx, f.acme.ID, f.plan.ID)
		if err != nil {
			t.Fatal(err)
		}
		return p.Name
	}
	n, err := f.st.ChangeCounter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	name()
	if err := f.exec(`UPDATE plans SET name = 'renamed' WHERE id = $1`, f.plan.ID); err != nil {
		t.Fatal(err)
	}
	f.setCounter(t, n)
	if got := name(); got != "plan" {
		t.Fatalf("name %q at the old counter: the cached plan was not used", got)
	}
	f.setCounter(t, n+1)
	if got := name(); got != "renamed" {
		t.Fatalf("name %q at the new counter %d (old %d)", got, n+1, n)
	}
	// Another tenant's plan is not found, cached or not.
	if _, err := f.st.TenantPlan(ctx, f.globex.ID, f.plan.ID); !errors.Is(err, lifecycle.ErrNotFound) {
		t.Fatalf("globex asking for acme's plan: %v, want ErrNotFound", err)
	}
}

func dirOf(st *store.Store) string { return filepath.Dir(st.Path()) }

// The window's Last used, read through the cache, is the time this store
// wrote: a touch that writes shows at once, one that writes nothing (a use
// within the period) leaves the written time.
func TestCachedCurrentCredentialShowsTheLastUseWritten(t *testing.T) {
	ctx := context.Background()
	f := newCounterFixture(t)
	current := func() lifecycle.Credential {
		t.Helper()
		c, err := f.st.CurrentCredential(ctx, f.acme.ID)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	current() // fills the cache
	used := f.now.Add(time.Hour)
	if wrote, err := f.st.RecordUse(ctx, lifecycle.CredentialUse{CredentialID: f.cred.ID, At: used}, time.Minute); err != nil || !wrote {
		t.Fatalf("touch: wrote %v, %v", wrote, err)
	}
	if got := current().LastUsedAt; !got.Equal(used) {
		t.Fatalf("Last used %v after a touch at %v", got, used)
	}
	if wrote, err := f.st.RecordUse(ctx, lifecycle.CredentialUse{CredentialID: f.cred.ID, At: used.Add(time.Second)}, time.Minute); err != nil || wrote {
		t.Fatalf("second touch within the period: wrote %v, %v", wrote, err)
	}
	if got := current().LastUsedAt; !got.Equal(used) {
		t.Fatalf("Last used %v, want the written %v", got, used)
	}
	db, err := f.st.CredentialByID(ctx, f.cred.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !db.LastUsedAt.Equal(used) {
		t.Fatalf("database holds %v, want %v", db.LastUsedAt, used)
	}
}

// The change counter is read without watching the context, but a request
// whose context has ended gets its error, not the counter.
func TestChangeCounterRefusesAnEndedContext(t *testing.T) {
	st := openSQLite(t) // PostgreSQL has no counter to read
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := st.ChangeCounter(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	if n, err := st.ChangeCounter(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("ChangeCounter after cancel = %d, %v; want context.Canceled", n, err)
	}
}

// A cached session keeps the last-seen time it was read with (another
// process's touch does not move the counter), unless the caller would take
// a copy that old for idle: then it is read from the database again.
func TestCachedSessionSeenBeforeSeenSinceIsReadAgain(t *testing.T) {
	ctx := context.Background()
	f := newCounterFixture(t)
	seen := func(since time.Time) time.Time {
		t.Helper()
		s, _, _, err := f.st.SessionAccount(ctx, f.session, since)
		if err != nil {
			t.Fatal(err)
		}
		return s.LastSeenAt
	}
	seen(time.Time{}) // fills the cache
	touched := f.now.Add(20 * time.Minute)
	if err := f.exec(`UPDATE sessions SET last_seen_at = $1`, touched.UnixNano()); err != nil {
		t.Fatal(err)
	}
	if got := seen(time.Time{}); !got.Equal(f.now) {
		t.Fatalf("last seen %v, want the cached %v", got, f.now)
	}
	if got := seen(f.now.Add(time.Minute)); !got.Equal(touched) {
		t.Fatalf("last seen %v with a copy too old to trust, want the database's %v", got, touched)
	}
}
