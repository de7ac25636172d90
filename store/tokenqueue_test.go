package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"esp/lifecycle"
)

// fakeWriter is a batch writer that records the batches it is given and,
// while hold is set, blocks the first batch until release is closed, so
// that the inserts arriving meanwhile queue behind it.
type fakeWriter struct {
	mu      sync.Mutex
	batches [][]string
	fail    string // a batch holding this token fails as a whole
	panics  string // a batch holding this token panics
	started chan struct{}
	release chan struct{}
}

func newFakeWriter() *fakeWriter {
	return &fakeWriter{started: make(chan struct{}), release: make(chan struct{})}
}

func (w *fakeWriter) write(ctx context.Context, ts []lifecycle.Token) error {
	w.mu.Lock()
	first := len(w.batches) == 0
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = string(t.Hash)
	}
	w.batches = append(w.batches, names)
	w.mu.Unlock()
	if first {
		close(w.started)
		<-w.release
	}
	if ctx.Err() != nil {
		return fmt.Errorf("the batch ran under an ended context: %w", ctx.Err())
	}
	if slices.Contains(names, w.panics) {
		panic("the writer broke")
	}
	if slices.Contains(names, w.fail) {
		return lifecycle.ErrConflict
	}
	return nil
}

func (w *fakeWriter) sizes() []int {
	w.mu.Lock()
	defer w.mu.Unlock()
	var n []int
	for _, b := range w.batches {
		n = append(n, len(b))
	}
	return n
}

func queued(q *tokenQueue) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.waiting)
}

