package app_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/lifecycle/mail/mailtest"
	"esp/store/storetest"
)

// A change of a tenant's allowed addresses tells each of its admins with
// an address once, naming the tenant, who changed the list and what it now
// allows; saving the same list again tells nobody.
func TestAllowedAddressesChangeNotifiesEachAdminOnce(t *testing.T) {
	st := storetest.Open(t)
	srv := mailtest.Start(t, mailtest.Options{})
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	clk := &clock{t: t0}
	a := notifyApp(t, st, srv, clk, &switchable{}, nil)
	acme := tenantWithAdmins(t, st, "acme", t0)
	tenantWithAdmins(t, st, "globex", t0)
	for range 2 {
		if _, err := a.Service.SetAllowedAddresses(context.Background(), acme.ID, lifecycle.UserActor("alice-acme"), "203.0.113.7/24\n2001:db8::/32"); err != nil {
			t.Fatal(err)
		}
	}
	tick(t, a, clk, t0.Add(time.Minute))
	tick(t, a, clk, t0.Add(time.Hour))
	var to []string
	for _, r := range srv.Received() {
		text := mailtest.Decode(t, r.Data)
		for _, want := range []string{"Subject: [ESP acme] API credentials: allowed addresses changed",
			"changed by alice-acme", "Now allowed: 203.0.113.0/24, 2001:db8::/32", "https://esp.example/api-credentials"} {
			if !strings.Contains(text, want) {
				t.Errorf("message to %v lacks %q:\n%s", r.To, want, text)
			}
		}
		to = append(to, r.To...)
	}
	slices.Sort(to)
	if strings.Join(to, " ") != "alice@acme.test carol@acme.test" {
		t.Errorf("recipients %v, want acme's two admins with an address, once each", to)
	}
}
