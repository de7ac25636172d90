package lifecycle_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store"
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

// countingStore is the store, counting the calls of the token paths.
type countingStore struct {
	*store.Store
	calls *atomic.Int32
}

func (s countingStore) AccessKeyGrant(ctx context.Context, accessKey string) (lifecycle.AccessKeyGrant, error) {
	s.calls.Add(1)
	return s.Store.AccessKeyGrant(ctx, accessKey)
}

func (s countingStore) TokenGrant(ctx context.Context, credentialID int64) (lifecycle.TokenGrant, error) {
	s.calls.Add(1)
	return s.Store.TokenGrant(ctx, credentialID)
}

func (s countingStore) TokenKeys(ctx context.Context) ([]lifecycle.TokenKey, error) {
	s.calls.Add(1)
	return s.Store.TokenKeys(ctx)
}

func (s countingStore) FirstTokenKey(ctx context.Context, k lifecycle.TokenKey) error {
	s.calls.Add(1)
	return s.Store.FirstTokenKey(ctx, k)
}

func (s countingStore) RecordUse(ctx context.Context, u lifecycle.CredentialUse, every time.Duration) (bool, error) {
	s.calls.Add(1)
	return s.Store.RecordUse(ctx, u, every)
}

// tokenFixture is a tenant with Activated credentials and Tokens over a
// store that counts its calls.
type tokenFixture struct {
	*housekeepingFixture
	tokens *lifecycle.Tokens
	calls  atomic.Int32
}

func newTokenFixture(t *testing.T, ttl time.Duration) *tokenFixture {
	f := &tokenFixture{housekeepingFixture: newHousekeepingFixture(t, lifecycle.Config{})}
	f.tokens = lifecycle.NewTokens(countingStore{f.store, &f.calls}, f.clock.Now, ttl)
	return f
}

func (f *tokenFixture) exchange(t *testing.T) string {
	t.Helper()
	tok, err := f.tokens.Exchange(context.Background(), f.keys.AccessKey, f.keys.SecretKey, lifecycle.Caller{})
	if err != nil {
		t.Fatal(err)
	}
	return tok.Token
}

// authenticate is Authenticate's error and how many store calls it made.
func (f *tokenFixture) authenticate(tok string) (error, int32) {
	before := f.calls.Load()
	_, err := f.tokens.Authenticate(context.Background(), tok, lifecycle.Caller{})
	return err, f.calls.Load() - before
}

// tokenBytes are a token's 32 bytes.
func tokenBytes(t *testing.T, tok string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.Strict().DecodeString(strings.TrimPrefix(tok, "esptk_"))
	if err != nil || len(b) != 32 {
		t.Fatalf("token %q: %d bytes, %v", tok, len(b), err)
	}
	return b
}

// A token is accepted until the instant its expiry comes, then refused by
// its own expiry, with no store call; an exchange writes nothing but the
// credential's last use (once a minute) and says the lifetime.
func TestTokenAtItsExpiryIsRefusedWithoutAStoreCall(t *testing.T) {
	f := newTokenFixture(t, time.Hour)
	issued, err := f.tokens.Exchange(context.Background(), f.keys.AccessKey, f.keys.SecretKey, lifecycle.Caller{})
	if err != nil || issued.ExpiresIn != time.Hour {
		t.Fatalf("exchange: %+v, %v; want a token that lives an hour", issued, err)
	}
	f.clock.Add(time.Hour - time.Nanosecond)
	if err, calls := f.authenticate(issued.Token); err != nil || calls != 2 {
		t.Fatalf("a nanosecond before expiry: %v after %d store calls, want accepted after the grant and a touch", err, calls)
	}
	f.clock.Add(time.Nanosecond)
	if err, calls := f.authenticate(issued.Token); !errors.Is(err, lifecycle.ErrTokenExpired) || calls != 0 {
		t.Fatalf("at expiry: %v after %d store calls, want ErrTokenExpired after none", err, calls)
	}
}

// Flipping any one bit of a token, or making one up in the right format
// (as the tokens of earlier versions were: 32 random bytes), gives a token
// that is refused as invalid with no store call.
func TestForgedTokenIsRefusedWithoutAStoreCall(t *testing.T) {
	f := newTokenFixture(t, time.Hour)
	tok := f.exchange(t)
	if err, _ := f.authenticate(tok); err != nil {
		t.Fatalf("the real token: %v", err)
	}
	b := tokenBytes(t, tok)
	for bit := range len(b) * 8 {
		forged := bytes.Clone(b)
		forged[bit/8] ^= 1 << (bit % 8)
		if err, calls := f.authenticate("esptk_" + base64.RawURLEncoding.EncodeToString(forged)); !errors.Is(err, lifecycle.ErrTokenInvalid) || calls != 0 {
			t.Fatalf("bit %d flipped: %v after %d store calls, want ErrTokenInvalid after none", bit, err, calls)
		}
	}
	for range 20 {
		random := make([]byte, 32)
		rand.Read(random)
		random[0] = b[0] // even naming the current key
		if err, calls := f.authenticate("esptk_" + base64.RawURLEncoding.EncodeToString(random)); !errors.Is(err, lifecycle.ErrTokenInvalid) || calls != 0 {
			t.Fatalf("random token: %v after %d store calls, want ErrTokenInvalid after none", err, calls)
		}
	}
}

