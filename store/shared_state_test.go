package store_test

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store"
	"esp/store/storetest"
	"esp/web/httpx"
	"esp/web/httpx/limittest"
)

// onPostgres skips a test of what only PostgreSQL keeps in the database.
func onPostgres(t *testing.T) {
	t.Helper()
	if storetest.Backend(t) != storetest.Postgres {
		t.Skip("kept in the database only on PostgreSQL; on SQLite the caller keeps it (file, memory)")
	}
}

func randomKeys() store.SessionKeys {
	k := store.SessionKeys{Hash: make([]byte, 64), Block: make([]byte, 32), CSRF: make([]byte, 32)}
	crand.Read(k.Hash)
	crand.Read(k.Block)
	crand.Read(k.CSRF)
	return k
}

func sameKeys(a, b store.SessionKeys) bool {
	return bytes.Equal(a.Hash, b.Hash) && bytes.Equal(a.Block, b.Block) && bytes.Equal(a.CSRF, b.CSRF)
}

// Replicas starting at the same instant, each with keys of its own to
// offer, all come away with one set: the one kept first.
func TestSessionKeysAreCreatedOnceForEveryReplica(t *testing.T) {
	onPostgres(t)
	stores := storetest.OpenShared(t, 3)
	const starts = 12
	offered, got := make([]store.SessionKeys, starts), make([]store.SessionKeys, starts)
	errs := make([]error, starts)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range starts {
		offered[i] = randomKeys()
		wg.Go(func() {
			<-start
			got[i], errs[i] = stores[i%len(stores)].SessionKeys(context.Background(), offered[i])
		})
	}
	close(start)
	wg.Wait()
	kept := -1
	for i := range starts {
		if errs[i] != nil {
			t.Fatalf("start %d: %v", i+1, errs[i])
		}
		if !sameKeys(got[i], got[0]) {
			t.Fatalf("start %d got other keys than start 1", i+1)
		}
		if sameKeys(got[i], offered[i]) {
			kept = i
		}
	}
	if kept < 0 {
		t.Fatal("the keys kept are none of those offered")
	}
	// A later start gets the same keys, whatever it offers.
	later, err := stores[1].SessionKeys(context.Background(), randomKeys())
	if err != nil || !sameKeys(later, got[0]) {
		t.Fatalf("a later start: other keys (%v)", err)
	}
}

func TestSessionKeysOfTheWrongSizeAreRefusedAndNothingIsKept(t *testing.T) {
	onPostgres(t)
	st := storetest.Open(t)
	bad := randomKeys()
	bad.Block = bad.Block[:16]
	if _, err := st.SessionKeys(context.Background(), bad); !errors.Is(err, lifecycle.ErrConflict) {
		t.Fatalf("keys with a 16-byte block key: %v, want ErrConflict", err)
	}
	good := randomKeys()
	if got, err := st.SessionKeys(context.Background(), good); err != nil || !sameKeys(got, good) {
		t.Fatalf("then good keys: not kept (%v)", err)
	}
}

func TestSessionKeysAreNotInTheSQLiteDatabase(t *testing.T) {
	st, err := store.Open(context.Background(), t.TempDir()) // SQLite by nature: the keys stay in the data folder's file
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.SessionKeys(context.Background(), randomKeys()); err == nil {
		t.Fatal("SQLite kept session keys in the database; they belong in the data folder's file")
	}
}

// The limit kept in PostgreSQL answers the same table as the one in memory.
func TestPostgresLimitAnswersTheSharedTable(t *testing.T) {
	onPostgres(t)
	st := storetest.Open(t)
	limittest.Run(t, func(t *testing.T, every time.Duration, burst int, now func() time.Time) httpx.AttemptLimit {
		return st.AttemptLimit(t.Name(), every, burst, now) // a name per case: nothing shared
	})
}

