package lifecycle_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"esp/lifecycle"
)

const day = lifecycle.Day

// The choices at Generate under each kind of maximum: all four without
// one; with one, those shorter and the maximum itself, never "no
// expiry"; the default 1 year or the maximum, whichever is shorter.
func TestExpiryOptionsUnderTheTenantsMaximum(t *testing.T) {
	for _, tc := range []struct {
		name   string
		max    time.Duration
		values []string
		def    string
	}{
		{"no maximum", 0, []string{"30d", "90d", "1y", "never"}, "1y"},
		{"two years", 730 * day, []string{"30d", "90d", "1y", "max"}, "1y"},
		{"one year", 365 * day, []string{"30d", "90d", "1y"}, "1y"},
		{"90 days", 90 * day, []string{"30d", "90d"}, "90d"},
		{"60 days", 60 * day, []string{"30d", "max"}, "max"},
		{"30 days", 30 * day, []string{"30d"}, "30d"},
		{"20 seconds", 20 * time.Second, []string{"max"}, "max"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := lifecycle.ExpiryOptions(tc.max)
			var values, defs []string
			for _, o := range opts {
				values = append(values, o.Value)
				if o.Default {
					defs = append(defs, o.Value)
				}
				if tc.max > 0 && (o.Lifetime <= 0 || o.Lifetime > tc.max) {
					t.Errorf("option %+v outside the maximum %v", o, tc.max)
				}
			}
			if !slices.Equal(values, tc.values) || !slices.Equal(defs, []string{tc.def}) {
				t.Errorf("options %v default %v, want %v default %s", values, defs, tc.values, tc.def)
			}
			if last := opts[len(opts)-1]; tc.max > 0 && (last.Lifetime != tc.max || !strings.Contains(last.Label, "maximum")) {
				t.Errorf("last option %+v, want the maximum %v, labelled so", last, tc.max)
			}
		})
	}
}

// The server takes only the values offered: anything else is Invalid.
func TestExpiryLifetimeRefusesWhatIsNotOffered(t *testing.T) {
	for _, tc := range []struct {
		max   time.Duration
		value string
		want  time.Duration
		ok    bool
	}{
		{0, "", 365 * day, true},
		{0, "30d", 30 * day, true},
		{0, "never", 0, true},
		{90 * day, "", 90 * day, true},
		{90 * day, "1y", 0, false},
		{90 * day, "never", 0, false},
		{60 * day, "max", 60 * day, true},
		{0, "max", 0, false},
		{0, "7d", 0, false},
		{0, "30D", 0, false},
	} {
		got, err := lifecycle.ExpiryLifetime(tc.max, tc.value)
		if tc.ok != (err == nil) || got != tc.want {
			t.Errorf("ExpiryLifetime(%v, %q) = %v, %v; want %v, ok=%v", tc.max, tc.value, got, err, tc.want, tc.ok)
		}
		if err != nil && lifecycle.ErrorCode(err) != lifecycle.Invalid {
			t.Errorf("ExpiryLifetime(%v, %q): code %q, want invalid", tc.max, tc.value, lifecycle.ErrorCode(err))
		}
	}
}

