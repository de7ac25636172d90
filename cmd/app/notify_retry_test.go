package app_test

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"esp/cmd/app"
	"esp/lifecycle"
	"esp/lifecycle/mail/mailtest"
	"esp/store/storetest"
)

var messageIDRE = regexp.MustCompile(`(?m)^Message-Id: (<esp-audit-\d+-to-\d+@esp\.example>)$`)

// messageIDs counts the messages srv received by Message-ID.
func messageIDs(t *testing.T, srv *mailtest.Server) map[string]int {
	t.Helper()
	ids := map[string]int{}
	for _, r := range srv.Received() {
		m := messageIDRE.FindStringSubmatch(mailtest.Decode(t, r.Data))
		if m == nil {
			t.Fatalf("message without an ESP Message-ID:\n%s", r.Data)
		}
		ids[m[1]]++
	}
	return ids
}

// noticeCount is the esp_notices_total series of outcome.
func noticeCount(t *testing.T, a *app.App, outcome string) float64 {
	t.Helper()
	mfs, err := a.Metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "esp_notices_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label(m, "outcome") == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no esp_notices_total{outcome=%q}", outcome)
	return 0
}

// metricValue is the value of the gauge name (without labels).
func metricValue(t *testing.T, a *app.App, name string) float64 {
	t.Helper()
	mfs, err := a.Metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no gauge %s", name)
	return 0
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// While the mail server answers 421 the notices wait, retried with a
// backoff that starts at a minute; once it accepts, every notice arrives,
// none twice.
func TestNoticesArriveOnceAfterTheServerRefusedForAWhile(t *testing.T) {
	st := storetest.Open(t)
	srv := mailtest.Start(t, mailtest.Options{})
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	clk := &clock{t: t0}
	a := notifyApp(t, st, srv, clk, &switchable{}, nil)
	acme := tenantWithAdmins(t, st, "acme", t0)
	srv.Refuse(421)
	if _, err := a.Service.Generate(context.Background(), acme.ID, lifecycle.UserActor("alice-acme")); err != nil {
		t.Fatal(err)
	}
	if res := tick(t, a, clk, t0); res.NoticesRetried != 4 {
		t.Fatalf("first tick retried %d notices, want 4 (Generated, Activated × 2 admins)", res.NoticesRetried)
	}
	if res := tick(t, a, clk, t0.Add(59*time.Second)); res.NoticesRetried != 0 {
		t.Fatalf("%d notices tried again before their minute was up", res.NoticesRetried)
	}
	for i := 1; i <= 8; i++ {
		tick(t, a, clk, t0.Add(time.Duration(i)*time.Minute))
	}
	clk.set(t0.Add(10 * time.Minute))
	if age := metricValue(t, a, "esp_notice_oldest_unsent_age_seconds"); age != 600 {
		t.Fatalf("oldest unsent notice's age %v s, want 600 (queued at the event, 10 minutes ago)", age)
	}
	srv.Accept()
	if res := tick(t, a, clk, t0.Add(3*time.Hour)); res.NoticesSent != 4 {
		t.Fatalf("sent %d notices once the server accepted, want 4", res.NoticesSent)
	}
	tick(t, a, clk, t0.Add(6*time.Hour))
	ids := messageIDs(t, srv)
	if len(ids) != 4 {
		t.Fatalf("received %v, want 4 messages", ids)
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("%s received %d times", id, n)
		}
	}
	if age := metricValue(t, a, "esp_notice_oldest_unsent_age_seconds"); age != 0 {
		t.Errorf("oldest unsent notice's age %v s with none left, want 0", age)
	}
	if got := noticeCount(t, a, "sent"); got != 4 {
		t.Errorf("sent metric %v, want 4", got)
	}
	if got := noticeCount(t, a, "retried"); got < 8 {
		t.Errorf("retried metric %v, want every failed attempt", got)
	}
}

// A notice the server refuses for over 24 hours is given up: one log line
// each (with the address, never a key), the metric, nothing left to send.
// A 5xx refusal of the recipient gives up at once.
func TestNoticesAreGivenUpAfter24HoursOfRefusals(t *testing.T) {
	st := storetest.Open(t)
	srv := mailtest.Start(t, mailtest.Options{})
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	clk := &clock{t: t0}
	var log bytes.Buffer
	a := notifyApp(t, st, srv, clk, &switchable{}, &log)
	acme := tenantWithAdmins(t, st, "acme", t0)
	srv.Refuse(421)
	keys, err := a.Service.Generate(context.Background(), acme.ID, lifecycle.UserActor("alice-acme"))
	if err != nil {
		t.Fatal(err)
	}
	at := t0
	for ; at.Before(t0.Add(24*time.Hour - time.Minute)); at = at.Add(10 * time.Minute) {
		if res := tick(t, a, clk, at); res.NoticesGivenUp != 0 {
			t.Fatalf("a notice was given up %v after its event", at.Sub(t0))
		}
	}
	for ; at.Before(t0.Add(26 * time.Hour)); at = at.Add(10 * time.Minute) {
		tick(t, a, clk, at)
	}
	if got := noticeCount(t, a, "given_up"); got != 4 {
		t.Fatalf("given_up metric %v, want 4", got)
	}
	if oldest, err := st.OldestNotice(context.Background()); err != nil || !oldest.IsZero() {
		t.Fatalf("notices left in the outbox (oldest %v, %v)", oldest, err)
	}
	if n := strings.Count(log.String(), `msg="notice given up"`); n != 4 {
		t.Fatalf("%d give-up log lines, want 4:\n%s", n, log.String())
	}
	if !strings.Contains(log.String(), "to=alice@acme.test") ||
		strings.Contains(log.String(), keys.AccessKey) || strings.Contains(log.String(), keys.SecretKey) {
		t.Fatalf("the log should name the address and no key:\n%s", log.String())
	}
	srv.Accept()
	tick(t, a, clk, at.Add(time.Hour))
	if got := srv.Received(); len(got) != 0 {
		t.Fatalf("%d given-up notices were sent after all", len(got))
	}

	srv.Refuse(550)
	if _, err := a.Service.Deactivate(context.Background(), acme.ID, lifecycle.UserActor("carol-acme")); err != nil {
		t.Fatal(err)
	}
	if res := tick(t, a, clk, at.Add(2*time.Hour)); res.NoticesGivenUp != 4 || res.NoticesRetried != 0 {
		t.Fatalf("a 550 for the recipient: %+v, want the 4 notices given up at once", res)
	}
}

