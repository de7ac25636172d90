package store_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store/storetest"
)

// Concurrent InsertToken calls, waiting for the one writer, each return
// their own outcome: all distinct tokens are stored, and a duplicate is
// refused without failing the tokens written beside it.
func TestConcurrentInsertTokenEachGetsItsOwnOutcome(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	tn, err := st.CreateTenant(ctx, "acme", true, now)
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.InsertCredential(ctx, lifecycle.Credential{TenantID: tn.ID, Status: "activated", AccessKey: "ESPAKTEST",
		SecretHash: make([]byte, 32), AccessLast4: "TEST", SecretLast4: "test", CreatedAt: now}, "test", "generate")
	if err != nil {
		t.Fatal(err)
	}
	hash := func(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }
	tok := func(s string) lifecycle.Token {
		return lifecycle.Token{Hash: hash(s), CredentialID: c.ID, TenantID: tn.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	}
	if err := st.InsertToken(ctx, tok("dup")); err != nil {
		t.Fatal(err)
	}
	const callers, each = 16, 20
	var wg sync.WaitGroup
	errs := make(chan error, callers*each)
	var dupErr error
	for g := range callers {
		wg.Go(func() {
			for i := range each {
				if g == 3 && i == 7 {
					dupErr = st.InsertToken(ctx, tok("dup"))
					continue
				}
				errs <- st.InsertToken(ctx, tok(fmt.Sprint(g, "-", i)))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if !errors.Is(dupErr, lifecycle.ErrConflict) {
		t.Fatalf("duplicate token: err = %v, want ErrConflict", dupErr)
	}
	var n int
	if err := st.DB.QueryRowContext(ctx, `SELECT count(*) FROM api_tokens`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want := callers*each - 1 + 1; n != want {
		t.Fatalf("tokens stored = %d, want %d", n, want)
	}
}