// A maximum is days as 90d or a Go duration, positive.
func TestParseLifetime(t *testing.T) {
	for in, want := range map[string]time.Duration{"90d": 90 * day, "1d": day, "36h": 36 * time.Hour, "20s": 20 * time.Second} {
		if got, err := lifecycle.ParseLifetime(in); err != nil || got != want {
			t.Errorf("ParseLifetime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0d", "-3d", "0s", "-1h", "d", "90 d", "ninety", "1.5d", "99999999999999d"} {
		if got, err := lifecycle.ParseLifetime(in); err == nil {
			t.Errorf("ParseLifetime(%q) = %v, want an error", in, got)
		}
	}
}

// expiryFixture is a tenant with the public API on, an admin with an
// address and notices on, whose credentials expire as chosen.
type expiryFixture struct {
	*fixture
	tokens *lifecycle.Tokens
}

func newExpiryFixture(t *testing.T, act lifecycle.Activator) *expiryFixture {
	t.Helper()
	ctx := context.Background()
	f := &expiryFixture{fixture: newFixture(t, act, lifecycle.Config{})}
	f.store.NotifyOn(lifecycle.NoticeEvents())
	if err := f.accounts.SetPublicAPI(ctx, "acme", true); err != nil {
		t.Fatal(err)
	}
	if _, err := f.accounts.CreateUser(ctx, lifecycle.NewUser{Tenant: "acme", Username: "alice", Password: "password-alice",
		Admin: true, Email: "alice@acme.test"}); err != nil {
		t.Fatal(err)
	}
	f.tokens = lifecycle.NewTokens(f.store, f.clock.Now, time.Hour)
	return f
}

// generateFor generates credentials that live as the form's choice says.
func (f *expiryFixture) generateFor(t *testing.T, expiry string) lifecycle.NewKeys {
	t.Helper()
	k, err := f.svc.GenerateOnce(context.Background(), f.tenant.ID, "user:alice", "req-"+lifecycle.NewAccessKey(), expiry)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// auditCount counts the tenant's audit rows of event, and the notices
// queued for them.
func (f *expiryFixture) auditCount(t *testing.T, event lifecycle.AuditEvent) (rows, notices int) {
	t.Helper()
	err := f.store.DB.QueryRow(`SELECT count(*), (SELECT count(*) FROM outbox o JOIN audit b ON b.id = o.audit_id
		WHERE b.action = $1) FROM audit WHERE action = $1`, string(event)).Scan(&rows, &notices)
	if err != nil {
		t.Fatal(err)
	}
	return rows, notices
}

// Generate keeps the chosen lifetime, to the second, and refuses a choice
// the tenant's maximum does not offer with nothing generated.
func TestGenerateTakesTheChosenExpiryWithinTheMaximum(t *testing.T) {
	f := newExpiryFixture(t, nil)
	ctx := context.Background()
	k := f.generateFor(t, "30d")
	if want := f.clock.Now().Add(30 * day); !k.Credential.ExpiresAt.Equal(want) {
		t.Fatalf("expires %v, want %v", k.Credential.ExpiresAt, want)
	}
	if cur, _ := f.svc.Current(ctx, f.tenant.ID); !cur.Credential.ExpiresAt.Equal(k.Credential.ExpiresAt) {
		t.Fatalf("stored expiry %v, want %v", cur.Credential.ExpiresAt, k.Credential.ExpiresAt)
	}
	f.tick(t)
	f.deactivate(t)
	f.tick(t)
	if err := f.accounts.SetMaxCredentialLifetime(ctx, "acme", 90*day); err != nil {
		t.Fatal(err)
	}
	for _, refused := range []string{"never", "1y", "bogus"} {
		_, err := f.svc.GenerateOnce(ctx, f.tenant.ID, "user:alice", "req-"+refused, refused)
		if lifecycle.ErrorCode(err) != lifecycle.Invalid {
			t.Errorf("expiry %q under a 90-day maximum: %v, want invalid", refused, err)
		}
	}
	if got := f.status(t); got != lifecycle.Deactivated {
		t.Fatalf("after the refusals the status is %s: something was generated", got)
	}
	if k := f.generate(t); !k.Credential.ExpiresAt.Equal(f.clock.Now().Add(90 * day)) {
		t.Fatalf("the default under a 90-day maximum expires %v, want in 90 days", k.Credential.ExpiresAt)
	}
}

// A maximum set later does not shorten credentials already generated.
func TestALaterMaximumLeavesLiveCredentialsAsTheyAre(t *testing.T) {
	f := newExpiryFixture(t, nil)
	k := f.generateFor(t, "never")
	f.tick(t)
	if err := f.accounts.SetMaxCredentialLifetime(context.Background(), "acme", 20*time.Second); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(400 * day)
	f.tick(t)
	if _, err := f.tokens.Exchange(context.Background(), k.AccessKey, k.SecretKey, lifecycle.Caller{}); err != nil {
		t.Fatalf("credentials without expiry refused after a maximum was set: %v", err)
	}
}

// Fail closed at the instant: one nanosecond before its expiry the
// credential exchanges and its token authenticates; at the instant both
// are refused, though the scheduler has not run. A token never outlives
// the expiry, and both carry it.
func TestExpiredCredentialsAreRefusedAtTheInstant(t *testing.T) {
	f := newExpiryFixture(t, nil)
	ctx := context.Background()
	if err := f.accounts.SetMaxCredentialLifetime(ctx, "acme", 90*time.Minute); err != nil {
		t.Fatal(err)
	}
	k := f.generateFor(t, "")
	f.tick(t)
	expires := k.Credential.ExpiresAt
	f.clock.Add(expires.Sub(f.clock.Now()) - time.Minute)
	issued, err := f.tokens.Exchange(ctx, k.AccessKey, k.SecretKey, lifecycle.Caller{})
	if err != nil {
		t.Fatal(err)
	}
	if issued.ExpiresIn != time.Minute || !issued.CredentialExpires.Equal(expires) {
		t.Fatalf("token lives %v, credential expires %v; want a minute (cut from an hour), %v", issued.ExpiresIn, issued.CredentialExpires, expires)
	}
	f.clock.Add(time.Minute - time.Nanosecond)
	b, err := f.tokens.Authenticate(ctx, issued.Token, lifecycle.Caller{})
	if err != nil || !b.CredentialExpires.Equal(expires) {
		t.Fatalf("a nanosecond before: %+v, %v", b, err)
	}
	if _, err := f.tokens.Exchange(ctx, k.AccessKey, k.SecretKey, lifecycle.Caller{}); err != nil {
		t.Fatalf("exchange a nanosecond before: %v", err)
	}
	f.clock.Add(time.Nanosecond)
	if _, err := f.tokens.Authenticate(ctx, issued.Token, lifecycle.Caller{}); lifecycle.ErrorCode(err) != lifecycle.Unauthorized ||
		!strings.Contains(lifecycle.ErrorMessage(err), "expired at") {
		t.Fatalf("token at the instant: %v, want refused as expired", err)
	}
	if _, err := f.tokens.Exchange(ctx, k.AccessKey, k.SecretKey, lifecycle.Caller{}); lifecycle.ErrorCode(err) != lifecycle.Unauthorized ||
		!strings.Contains(lifecycle.ErrorMessage(err), "expired at") {
		t.Fatalf("exchange at the instant: %v, want refused as expired", err)
	}
	if got := f.status(t); got != lifecycle.Activated {
		t.Fatalf("status %s: the scheduler was not to run yet", got)
	}
}

// At its expiry the scheduler deactivates the credential through the
// activator: "Expired" (ESP), then "Deactivation requested" and
// "Deactivated", once however often it ticks, with a message each.
func TestTheSchedulerDeactivatesAnExpiredCredentialOnce(t *testing.T) {
	f := newExpiryFixture(t, nil)
	ctx := context.Background()
	k := f.generateFor(t, "30d")
	f.tick(t)
	f.clock.Add(30*day - time.Nanosecond)
	if r := f.tick(t); r.Expired != 0 || f.status(t) != lifecycle.Activated {
		t.Fatalf("a nanosecond before its expiry: %+v, status %s", r, f.status(t))
	}
	f.clock.Add(time.Nanosecond)
	if r := f.tick(t); r.Expired != 1 || r.Deactivated != 1 {
		t.Fatalf("tick at the expiry %+v, want it expired and deactivated", r)
	}
	other := lifecycle.NewScheduler(f.store, lifecycle.LocalActivator{}, lifecycle.Config{}, nil, f.clock.Now)
	if r, err := other.Tick(ctx, f.clock.Now()); err != nil || r.Expired != 0 {
		t.Fatalf("a second scheduler: %+v, %v", r, err)
	}
	h, err := f.svc.History(ctx, f.tenant.ID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range h[:3] {
		got = append(got, e.Event+" by "+e.Actor)
	}
	if want := []string{"Deactivated by ESP", "Deactivation requested by ESP", "Expired by ESP"}; !slices.Equal(got, want) {
		t.Fatalf("history %v, want %v (newest first)", got, want)
	}
	for _, e := range []lifecycle.AuditEvent{lifecycle.AuditExpire, lifecycle.AuditDeactivate} {
		if rows, notices := f.auditCount(t, e); rows != 1 || notices != 1 {
			t.Errorf("%s: %d audit rows, %d notices; want 1 and 1", e, rows, notices)
		}
	}
	if _, err := f.tokens.Exchange(ctx, k.AccessKey, k.SecretKey, lifecycle.Caller{}); err == nil {
		t.Fatal("expired credentials still exchange")
	}
}

// A gateway that fails for good leaves the expired credential Deactivation
// Failed, its history saying why.
func TestAnExpiryTheGatewayRefusesEndsDeactivationFailed(t *testing.T) {
	f := newExpiryFixture(t, nil)
	f.generateFor(t, "30d")
	f.tick(t)
	f.wire(failingActivator{permanent: true}, lifecycle.Config{})
	f.clock.Add(30 * day)
	if r := f.tick(t); r.Expired != 1 || r.Failed != 1 {
		t.Fatalf("tick %+v, want expired and failed", r)
	}
	if got := f.status(t); got != lifecycle.DeactivationFailed {
		t.Fatalf("status %s, want Deactivation Failed", got)
	}
	if rows, _ := f.auditCount(t, lifecycle.AuditExpire); rows != 1 {
		t.Fatalf("%d Expired rows, want 1", rows)
	}
}

// Reminders go 30, 7 and 1 days before, each once however often the
// scheduler ticks and across a restart (a new scheduler and store on the
// same database); a credential generated for 30 days gets those of 7 and
// 1 only.
func TestExpiryRemindersGoOnceEachAcrossARestart(t *testing.T) {
	for _, tc := range []struct {
		expiry string
		life   time.Duration
		want   []lifecycle.AuditEvent
	}{
		{"90d", 90 * day, []lifecycle.AuditEvent{lifecycle.AuditRemindExpiry30, lifecycle.AuditRemindExpiry7, lifecycle.AuditRemindExpiry1}},
		{"30d", 30 * day, []lifecycle.AuditEvent{lifecycle.AuditRemindExpiry7, lifecycle.AuditRemindExpiry1}},
	} {
		t.Run(tc.expiry, func(t *testing.T) {
			f := newExpiryFixture(t, nil)
			k := f.generateFor(t, tc.expiry)
			f.tick(t)
			expires := k.Credential.ExpiresAt
			var sent []lifecycle.AuditEvent
			for _, before := range []time.Duration{31 * day, 30 * day, 29 * day, 8 * day, 7 * day, 6 * day, day, day / 2, time.Second} {
				if f.clock.Now().After(expires.Add(-before)) {
					continue
				}
				f.clock.Add(expires.Add(-before).Sub(f.clock.Now()))
				for range 2 {
					f.tick(t)
				}
				if before == 7*day { // a restart: a new store and scheduler on the same database
					f.store = f.db.Open(t)
					f.store.NotifyOn(lifecycle.NoticeEvents())
					f.wire(nil, lifecycle.Config{})
				}
			}
			for _, e := range []lifecycle.AuditEvent{lifecycle.AuditRemindExpiry30, lifecycle.AuditRemindExpiry7, lifecycle.AuditRemindExpiry1} {
				rows, notices := f.auditCount(t, e)
				if rows > 1 || notices != rows {
					t.Errorf("%s: %d audit rows, %d notices; want at most one of each", e, rows, notices)
				}
				if rows == 1 {
					sent = append(sent, e)
				}
			}
			if !slices.Equal(sent, tc.want) {
				t.Fatalf("reminders %v, want %v", sent, tc.want)
			}
		})
	}
}

// A reminder the scheduler missed (it was stopped) gives way to the next
// one due: after a stop from 31 days to 2 days before, the 7-day reminder
// goes, then the 1-day one, and never the 30-day one.
func TestAMissedReminderGivesWayToTheNextOne(t *testing.T) {
	f := newExpiryFixture(t, nil)
	k := f.generateFor(t, "90d")
	f.tick(t)
	f.clock.Add(k.Credential.ExpiresAt.Add(-2 * day).Sub(f.clock.Now()))
	if r := f.tick(t); r.Reminded != 1 {
		t.Fatalf("tick %+v, want one reminder", r)
	}
	f.clock.Add(day + time.Hour)
	f.tick(t)
	for e, want := range map[lifecycle.AuditEvent]int{lifecycle.AuditRemindExpiry30: 0, lifecycle.AuditRemindExpiry7: 1, lifecycle.AuditRemindExpiry1: 1} {
		if rows, _ := f.auditCount(t, e); rows != want {
			t.Errorf("%s: %d rows, want %d", e, rows, want)
		}
	}
}

// Credentials deactivated before their expiry get no reminder and no
// expiry.
func TestDeactivatedCredentialsGetNoReminderNorExpiry(t *testing.T) {
	f := newExpiryFixture(t, nil)
	f.generateFor(t, "30d")
	f.tick(t)
	f.deactivate(t)
	f.tick(t)
	f.clock.Add(29 * day)
	f.tick(t)
	f.clock.Add(2 * day)
	if r := f.tick(t); r.Reminded+r.Expired != 0 {
		t.Fatalf("tick %+v on a deactivated credential", r)
	}
	for _, e := range []lifecycle.AuditEvent{lifecycle.AuditRemindExpiry7, lifecycle.AuditRemindExpiry1, lifecycle.AuditExpire} {
		if rows, _ := f.auditCount(t, e); rows != 0 {
			t.Errorf("%s: %d rows, want none", e, rows)
		}
	}
}

// Many schedulers (replicas, on PostgreSQL each with its own store)
// ticking at once send each reminder and write each expiry once.
func TestManySchedulersRemindAndExpireOnce(t *testing.T) {
	f := newExpiryFixture(t, nil)
	k := f.generateFor(t, "90d")
	f.tick(t)
	const n = 50
	scheds := make([]*lifecycle.Scheduler, n)
	for i := range scheds {
		st := f.store
		if i%10 == 0 {
			st = f.db.Open(t)
			st.NotifyOn(lifecycle.NoticeEvents())
		}
		scheds[i] = lifecycle.NewScheduler(st, lifecycle.LocalActivator{}, lifecycle.Config{}, nil, f.clock.Now)
	}
	for _, at := range []time.Time{k.Credential.ExpiresAt.Add(-30 * day), k.Credential.ExpiresAt} {
		f.clock.Add(at.Sub(f.clock.Now()))
		errs := make(chan error, n)
		for _, s := range scheds {
			go func() { _, err := s.Tick(context.Background(), at); errs <- err }()
		}
		for range n {
			if err := <-errs; err != nil && !errors.Is(err, context.Canceled) {
				t.Fatal(err)
			}
		}
	}
	for _, e := range []lifecycle.AuditEvent{lifecycle.AuditRemindExpiry30, lifecycle.AuditExpire, lifecycle.AuditDeactivate} {
		if rows, notices := f.auditCount(t, e); rows != 1 || notices != 1 {
			t.Errorf("%s: %d audit rows, %d notices; want 1 and 1", e, rows, notices)
		}
	}
}
