package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store"
	"esp/store/storetest"
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

// A token's grant is its credential's status and its tenant's flag as
// they are now, by the credential's id; a purged credential has none.
func TestTokenGrantReadsCredentialAndFeatureNow(t *testing.T) {
	st, acme, _ := openPlanStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	c := newCredential(t, st, acme.ID, now)
	g, err := st.TokenGrant(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if g.CredentialID != c.ID || g.TenantID != acme.ID || g.CredentialStatus != "activated" || !g.PublicAPI || !g.LastUsedAt.IsZero() {
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
	g, err = st.TokenGrant(ctx, c.ID)
	if err != nil || g.PublicAPI || g.CredentialStatus != "pending_deactivation" {
		t.Fatalf("after changes: %+v, %v", g, err)
	}
	if _, err := st.DB.ExecContext(ctx, `DELETE FROM credentials WHERE id = $1`, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.TokenGrant(ctx, c.ID); !errors.Is(err, lifecycle.ErrNotFound) {
		t.Fatalf("purged credential: %v, want ErrNotFound", err)
	}
}

// Servers starting together on an empty database, 50 calls at once spread
// over two handles (two processes), keep exactly one first key, which all
// of them then read; a later call keeps nothing more.
func TestFirstTokenKeyIsKeptOnceByServersStartingTogether(t *testing.T) {
	stores := storetest.OpenShared(t, 2)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Go(func() {
			errs <- stores[i%2].FirstTokenKey(ctx, lifecycle.TokenKey{ID: 1, Secret: tokenHash(fmt.Sprint(i)), SignsFrom: time.Unix(0, 0)})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	a, errA := stores[0].TokenKeys(ctx)
	b, errB := stores[1].TokenKeys(ctx)
	if errA != nil || errB != nil || len(a) != 1 || len(b) != 1 || !bytes.Equal(a[0].Secret, b[0].Secret) || a[0].ID != 1 {
		t.Fatalf("keys %+v (%v) and %+v (%v), want the same one key", a, errA, b, errB)
	}
	if err := stores[1].FirstTokenKey(ctx, lifecycle.TokenKey{ID: 1, Secret: tokenHash("late"), SignsFrom: time.Unix(0, 0)}); err != nil {
		t.Fatal(err)
	}
	if got, _ := stores[0].TokenKeys(ctx); len(got) != 1 || !bytes.Equal(got[0].Secret, a[0].Secret) {
		t.Fatalf("after a late first key: %+v, want the kept one only", got)
	}
}

// A rotation adds the key after the newest, with its signing time; two
// rotations at once add one key each or refuse with a conflict, never two
// keys of one id.
func TestAddTokenKeyFollowsTheNewest(t *testing.T) {
	stores := storetest.OpenShared(t, 2)
	ctx := context.Background()
	from := time.Date(2026, 11, 26, 9, 2, 0, 0, time.UTC)
	if _, err := stores[0].AddTokenKey(ctx, lifecycle.TokenKey{Secret: tokenHash("short")[:16], SignsFrom: from}); lifecycle.ErrorCode(err) != lifecycle.Invalid {
		t.Fatalf("a 16-byte key: %v, want ErrInvalid", err)
	}
	for i, want := range []int64{1, 2} {
		k, err := stores[i].AddTokenKey(ctx, lifecycle.TokenKey{ID: 9, Secret: tokenHash(fmt.Sprint(i)), SignsFrom: from})
		if err != nil || k.ID != want {
			t.Fatalf("rotation %d: key %d, %v; want key %d", i, k.ID, err, want)
		}
	}
	var wg sync.WaitGroup
	var added atomic.Int32
	for i := range 10 {
		wg.Go(func() {
			_, err := stores[i%2].AddTokenKey(ctx, lifecycle.TokenKey{Secret: tokenHash(fmt.Sprint("race", i)), SignsFrom: from})
			switch {
			case err == nil:
				added.Add(1)
			case !errors.Is(err, lifecycle.ErrConflict):
				t.Errorf("concurrent rotation: %v, want success or ErrConflict", err)
			}
		})
	}
	wg.Wait()
	keys, err := stores[1].TokenKeys(ctx)
	if err != nil || len(keys) != 2+int(added.Load()) || added.Load() == 0 {
		t.Fatalf("%d keys (%v) after %d concurrent rotations succeeded", len(keys), err, added.Load())
	}
	for i, k := range keys {
		if k.ID != int64(i+1) || !k.SignsFrom.Equal(from) {
			t.Fatalf("key %d: %+v, want id %d signing from %v", i, k, i+1, from)
		}
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

// On PostgreSQL a server keeping the first key while another server's is
// in flight (inserted, not yet committed) waits for it, then keeps
// nothing and reads the other's: the unique key decides, not the
// NOT EXISTS both evaluated before either committed. (SQLite's one
// writer lets no two inserts overlap.)
func TestFirstTokenKeyWaitsForOneInFlight(t *testing.T) {
	st := storetest.Open(t)
	ctx := context.Background()
	if !st.Postgres() {
		return // nothing can be in flight beside SQLite's writer
	}
	tx, err := st.DB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO token_keys (id, mac_key, signs_from) VALUES (1, $1, 0)`, tokenHash("first")); err != nil {
		t.Fatal(err)
	}
	kept := make(chan error, 1)
	go func() {
		kept <- st.FirstTokenKey(ctx, lifecycle.TokenKey{ID: 1, Secret: tokenHash("second"), SignsFrom: time.Unix(0, 0)})
	}()
	// The second insert is waiting on the first's row lock once PostgreSQL
	// says a backend waits for a lock.
	for waiting := 0; waiting == 0; {
		if err := st.DB.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO token_keys%'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-kept; err != nil {
		t.Fatalf("the waiting server: %v, want nothing kept and no error", err)
	}
	if keys, err := st.TokenKeys(ctx); err != nil || len(keys) != 1 || !bytes.Equal(keys[0].Secret, tokenHash("first")) {
		t.Fatalf("keys %+v, %v; want the first server's only", keys, err)
	}
}
