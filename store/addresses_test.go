package store_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"esp/lifecycle"
)

// A use is written at most once a period per credential and address: a
// second address is written beside the first, the credential's last use
// follows the newest write, and the recent uses list one row per address,
// newest first, with its client.
func TestRecordUseWritesAtMostOncePerPeriodAndAddress(t *testing.T) {
	st, acme, _ := openPlanStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	c := newCredential(t, st, acme.ID, now)
	a, b := netip.MustParseAddr("203.0.113.9"), netip.MustParseAddr("2001:db8::7")
	for _, step := range []struct {
		at     time.Duration
		addr   netip.Addr
		client string
		wrote  bool
	}{
		{0, a, "first/1", true},
		{time.Second, a, "second/1", false},
		{2 * time.Second, b, "curl/8", true},
		{59 * time.Second, a, "third/1", false},
		{60 * time.Second, a, "fourth/1", true},
		{61 * time.Second, b, "curl/9", false},
	} {
		wrote, err := st.RecordUse(ctx, lifecycle.CredentialUse{CredentialID: c.ID, Addr: step.addr, Client: step.client, At: now.Add(step.at)}, time.Minute)
		if err != nil || wrote != step.wrote {
			t.Fatalf("use from %s at +%v: wrote %v (%v), want %v", step.addr, step.at, wrote, err, step.wrote)
		}
	}
	got, err := st.CredentialByID(ctx, c.ID)
	if err != nil || !got.LastUsedAt.Equal(now.Add(time.Minute)) {
		t.Fatalf("last used %v (%v), want %v", got.LastUsedAt, err, now.Add(time.Minute))
	}
	uses, err := st.RecentUses(ctx, c.ID, 5)
	if err != nil {
		t.Fatal(err)
	}
	want := []lifecycle.CredentialUse{
		{CredentialID: c.ID, Addr: a, Client: "fourth/1", At: now.Add(time.Minute)},
		{CredentialID: c.ID, Addr: b, Client: "curl/8", At: now.Add(2 * time.Second)},
	}
	if len(uses) != len(want) {
		t.Fatalf("recent uses %+v, want %+v", uses, want)
	}
	for i := range want {
		if uses[i].Addr != want[i].Addr || uses[i].Client != want[i].Client || !uses[i].At.Equal(want[i].At) {
			t.Errorf("recent use %d: %+v, want %+v", i, uses[i], want[i])
		}
	}
}

// The recent uses are at most the limit asked for, the newest; an
// unknown address is kept as such; deleting the credential (the purge)
// deletes its uses.
func TestRecentUsesAreLimitedAndGoWithTheirCredential(t *testing.T) {
	st, acme, _ := openPlanStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	c := newCredential(t, st, acme.ID, now)
	for i := range 7 {
		addr := netip.AddrFrom4([4]byte{198, 51, 100, byte(i)})
		if i == 6 {
			addr = netip.Addr{}
		}
		if _, err := st.RecordUse(ctx, lifecycle.CredentialUse{CredentialID: c.ID, Addr: addr, At: now.Add(time.Duration(i) * time.Second)}, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	uses, err := st.RecentUses(ctx, c.ID, 5)
	if err != nil || len(uses) != 5 {
		t.Fatalf("%d uses (%v), want 5", len(uses), err)
	}
	if uses[0].Addr.IsValid() || uses[1].Addr != netip.MustParseAddr("198.51.100.5") || uses[4].Addr != netip.MustParseAddr("198.51.100.2") {
		t.Errorf("uses %+v: want the unknown address, then 198.51.100.5 down to .2", uses)
	}
	if _, err := st.DB.ExecContext(ctx, `UPDATE tenants SET current_credential_id = NULL`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.ExecContext(ctx, `DELETE FROM credentials WHERE id = $1`, c.ID); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := st.DB.QueryRowContext(ctx, `SELECT count(*) FROM credential_uses`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d uses left (%v) after their credential was deleted", n, err)
	}
}

// Setting a tenant's list stores it and writes the audit row only when
// the list changes; the token lookups read the list with the grant.
func TestSetAllowedIPsWritesOnlyChanges(t *testing.T) {
	st, acme, globex := openPlanStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	c := newCredential(t, st, acme.ID, now)
	e := lifecycle.AuditEntry{At: now, TenantID: acme.ID, Actor: "user:alice", Action: lifecycle.AuditAllowedAddresses, Detail: "203.0.113.0/24"}
	for i, want := range []bool{true, false} {
		changed, err := st.SetAllowedIPs(ctx, "203.0.113.0/24", e)
		if err != nil || changed != want {
			t.Fatalf("save %d: changed %v (%v), want %v", i+1, changed, err, want)
		}
	}
	rows, err := st.TenantAudit(ctx, acme.ID, 0, []lifecycle.AuditEvent{lifecycle.AuditAllowedAddresses}, 10)
	if err != nil || len(rows) != 1 || rows[0].Actor != "user:alice" || rows[0].Detail != "203.0.113.0/24" || rows[0].CredentialID != 0 {
		t.Fatalf("audit %+v (%v), want one row by alice", rows, err)
	}
	if got, err := st.AllowedIPs(ctx, acme.ID); err != nil || got != "203.0.113.0/24" {
		t.Fatalf("AllowedIPs = %q, %v", got, err)
	}
	if got, err := st.AllowedIPs(ctx, globex.ID); err != nil || got != "" {
		t.Fatalf("another tenant's list %q, %v; want none", got, err)
	}
	g, err := st.AccessKeyGrant(ctx, c.AccessKey)
	if err != nil || g.AllowedIPs.String() != "203.0.113.0/24" {
		t.Fatalf("access key grant's list %q, %v", g.AllowedIPs, err)
	}
}