// 50 attempts from one address at the same instant, spread over three
// replicas: exactly the allowance is taken, and every answer is the one
// the limit in memory gives the same attempts.
func TestPostgresLimitTakesExactlyTheAllowanceAcrossReplicas(t *testing.T) {
	onPostgres(t)
	stores := storetest.OpenShared(t, 3)
	clock := limittest.NewClock()
	const every, burst, attempts = 3 * time.Second, 20, 50
	var shared []httpx.AttemptLimit
	for _, st := range stores {
		shared = append(shared, st.AttemptLimit("api-auth", every, burst, clock.Now))
	}
	for round := range 3 {
		mem := httpx.NewMemoryLimit(every, burst, clock.Now)
		if round > 0 {
			clock.Add(time.Hour) // whole again
		}
		wantTaken, wantWaits := limittest.TakeTogether(t, []httpx.AttemptLimit{mem}, "198.51.100.7", attempts)
		taken, waits := limittest.TakeTogether(t, shared, "198.51.100.7", attempts)
		if taken != burst || taken != wantTaken {
			t.Fatalf("round %d: %d of %d attempts taken across replicas, want %d (memory: %d)", round+1, taken, attempts, burst, wantTaken)
		}
		if fmt.Sprint(waits) != fmt.Sprint(wantWaits) {
			t.Fatalf("round %d: refused attempts were told %v, memory tells %v", round+1, waits, wantWaits)
		}
	}
}