// Two servers on one database (replicas on PostgreSQL) ticking at the same
// moments send each notice once.
func TestTwoSchedulersSendEachNoticeOnce(t *testing.T) {
	stores := storetest.OpenShared(t, 2)
	srv := mailtest.Start(t, mailtest.Options{})
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	clk := &clock{t: t0}
	apps := []*app.App{notifyApp(t, stores[0], srv, clk, &switchable{}, nil), notifyApp(t, stores[1], srv, clk, &switchable{}, nil)}
	for i := range 8 {
		tn := tenantWithAdmins(t, stores[0], "t"+string(rune('a'+i)), t0)
		if _, err := apps[i%2].Service.Generate(context.Background(), tn.ID, lifecycle.UserActor("alice")); err != nil {
			t.Fatal(err)
		}
	}
	for _, at := range []time.Time{t0, t0.Add(time.Second), t0.Add(10 * time.Minute)} {
		clk.set(at)
		var wg sync.WaitGroup
		for _, a := range apps {
			wg.Go(func() {
				if _, err := a.Scheduler.Tick(context.Background(), at); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	mustSendEachOnce(t, srv, 32) // 8 tenants × (Generated, Activated) × 2 admins
}

// A server whose sends are slow stops sending its claimed batch while a
// send could still outlast the claim's lease: what is left is claimed again
// after the lease, so no other server can be sending it at the same time.
func TestSlowSendsStopBeforeTheLeaseRunsOut(t *testing.T) {
	st := storetest.Open(t)
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	clk := &clock{t: t0}
	// Each message takes the mail server 50 s: with the 2-minute lease,
	// two go out before less than a send's minute is left.
	srv := mailtest.Start(t, mailtest.Options{Accepted: func() { clk.set(clk.now().Add(50 * time.Second)) }})
	a := notifyApp(t, st, srv, clk, &switchable{}, nil)
	tn := tenantWithAdmins(t, st, "acme", t0)
	if _, err := a.Service.Generate(context.Background(), tn.ID, lifecycle.UserActor("alice")); err != nil {
		t.Fatal(err)
	}
	tick(t, a, clk, t0) // Generated and Activated, to two admins: four notices
	if n := len(srv.Received()); n != 2 {
		t.Fatalf("%d messages sent under one lease, want 2", n)
	}
	tick(t, a, clk, t0.Add(5*time.Minute))
	mustSendEachOnce(t, srv, 4)
}

// mustSendEachOnce checks that srv received want distinct messages, each
// once.
func mustSendEachOnce(t *testing.T, srv *mailtest.Server, want int) {
	t.Helper()
	ids := messageIDs(t, srv)
	if len(ids) != want {
		t.Fatalf("%d distinct messages, want %d", len(ids), want)
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("%s sent %d times", id, n)
		}
	}
}

// A notice the server keeps refusing is tried at its event and then after
// 1, 2, 4, … minutes, the delay doubling up to an hour: at 0, 1, 3, 7, 15,
// 31, 63 and 123 minutes (not 127).
func TestNoticeRetriesDoubleFromAMinuteToAnHour(t *testing.T) {
	st := storetest.Open(t)
	srv := mailtest.Start(t, mailtest.Options{})
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	clk := &clock{t: t0}
	a := notifyApp(t, st, srv, clk, &switchable{}, nil)
	acme := tenantWithAdmins(t, st, "acme", t0)
	srv.Refuse(421)
	if _, err := a.Service.Generate(context.Background(), acme.ID, lifecycle.UserActor("alice-acme")); err != nil {
		t.Fatal(err)
	}
	var tried []int
	for m := 0; m <= 125; m++ {
		if res := tick(t, a, clk, t0.Add(time.Duration(m)*time.Minute)); res.NoticesRetried > 0 {
			tried = append(tried, m)
		}
	}
	if got, want := fmt.Sprint(tried), "[0 1 3 7 15 31 63 123]"; got != want {
		t.Fatalf("attempts at minutes %s, want %s", got, want)
	}
}