// waitQueued waits until n inserts wait behind the batch being written.
func waitQueued(t *testing.T, q *tokenQueue, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for queued(q) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d inserts queued, want %d", queued(q), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func tok(name string) lifecycle.Token { return lifecycle.Token{Hash: []byte(name)} }

// insertAll starts one insert per name and returns their results by name
// once every one has returned.
func insertAll(ctx context.Context, q *tokenQueue, w *fakeWriter, names ...string) func() map[string]error {
	var mu sync.Mutex
	var wg sync.WaitGroup
	got := map[string]error{}
	for _, name := range names {
		wg.Go(func() {
			err := q.insert(ctx, tok(name), w.write)
			mu.Lock()
			got[name] = err
			mu.Unlock()
		})
	}
	return func() map[string]error { wg.Wait(); return got }
}

// The inserts that arrive while a batch is written wait, and are then
// written together, in one batch, by one of them.
func TestTokenInsertsArrivingDuringAWriteShareTheNextBatch(t *testing.T) {
	ctx := context.Background()
	var q tokenQueue
	w := newFakeWriter()
	first := insertAll(ctx, &q, w, "first")
	<-w.started
	names := make([]string, 20)
	for i := range names {
		names[i] = fmt.Sprint("t", i)
	}
	rest := insertAll(ctx, &q, w, names...)
	waitQueued(t, &q, len(names))
	close(w.release)
	for name, err := range first() {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	for name, err := range rest() {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if got := w.sizes(); !slices.Equal(got, []int{1, 20}) {
		t.Fatalf("batch sizes %v, want [1 20]", got)
	}
	if queued(&q) != 0 || q.writing {
		t.Fatalf("after the last batch: %d queued, writing %v", queued(&q), q.writing)
	}
	// The queue is idle again: the next insert writes at once, alone.
	if err := q.insert(ctx, tok("later"), w.write); err != nil {
		t.Fatal(err)
	}
	if got := w.sizes(); !slices.Equal(got, []int{1, 20, 1}) {
		t.Fatalf("batch sizes %v, want [1 20 1]", got)
	}
}

// A batch that fails is written again one insert at a time, so that only
// the bad insert is refused.
func TestAFailedTokenBatchFailsOnlyTheBadInsert(t *testing.T) {
	ctx := context.Background()
	var q tokenQueue
	w := newFakeWriter()
	w.fail = "dup"
	first := insertAll(ctx, &q, w, "first")
	<-w.started
	rest := insertAll(ctx, &q, w, "a", "b", "dup", "c")
	waitQueued(t, &q, 4)
	close(w.release)
	first()
	for name, err := range rest() {
		if name == "dup" {
			if !errors.Is(err, lifecycle.ErrConflict) {
				t.Fatalf("dup: %v, want ErrConflict", err)
			}
		} else if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if got := w.sizes(); !slices.Equal(got, []int{1, 4, 1, 1, 1, 1}) {
		t.Fatalf("batch sizes %v, want [1 4 1 1 1 1]", got)
	}
}

// An insert whose context ends while it waits returns the context's error
// and is left out of the batch; the batch it would have joined still runs,
// under a context the writer's own ending cannot cancel.
func TestATokenInsertWhoseContextEndsWhileQueuedIsNotWritten(t *testing.T) {
	var q tokenQueue
	w := newFakeWriter()
	leadCtx, cancelLead := context.WithCancel(context.Background())
	first := insertAll(leadCtx, &q, w, "first")
	<-w.started
	gone, cancel := context.WithCancel(context.Background())
	left := insertAll(gone, &q, w, "gone")
	waitQueued(t, &q, 1)
	stay := insertAll(context.Background(), &q, w, "stay")
	waitQueued(t, &q, 2)
	cancel()
	cancelLead() // the first batch is being written: it must still land
	close(w.release)
	if err := first()["first"]; err != nil {
		t.Fatalf("first: %v", err)
	}
	if err := left()["gone"]; !errors.Is(err, context.Canceled) {
		t.Fatalf("gone: %v, want context.Canceled", err)
	}
	if err := stay()["stay"]; err != nil {
		t.Fatalf("stay: %v", err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if want := [][]string{{"first"}, {"stay"}}; !slices.EqualFunc(w.batches, want, slices.Equal) {
		t.Fatalf("batches %v, want %v", w.batches, want)
	}
	if err := q.insert(gone, tok("late"), w.write); !errors.Is(err, context.Canceled) {
		t.Fatalf("insert under an ended context: %v, want context.Canceled", err)
	}
}

// However many wait, one batch holds at most maxTokenBatch inserts.
func TestATokenBatchHoldsAtMostMaxTokenBatch(t *testing.T) {
	ctx := context.Background()
	var q tokenQueue
	w := newFakeWriter()
	first := insertAll(ctx, &q, w, "first")
	<-w.started
	n := 2*maxTokenBatch + 5
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprint("t", i)
	}
	rest := insertAll(ctx, &q, w, names...)
	waitQueued(t, &q, n)
	close(w.release)
	first()
	for name, err := range rest() {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if got, want := w.sizes(), []int{1, maxTokenBatch, maxTokenBatch, 5}; !slices.Equal(got, want) {
		t.Fatalf("batch sizes %v, want %v", got, want)
	}
}

// A batch whose write panics tells each of its callers, hands the queue
// on, and only then lets the panic go up its writer's stack: no caller is
// left waiting and the next inserts are written.
func TestATokenBatchThatPanicsLeavesNoCallerWaiting(t *testing.T) {
	ctx := context.Background()
	var q tokenQueue
	w := newFakeWriter()
	w.panics = "boom"
	type outcome struct {
		err      error
		panicked any
	}
	got := make(chan outcome, 4)
	insert := func(name string) {
		go func() {
			defer func() {
				if p := recover(); p != nil {
					got <- outcome{panicked: p}
				}
			}()
			got <- outcome{err: q.insert(ctx, tok(name), w.write)}
		}()
	}
	insert("first")
	<-w.started
	for _, name := range []string{"a", "boom", "b"} {
		insert(name)
	}
	waitQueued(t, &q, 3)
	close(w.release)
	var ok, told, panics int
	for range 4 {
		var o outcome
		select {
		case o = <-got:
		case <-time.After(10 * time.Second):
			t.Fatalf("%d written, %d told, %d panics, and a caller is still waiting", ok, told, panics)
		}
		switch {
		case o.panicked != nil:
			panics++
		case errors.Is(o.err, errTokenBatchPanicked):
			told++
		case o.err == nil:
			ok++
		default:
			t.Fatalf("unexpected outcome %v", o.err)
		}
	}
	// "first" is written alone; of the batch that panics, its writer
	// panics and the two others are told.
	if ok != 1 || told != 2 || panics != 1 {
		t.Fatalf("%d written, %d told the batch panicked, %d panics; want 1, 2, 1", ok, told, panics)
	}
	if err := q.insert(ctx, tok("after"), w.write); err != nil {
		t.Fatalf("an insert after the panic: %v", err)
	}
}
