package lifecycle_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"esp/lifecycle"
)

// A token issued to Activated credentials is refused from the moment they
// are deactivated: while the deactivation is pending and once it is done.
func TestTokenOfDeactivatedCredentialsIsRefused(t *testing.T) {
	f := newHousekeepingFixture(t, lifecycle.Config{})
	tokens := lifecycle.NewTokens(f.store, f.clock.Now, time.Hour)
	tok := f.exchange(t, time.Hour)
	ctx := context.Background()
	if b, err := tokens.Authenticate(ctx, tok, lifecycle.Caller{}); err != nil || b.TenantID != f.tenant.ID {
		t.Fatalf("while activated: tenant %d, %v; want %d", b.TenantID, err, f.tenant.ID)
	}
	f.deactivate(t)
	if _, err := tokens.Authenticate(ctx, tok, lifecycle.Caller{}); !errors.Is(err, lifecycle.ErrTokenRevoked) {
		t.Fatalf("while the deactivation is pending: %v, want ErrTokenRevoked", err)
	}
	if r := f.tick(t); r.Deactivated != 1 {
		t.Fatalf("tick %+v, want the credential deactivated", r)
	}
	if _, err := tokens.Authenticate(ctx, tok, lifecycle.Caller{}); !errors.Is(err, lifecycle.ErrTokenRevoked) {
		t.Fatalf("once deactivated: %v, want ErrTokenRevoked", err)
	}
}
