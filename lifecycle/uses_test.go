package lifecycle_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"esp/lifecycle"
)

// useCountingStore counts the uses written through it.
type useCountingStore struct {
	lifecycle.TokenStore
	writes atomic.Int32
}

func (c *useCountingStore) RecordUse(ctx context.Context, u lifecycle.CredentialUse, every time.Duration) (bool, error) {
	c.writes.Add(1)
	return c.TokenStore.RecordUse(ctx, u, every)
}

// A busy client costs the database one use write a minute per address:
// further requests from that address within the minute send none, a new
// address sends its own, and a minute later each is written again.
func TestUsesAreWrittenOnceAMinutePerAddress(t *testing.T) {
	f := newHousekeepingFixture(t, lifecycle.Config{})
	ctx := context.Background()
	st := &useCountingStore{TokenStore: f.store}
	tokens := lifecycle.NewTokens(st, f.clock.Now, time.Hour)
	tok, err := tokens.Exchange(ctx, f.keys.AccessKey, f.keys.SecretKey, caller("203.0.113.9"))
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		after  time.Duration
		addr   string
		writes int32
	}{
		{time.Second, "203.0.113.9", 1},
		{58 * time.Second, "::ffff:203.0.113.9", 1},
		{0, "2001:db8::1", 2},
		{0, "2001:db8::1", 2},
		{time.Second, "203.0.113.9", 3},
		{0, "2001:db8::1", 3},
	} {
		f.clock.Add(step.after)
		if _, err := tokens.Authenticate(ctx, tok.Token, caller(step.addr)); err != nil {
			t.Fatal(err)
		}
		if got := st.writes.Load(); got != step.writes {
			t.Fatalf("after a request from %s at %v: %d use writes, want %d", step.addr, f.clock.Now(), got, step.writes)
		}
	}
}

// recentUsesCounter counts the reads of recent uses through it.
type recentUsesCounter struct {
	lifecycle.CredentialStore
	reads atomic.Int32
}

func (c *recentUsesCounter) RecentUses(ctx context.Context, credentialID int64, limit int) ([]lifecycle.CredentialUse, error) {
	c.reads.Add(1)
	return c.CredentialStore.RecentUses(ctx, credentialID, limit)
}

// The window reads a credential's recent uses again only after a new use:
// while its last use stays the same, so do they.
func TestRecentUsesAreReadAgainOnlyAfterANewUse(t *testing.T) {
	f := newHousekeepingFixture(t, lifecycle.Config{})
	ctx := context.Background()
	st := &recentUsesCounter{CredentialStore: f.store}
	svc := lifecycle.NewService(st, f.clock.Now, lifecycle.Config{})
	tokens := lifecycle.NewTokens(f.store, f.clock.Now, time.Hour)
	current := func(wantReads int32, wantAddrs ...string) {
		t.Helper()
		cur, err := svc.Current(ctx, f.tenant.ID)
		if err != nil {
			t.Fatal(err)
		}
		var addrs []string
		for _, u := range cur.Uses {
			addrs = append(addrs, u.Addr.String())
		}
		if got := st.reads.Load(); got != wantReads || fmt.Sprint(addrs) != fmt.Sprint(wantAddrs) {
			t.Fatalf("%d reads, uses %v; want %d, %v", got, addrs, wantReads, wantAddrs)
		}
	}
	current(0)
	if _, err := tokens.Exchange(ctx, f.keys.AccessKey, f.keys.SecretKey, caller("203.0.113.9")); err != nil {
		t.Fatal(err)
	}
	current(1, "203.0.113.9")
	current(1, "203.0.113.9")
	f.clock.Add(time.Second)
	if _, err := tokens.Exchange(ctx, f.keys.AccessKey, f.keys.SecretKey, caller("2001:db8::1")); err != nil {
		t.Fatal(err)
	}
	current(2, "2001:db8::1", "203.0.113.9")
	current(2, "2001:db8::1", "203.0.113.9")
}
