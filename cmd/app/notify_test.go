package app_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"esp/cmd/app"
	"esp/lifecycle"
	"esp/lifecycle/mail"
	"esp/lifecycle/mail/mailtest"
	"esp/store"
	"esp/store/storetest"
)

// clock is a test's time, moved by the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// switchable activates, or fails for good while failing is set.
type switchable struct{ failing atomic.Bool }

func (a *switchable) Apply(context.Context, lifecycle.Event) error {
	if a.failing.Load() {
		return fmt.Errorf("gateway says no: %w", lifecycle.ErrPermanent)
	}
	return nil
}
func (*switchable) Remote() bool { return false }

// notifyApp is an app over st sending through srv, on clk, logging to log.
func notifyApp(t *testing.T, st *store.Store, srv *mailtest.Server, clk *clock, act lifecycle.Activator, log *bytes.Buffer) *app.App {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	if log != nil {
		logger = slog.New(slog.NewTextHandler(log, nil))
	}
	a, err := app.New(st, app.Config{Activator: act,
		Mail: &mail.Config{SMTPURL: "smtp://" + srv.Addr, From: "esp@esp.example", PublicURL: "https://esp.example",
			Timeout: 5 * time.Second}}, logger, clk.now)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// tenantWithAdmins adds tenant name with admins alice-NAME and
// carol-NAME (with addresses), an admin without one and a non-admin with
// one.
func tenantWithAdmins(t *testing.T, st *store.Store, name string, now time.Time) lifecycle.Tenant {
	t.Helper()
	ctx := context.Background()
	tn, err := st.CreateTenant(ctx, name, true, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []lifecycle.User{
		{Username: "alice", IsAdmin: true, Email: "alice@" + name + ".test"},
		{Username: "carol", IsAdmin: true, Email: "carol@" + name + ".test"},
		{Username: "noaddress", IsAdmin: true},
		{Username: "bob", Email: "bob@" + name + ".test"},
	} {
		u.TenantID, u.PasswordHash, u.Username = tn.ID, "x", u.Username+"-"+name
		if _, err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	return tn
}

func tick(t *testing.T, a *app.App, clk *clock, at time.Time) lifecycle.TickResult {
	t.Helper()
	clk.set(at)
	res, err := a.Scheduler.Tick(context.Background(), at)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

var subjectRE = regexp.MustCompile(`(?m)^Subject: \[ESP (\w+)\] API credentials ••••(\w{4}) (.+)$`)

// Each credential event of a tenant sends one message to each of its
// admins with an address, and none to anyone else; no message holds more
// of a key than its last 4.
func TestEachCredentialEventNotifiesEachAdminWithAnAddressOnce(t *testing.T) {
	st := storetest.Open(t)
	srv := mailtest.Start(t, mailtest.Options{})
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	clk := &clock{t: t0}
	act := &switchable{}
	a := notifyApp(t, st, srv, clk, act, nil)
	acme := tenantWithAdmins(t, st, "acme", t0)
	globex := tenantWithAdmins(t, st, "globex", t0)
	keys := everyEvent(t, a, clk, act, acme.ID, globex.ID)

	want := []string{"generated", "activated", "deactivation requested", "deactivated", "generated",
		"activation failed", "generated", "activated", "deactivation requested", "deactivation failed"}
	got := eventsByRecipient(t, srv, keys)
	for _, to := range []string{"alice@acme.test", "carol@acme.test"} {
		if strings.Join(got[to], ", ") != strings.Join(want, ", ") {
			t.Errorf("%s got %q,\nwant %q", to, got[to], want)
		}
	}
	for _, to := range []string{"alice@globex.test", "carol@globex.test"} {
		wantGlobex := "generated, activated, reported leaked, deactivation requested, deactivated"
		if strings.Join(got[to], ", ") != wantGlobex {
			t.Errorf("%s got %q,\nwant %q", to, got[to], wantGlobex)
		}
	}
	if len(got) != 4 {
		t.Errorf("recipients %v, want the two admins with an address of each tenant only", got)
	}
	if res := tick(t, a, clk, clk.now().Add(time.Hour)); res.NoticesSent != 0 {
		t.Errorf("%d notices sent again later", res.NoticesSent)
	}
}

// everyEvent makes acme's credentials go through every notified event
// but a leak report, a minute a step, then generates globex's and reports
// its secret leaked; it answers the keys it was shown.
func everyEvent(t *testing.T, a *app.App, clk *clock, act *switchable, acme, globex int64) (keys []string) {
	t.Helper()
	ctx := context.Background()
	generate := func(tenantID int64) {
		k, err := a.Service.Generate(ctx, tenantID, lifecycle.UserActor("alice"))
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.AccessKey, k.SecretKey)
	}
	deactivate := func() {
		if _, err := a.Service.Deactivate(ctx, acme, lifecycle.UserActor("carol-acme")); err != nil {
			t.Fatal(err)
		}
	}
	step := func() { tick(t, a, clk, clk.now().Add(time.Minute)) }
	generate(acme) // Generated, Activated, Deactivation requested, Deactivated
	step()
	deactivate()
	step()
	act.failing.Store(true)
	generate(acme) // Generated, Activation Failed
	step()
	act.failing.Store(false)
	generate(acme) // Generated, Activated, Deactivation requested, Deactivation Failed
	step()
	act.failing.Store(true)
	deactivate()
	step()
	act.failing.Store(false)
	generate(globex) // another tenant's events go to its own admins only
	step()
	// A leak report of globex's secret: Reported leaked, Deactivation
	// requested, then Deactivated.
	if ours, err := a.Leaks.Report(ctx, keys[len(keys)-1], "https://github.com/globex/app/blob/main/.env"); err != nil || !ours {
		t.Fatalf("leak report: ours %v, %v", ours, err)
	}
	step()
	return keys
}

// eventsByRecipient lists the events of the messages srv received, by
// recipient, failing the test if a message holds one of keys whole or
// two share a Message-ID.
func eventsByRecipient(t *testing.T, srv *mailtest.Server, keys []string) map[string][]string {
	t.Helper()
	got := map[string][]string{}
	ids := map[string]bool{}
	for _, r := range srv.Received() {
		text := mailtest.Decode(t, r.Data)
		for _, k := range keys {
			if strings.Contains(string(r.Data), k) || strings.Contains(text, k) {
				t.Fatalf("a message to %v holds a full key", r.To)
			}
		}
		id := messageIDRE.FindStringSubmatch(text)
		if id == nil || ids[id[1]] {
			t.Fatalf("message without a Message-ID or sent twice: %v", id)
		}
		ids[id[1]] = true
		event := "(no subject)"
		if m := subjectRE.FindStringSubmatch(text); m != nil {
			event = m[3]
			for _, to := range r.To {
				if !strings.HasSuffix(to, "@"+m[1]+".test") {
					t.Errorf("%s got a message of tenant %s", to, m[1])
				}
			}
		}
		for _, to := range r.To {
			got[to] = append(got[to], event)
		}
	}
	return got
}