// A token of a purged credential is refused, though its signature and
// expiry are good.
func TestTokenOfPurgedCredentialIsRefused(t *testing.T) {
	f := newTokenFixture(t, time.Hour)
	tok := f.exchange(t)
	f.deactivate(t)
	f.tick(t)
	if _, err := f.store.DB.ExecContext(context.Background(), `DELETE FROM credentials WHERE id = $1`, f.keys.Credential.ID); err != nil {
		t.Fatal(err)
	}
	if err, _ := f.authenticate(tok); !errors.Is(err, lifecycle.ErrTokenRevoked) {
		t.Fatalf("purged credential's token: %v, want ErrTokenRevoked", err)
	}
}

// After a rotation the current key goes on signing until the new one's
// time comes (every server has read it by then); from then on tokens are
// signed with the new key, and those of the previous key keep working
// until they expire.
func TestTokenOfThePreviousKeyWorksUntilItExpires(t *testing.T) {
	f := newTokenFixture(t, time.Hour)
	ctx := context.Background()
	old := f.exchange(t)
	next, err := lifecycle.RotateTokenKey(ctx, f.store, f.clock.Now())
	if err != nil || next.ID != 2 || !next.SignsFrom.Equal(f.clock.Now().Add(lifecycle.KeyPublish)) {
		t.Fatalf("rotation: %+v, %v; want key 2 signing from %v on", next, err, lifecycle.KeyPublish)
	}
	f.clock.Add(lifecycle.KeyPublish - time.Second)
	lastOld := f.exchange(t)
	if tokenBytes(t, lastOld)[0] != 1 {
		t.Fatal("a token made before the new key's time is not signed with the old key")
	}
	f.clock.Add(time.Second)
	if tokenBytes(t, f.exchange(t))[0] != 2 {
		t.Fatal("a token made at the new key's time is not signed with it")
	}
	f.clock.Add(time.Hour - lifecycle.KeyPublish - time.Nanosecond) // just before the first token expires
	for _, tok := range []string{old, lastOld} {
		if err, _ := f.authenticate(tok); err != nil {
			t.Fatalf("previous key's token within its hour: %v", err)
		}
	}
	f.clock.Add(lifecycle.KeyPublish) // past both
	for _, tok := range []string{old, lastOld} {
		if err, _ := f.authenticate(tok); lifecycle.ErrorCode(err) != lifecycle.Unauthorized {
			t.Fatalf("previous key's token after its hour: %v, want refused", err)
		}
	}
}

// The previous key verifies for one token lifetime after its successor
// starts signing, not longer: a token it signed that claims to live longer
// (a server with a longer lifetime signed it) is refused then.
func TestPreviousKeyVerifiesForOneTokenLifetimeOnly(t *testing.T) {
	f := newTokenFixture(t, time.Hour)
	long := lifecycle.NewTokens(f.store, f.clock.Now, 3*time.Hour)
	issued, err := long.Exchange(context.Background(), f.keys.AccessKey, f.keys.SecretKey, lifecycle.Caller{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lifecycle.RotateTokenKey(context.Background(), f.store, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(lifecycle.KeyPublish + time.Hour - time.Second)
	if err, _ := f.authenticate(issued.Token); err != nil {
		t.Fatalf("within the overlap: %v", err)
	}
	f.clock.Add(time.Second)
	if err, _ := f.authenticate(issued.Token); !errors.Is(err, lifecycle.ErrTokenInvalid) {
		t.Fatalf("after the overlap: %v, want ErrTokenInvalid", err)
	}
}

// Servers on one database (replicas on PostgreSQL) share the keys: a token
// one signs works on the others, before and after a rotation made by one
// of them, also on a server that has not read the keys since before the
// rotation.
func TestRotationIsSeenByEveryServerOnTheDatabase(t *testing.T) {
	f := newTokenFixture(t, time.Hour)
	ctx := context.Background()
	servers := []*lifecycle.Tokens{f.tokens}
	for range 2 {
		servers = append(servers, lifecycle.NewTokens(f.db.Open(t), f.clock.Now, time.Hour))
	}
	// servers[2] only verifies: it reads the keys at its first token and
	// then only when a token names a key it does not know.
	a, b := servers[0], servers[1]
	exchange := func(on *lifecycle.Tokens) string {
		t.Helper()
		tok, err := on.Exchange(ctx, f.keys.AccessKey, f.keys.SecretKey, lifecycle.Caller{})
		if err != nil {
			t.Fatal(err)
		}
		return tok.Token
	}
	accepted := func(on *lifecycle.Tokens, tok string) {
		t.Helper()
		if _, err := on.Authenticate(ctx, tok, lifecycle.Caller{}); err != nil {
			t.Fatalf("token of key %d: %v", tokenBytes(t, tok)[0], err)
		}
	}
	first := exchange(a)
	for _, s := range servers {
		accepted(s, first)
	}
	if _, err := lifecycle.RotateTokenKey(ctx, f.db.Open(t), f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(lifecycle.KeyReload)
	accepted(b, exchange(a)) // a has read key 2, and still signs with key 1
	f.clock.Add(lifecycle.KeyPublish - lifecycle.KeyReload)
	second := exchange(b)
	if tokenBytes(t, second)[0] != 2 {
		t.Fatal("the new key does not sign at its time")
	}
	for _, s := range servers {
		accepted(s, second)
		accepted(s, first)
	}
}
