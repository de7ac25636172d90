package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store"
)

// newCredential inserts an activated credential for the tenant.
func newCredential(tb testing.TB, st *store.Store, tenantID int64, now time.Time) lifecycle.Credential {
	tb.Helper()
	h := sha256.Sum256([]byte("secret"))
	c, err := st.InsertCredential(context.Background(), lifecycle.Credential{TenantID: tenantID, Status: "activated",
		AccessKey: "ESPAKTEST" + now.Format("150405.000000000"), SecretHash: h[:], AccessLast4: "TEST", SecretLast4: "cret",
		CreatedAt: now}, "test", "generate")
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func tokenHash(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

func TestTokenGrantReadsCredentialAndFeatureNow(t *testing.T) {
	st, acme, _ := openPlanStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	c := newCredential(t, st, acme.ID, now)
	tok := lifecycle.Token{Hash: tokenHash("t1"), CredentialID: c.ID, TenantID: acme.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := st.InsertToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	g, err := st.TokenGrant(ctx, tokenHash("t1"))
	if err != nil {
		t.Fatal(err)
	}
	if g.CredentialID != c.ID || g.TenantID != acme.ID || g.CredentialStatus != "activated" || !g.PublicAPI ||
		!g.ExpiresAt.Equal(tok.ExpiresAt) || !bytes.Equal(g.Hash, tok.Hash) {
		t.Fatalf("grant %+v", g)
	}
	if err := st.SetPublicAPI(ctx, "acme", false); err != nil {
		t.Fatal(err)
	}
	_, err = st.ApplyTransitions(ctx, []lifecycle.CredentialWrite{{CredentialID: c.ID, From: []lifecycle.Status{"activated"},
		To: "pending_deactivation", At: now, Actor: "test", Action: "deactivate"}})
	if err != nil {
		t.Fatal(err)
	}
	g, err = st.TokenGrant(ctx, tokenHash("t1"))
	if err != nil || g.PublicAPI || g.CredentialStatus != "pending_deactivation" {
		t.Fatalf("after changes: %+v, %v", g, err)
	}
	if _, err := st.TokenGrant(ctx, tokenHash("unknown")); !errors.Is(err, lifecycle.ErrNotFound) {
		t.Fatalf("unknown token: %v, want ErrNotFound", err)
	}
}

// A token exchange whose request ends while another transaction holds the
// writer gives up at once: nothing is stored, and the error says why.
// SQLite only: PostgreSQL has no single writer to wait for.
func TestInsertTokenGivesUpWhenItsContextEndsWaitingForTheWriter(t *testing.T) {
	st, acme, _ := openSQLitePlanStore(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	c := newCredential(t, st, acme.ID, now)
	holding, release := make(chan struct{}), make(chan struct{})
	held := make(chan error, 1)
	go func() {
		held <- st.Tx(context.Background(), func(*sql.Tx) error {
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	ctx, cancel := context.WithCancel(context.Background())
	inserted := make(chan error, 1)
	go func() {
		inserted <- st.InsertToken(ctx, lifecycle.Token{Hash: tokenHash("t"), CredentialID: c.ID, TenantID: acme.ID,
			CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	}()
	cancel()
	err := <-inserted // before the writer is free
	close(release)
	if herr := <-held; herr != nil {
		t.Fatal(herr)
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("InsertToken = %v, want context.Canceled", err)
	}
	if _, err := st.TokenGrant(context.Background(), tokenHash("t")); !errors.Is(err, lifecycle.ErrNotFound) {
		t.Fatalf("token lookup = %v, want ErrNotFound: nothing stored", err)
	}
}

func TestTouchCredentialWritesAtMostOncePerPeriod(t *testing.T) {
	st, acme, _ := openPlanStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	c := newCredential(t, st, acme.ID, now)
	for _, step := range []struct {
		at    time.Duration
		wrote bool
	}{{0, true}, {time.Second, false}, {59 * time.Second, false}, {60 * time.Second, true}, {61 * time.Second, false}} {
		wrote, err := st.TouchCredential(ctx, c.ID, now.Add(step.at), time.Minute)
		if err != nil || wrote != step.wrote {
			t.Fatalf("touch at +%v: wrote %v (%v), want %v", step.at, wrote, err, step.wrote)
		}
	}
	got, err := st.CredentialByID(ctx, c.ID)
	if err != nil || !got.LastUsedAt.Equal(now.Add(time.Minute)) {
		t.Fatalf("last used %v (%v), want %v", got.LastUsedAt, err, now.Add(time.Minute))
	}
}

func TestAccessKeyGrantReadsKeyAndFeatureTogether(t *testing.T) {
	st, acme, _ := openPlanStore(t)
	ctx := context.Background()
	c := newCredential(t, st, acme.ID, time.Now())
	g, err := st.AccessKeyGrant(ctx, c.AccessKey)
	if err != nil {
		t.Fatal(err)
	}
	if g.CredentialID != c.ID || g.TenantID != acme.ID || g.Status != "activated" ||
		!bytes.Equal(g.SecretHash, c.SecretHash) || !g.PublicAPI || !g.LastUsedAt.IsZero() {
		t.Fatalf("grant %+v", g)
	}
	if err := st.SetPublicAPI(ctx, acme.Name, false); err != nil {
		t.Fatal(err)
	}
	if g, _ := st.AccessKeyGrant(ctx, c.AccessKey); g.PublicAPI {
		t.Fatal("feature turned off is not seen")
	}
	if _, err := st.AccessKeyGrant(ctx, "ESPAKNOSUCHKEY"); !errors.Is(err, lifecycle.ErrNotFound) {
		t.Fatalf("unknown key: err=%v, want ErrNotFound", err)
	}
}