// A long random sequence of takes, refunds and clock moves over a few
// addresses, answered one step at a time by the limit in memory and by
// three replicas in turn: the answers are the same at every step.
func TestPostgresLimitAnswersLikeMemoryStepByStep(t *testing.T) {
	onPostgres(t)
	stores := storetest.OpenShared(t, 3)
	clock := limittest.NewClock()
	const every, burst = 6 * time.Second, 10
	mem := httpx.NewMemoryLimit(every, burst, clock.Now)
	var shared []httpx.AttemptLimit
	for _, st := range stores {
		shared = append(shared, st.AttemptLimit("login", every, burst, clock.Now))
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	addrs := []string{"192.0.2.1", "192.0.2.2", "2001:db8::1"}
	ctx := context.Background()
	for i := range 600 {
		addr, pg := addrs[rnd.IntN(len(addrs))], shared[i%len(shared)]
		switch r := rnd.IntN(10); {
		case r < 2:
			clock.Add(time.Duration(rnd.Int64N(int64(20 * time.Second))))
		case r < 4:
			if err := mem.Refund(ctx, addr); err != nil {
				t.Fatal(err)
			}
			if err := pg.Refund(ctx, addr); err != nil {
				t.Fatalf("step %d: refund: %v", i, err)
			}
		default:
			wantOK, wantWait, _ := mem.Take(ctx, addr)
			ok, wait, err := pg.Take(ctx, addr)
			if err != nil {
				t.Fatalf("step %d: take: %v", i, err)
			}
			if ok != wantOK || wait != wantWait {
				t.Fatalf("step %d: take from %s: %v, wait %s; memory says %v, wait %s", i, addr, ok, wait, wantOK, wantWait)
			}
		}
	}
}

func TestPostgresLimitsCountEachNameApart(t *testing.T) {
	onPostgres(t)
	st := storetest.Open(t)
	clock := limittest.NewClock()
	login := st.AttemptLimit("login", 6*time.Second, 10, clock.Now)
	api := st.AttemptLimit("api-auth", 6*time.Second, 10, clock.Now)
	if taken, _ := limittest.TakeN(t, login, "192.0.2.1", 11); taken != 10 {
		t.Fatalf("login: %d taken, want 10", taken)
	}
	if taken, _ := limittest.TakeN(t, api, "192.0.2.1", 11); taken != 10 {
		t.Fatalf("api-auth after the login limit was spent: %d taken, want its own 10", taken)
	}
}

// Housekeeping forgets the addresses whose allowance is whole again, and
// only those: the limit answers as before.
func TestDeleteStaleLimitsForgetsOnlyWholeAllowances(t *testing.T) {
	onPostgres(t)
	st := storetest.Open(t)
	ctx := context.Background()
	clock := limittest.NewClock()
	l := st.AttemptLimit("login", 6*time.Second, 10, clock.Now)
	limittest.TakeN(t, l, "192.0.2.1", 2) // whole again 12s later
	clock.Add(10 * time.Second)
	limittest.TakeN(t, l, "192.0.2.2", 10) // whole again 70s from the start
	limittest.TakeN(t, l, "192.0.2.3", 1)  // whole again 6s later
	if err := l.Refund(ctx, "192.0.2.3"); err != nil {
		t.Fatal(err)
	}
	clock.Add(2 * time.Second) // 192.0.2.1 and .3 are whole
	n, err := st.DeleteStaleLimits(ctx, clock.Now())
	if err != nil || n != 2 {
		t.Fatalf("deleted %d (%v), want the 2 whole allowances", n, err)
	}
	if taken, wait := limittest.TakeN(t, l, "192.0.2.2", 1); taken != 0 || wait != 4*time.Second {
		t.Fatalf("the spent allowance after housekeeping: %d taken, wait %s; want none, 4s", taken, wait)
	}
	if taken, _ := limittest.TakeN(t, l, "192.0.2.1", 11); taken != 10 {
		t.Fatalf("a forgotten address: %d taken, want 10", taken)
	}
}

func TestDeleteStaleLimitsHasNothingToDoOnSQLite(t *testing.T) {
	st, err := store.Open(context.Background(), t.TempDir()) // SQLite by nature: its limits are in memory
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if n, err := st.DeleteStaleLimits(context.Background(), time.Now()); n != 0 || err != nil {
		t.Fatalf("DeleteStaleLimits on SQLite: %d, %v; want 0, nil", n, err)
	}
}

// While one replica holds a lock, another asking for it waits inside the
// database until the first lets go; then it has it.
func TestWithLockHoldsOffOtherReplicasUntilReleased(t *testing.T) {
	onPostgres(t)
	stores := storetest.OpenShared(t, 2)
	ctx := context.Background()
	held, release := make(chan struct{}), make(chan struct{})
	var inside atomic.Int32
	var wg sync.WaitGroup
	wg.Go(func() {
		err := stores[0].WithLock(ctx, "first run", func(context.Context) error {
			inside.Add(1)
			close(held)
			<-release
			inside.Add(-1)
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	})
	<-held
	secondIn := make(chan int32, 1)
	wg.Go(func() {
		err := stores[1].WithLock(ctx, "first run", func(context.Context) error {
			secondIn <- inside.Load()
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	})
	waitForAdvisoryWaiters(t, stores[1], 1)
	// Another name is not held off.
	if err := stores[1].WithLock(ctx, "something else", func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-secondIn:
		t.Fatal("the second replica got the lock while the first held it")
	default:
	}
	close(release)
	wg.Wait()
	if n := <-secondIn; n != 0 {
		t.Fatalf("the second replica ran while %d others were inside", n)
	}
}

// A holder whose work fails lets go of the lock all the same, and its
// error comes back as it was.
func TestWithLockLetsGoWhenTheWorkFails(t *testing.T) {
	st := storetest.Open(t)
	ctx := context.Background()
	failed := errors.New("half-way")
	if err := st.WithLock(ctx, "first run", func(context.Context) error { return failed }); !errors.Is(err, failed) {
		t.Fatalf("WithLock = %v, want the work's error", err)
	}
	done := make(chan error, 1)
	go func() { done <- st.WithLock(ctx, "first run", func(context.Context) error { return nil }) }()
	if err := <-done; err != nil {
		t.Fatalf("the lock after a failed holder: %v", err)
	}
}

// Holders of one lock on one store (SQLite) or on replicas (PostgreSQL) run
// one at a time.
func TestWithLockRunsHoldersOneAtATime(t *testing.T) {
	stores := storetest.OpenShared(t, 3)
	if storetest.Backend(t) == storetest.SQLite {
		stores = stores[:1] // one server per data folder
	}
	var inside, most atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 12 {
		st := stores[i%len(stores)]
		wg.Go(func() {
			<-start
			err := st.WithLock(context.Background(), "first run", func(ctx context.Context) error {
				n := inside.Add(1)
				for {
					m := most.Load()
					if n <= m || most.CompareAndSwap(m, n) {
						break
					}
				}
				// A round trip to the database while inside, as a first run makes.
				_, err := st.CountUsers(ctx)
				inside.Add(-1)
				return err
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	if most.Load() != 1 {
		t.Fatalf("%d holders were inside at once, want 1", most.Load())
	}
}

// waitForAdvisoryWaiters waits until n sessions of the database wait for an
// advisory lock of st's schema.
func waitForAdvisoryWaiters(t *testing.T, st *store.Store, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var waiting int
		err := st.DB.QueryRow(`SELECT count(*) FROM pg_locks
			WHERE locktype = 'advisory' AND NOT granted AND objid = hashtext(current_schema())::oid`).Scan(&waiting)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			t.Fatal(err)
		}
		if waiting >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions wait for the lock, want %d", waiting, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
