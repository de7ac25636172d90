package lifecycle_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"esp/lifecycle"
)

func countCredentials(tb testing.TB, f *fixture) int {
	tb.Helper()
	var n int
	if err := f.store.DB.QueryRow(`SELECT count(*) FROM credentials WHERE tenant_id = $1`, f.tenant.ID).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// A Generate request sent again is answered ErrAlreadyGenerated: while the
// status refuses Generate (rather than with the refusal), and once the
// status allows Generate again (rather than a second credential). Another
// request generates as usual.
func TestGenerateOnceCarriesOutARequestOnce(t *testing.T) {
	f := newFixture(t, nil, lifecycle.Config{})
	ctx := context.Background()
	once := func(request string) error {
		_, err := f.svc.GenerateOnce(ctx, f.tenant.ID, "user:alice", request, "")
		return err
	}
	if err := once("request-1"); err != nil {
		t.Fatal(err)
	}
	if err := once("request-1"); !errors.Is(err, lifecycle.ErrAlreadyGenerated) {
		t.Fatalf("request-1 again while Pending Activation: %v, want ErrAlreadyGenerated", err)
	}
	f.tick(t)
	f.deactivate(t)
	f.tick(t)
	if got := f.status(t); !got.CanGenerate() {
		t.Fatalf("status %s does not allow Generate", got)
	}
	if err := once("request-1"); !errors.Is(err, lifecycle.ErrAlreadyGenerated) {
		t.Fatalf("request-1 again once Deactivated: %v, want ErrAlreadyGenerated", err)
	}
	if n := countCredentials(t, f); n != 1 {
		t.Fatalf("%d credentials after sending request-1 three times, want 1", n)
	}
	if err := once("request-2"); err != nil {
		t.Fatalf("a new request: %v", err)
	}
	if n := countCredentials(t, f); n != 2 {
		t.Fatalf("%d credentials, want 2", n)
	}
	if _, err := f.svc.GenerateOnce(ctx, f.tenant.ID, "user:alice", "", ""); err == nil || errors.Is(err, lifecycle.ErrAlreadyGenerated) {
		t.Fatalf("a request without an id: %v, want an error", err)
	}
}

// The same request sent twice at once, both past every check before either
// writes: one makes the credential, the other learns that its request was
// carried out, not that someone else generated.
func TestGenerateOnceSentTwiceAtOnceMakesOneCredential(t *testing.T) {
	f := newFixture(t, nil, lifecycle.Config{})
	checked := newLineUp(2)
	lifecycle.SetAfterCheck(f.svc, func(lifecycle.Trigger) { checked.arrive() })
	var errs [2]error
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			defer checked.leave()
			_, errs[i] = f.svc.GenerateOnce(context.Background(), f.tenant.ID, "user:alice", "request-1", "")
		})
	}
	wg.Wait()
	ok, again := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, lifecycle.ErrAlreadyGenerated):
			again++
		default:
			t.Fatalf("GenerateOnce: %v", err)
		}
	}
	if ok != 1 || again != 1 {
		t.Fatalf("%d generated and %d already generated, want 1 and 1 (%v)", ok, again, errs)
	}
	assertOneCredential(t, f)
}
