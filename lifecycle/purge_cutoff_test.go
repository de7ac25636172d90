package lifecycle_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"esp/lifecycle"
)

// The weekly purge that the scheduler runs deletes only credentials
// deactivated 24 hours or more before it; one deactivated
// minutes, or a nanosecond less than 24 hours, before the run survives it
// and goes with the next week's.
func TestScheduledPurgeKeepsCredentialsDeactivatedUnder24Hours(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil, lifecycle.Config{})
	start := f.clock.Now()
	if r := f.tick(t); r.Purged != 0 { // the first tick on a new database is the first purge
		t.Fatalf("first purge deleted %d", r.Purged)
	}
	weekly := start.Add(7 * 24 * time.Hour) // the next scheduled purge
	cases := []struct {
		name   string
		age    time.Duration // how long before the weekly run it was deactivated
		purged bool
	}{ // oldest first: the clock only moves forward
		{"six days", 6 * 24 * time.Hour, true},
		{"24h and 1ns", 24*time.Hour + time.Nanosecond, true},
		{"exactly 24h", 24 * time.Hour, true},
		{"24h less 1ns", 24*time.Hour - time.Nanosecond, false},
		{"five minutes", 5 * time.Minute, false},
	}
	ids := make([]int64, len(cases))
	for i, c := range cases {
		at := weekly.Add(-c.age)
		f.clock.Add(at.Sub(f.clock.Now()))
		tn, err := f.accounts.AddTenant(ctx, "purge"+string(rune('a'+i)))
		if err != nil {
			t.Fatal(err)
		}
		f.tenant = tn
		cred := f.deactivatedNow(t) // its ticks fall inside the week: no purge
		if !cred.DeactivatedAt.Equal(at) {
			t.Fatalf("%s: deactivated at %v, want %v", c.name, cred.DeactivatedAt, at)
		}
		ids[i] = cred.ID
	}
	f.clock.Add(weekly.Sub(f.clock.Now()))
	r := f.tick(t)
	want := 0
	for i, c := range cases {
		_, err := f.store.CredentialByID(ctx, ids[i])
		switch {
		case c.purged && !errors.Is(err, lifecycle.ErrNotFound):
			t.Errorf("%s before the weekly purge: still there (err=%v), want purged", c.name, err)
		case !c.purged && err != nil:
			t.Errorf("%s before the weekly purge: %v, want kept", c.name, err)
		}
		if c.purged {
			want++
		}
	}
	if r.Purged != want {
		t.Errorf("weekly purge: Purged=%d, want %d", r.Purged, want)
	}
	if t.Failed() {
		return
	}
	// The survivors go with the next weekly run, not before.
	f.clock.Add(7*24*time.Hour - time.Nanosecond)
	if r := f.tick(t); r.Purged != 0 {
		t.Fatalf("purge inside the week deleted %d", r.Purged)
	}
	f.clock.Add(time.Nanosecond)
	if r := f.tick(t); r.Purged != len(cases)-want {
		t.Fatalf("next weekly purge: Purged=%d, want %d", r.Purged, len(cases)-want)
	}
}
