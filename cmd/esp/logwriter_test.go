package main

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// recordingWriter records what is written to it and in how many calls.
type recordingWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	calls int
}

func (r *recordingWriter) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	return r.buf.Write(p)
}

func (r *recordingWriter) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String()
}

func (r *recordingWriter) Calls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

// Records written at once from many goroutines all come out, each whole
// and each goroutine's in its own order, batched: here, where the queue
// never fills and no flush is due before Close, in one call.
func TestLogWriterWritesEveryRecordWholeAndInOrder(t *testing.T) {
	out := &recordingWriter{}
	l := &logWriter{out: out, delay: time.Hour, limit: 1 << 30}
	const writers, records = 50, 200
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range records {
				fmt.Fprintf(l, "writer=%d record=%d %s\n", w, i, strings.Repeat("x", 40))
			}
		})
	}
	wg.Wait()
	if out.Calls() != 0 {
		t.Fatalf("%d writes before any flush was due", out.Calls())
	}
	l.Close()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != writers*records {
		t.Fatalf("%d lines, want %d", len(lines), writers*records)
	}
	next := make([]int, writers)
	for _, line := range lines {
		var w, i int
		var rest string
		if _, err := fmt.Sscanf(line, "writer=%d record=%d %s", &w, &i, &rest); err != nil || rest != strings.Repeat("x", 40) {
			t.Fatalf("a broken line: %q (%v)", line, err)
		}
		if i != next[w] {
			t.Fatalf("writer %d: record %d came where %d was next", w, i, next[w])
		}
		next[w]++
	}
	if out.Calls() != 1 {
		t.Fatalf("%d writes to the output, want 1", out.Calls())
	}
}

// A lone record goes out by itself after the delay: no Close, no second
// record.
func TestLogWriterWritesALoneRecordAfterTheDelay(t *testing.T) {
	out := &recordingWriter{}
	l := newLogWriter(out)
	defer l.Close()
	l.Write([]byte("alone\n"))
	for deadline := time.Now().Add(10 * time.Second); out.String() != "alone\n"; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the record was not written: %q", out.String())
		}
	}
}

// The Write that fills the queue writes the whole queue in one call, the
// delay notwithstanding; Close writes the rest, and records written after
// it go straight out, after everything queued before.
func TestLogWriterWritesAFullQueueAtOnceAndDirectlyAfterClose(t *testing.T) {
	out := &recordingWriter{}
	l := &logWriter{out: out, delay: time.Hour, limit: 10}
	l.Write([]byte("01234\n"))
	if out.Calls() != 0 {
		t.Fatal("a record below the limit was written at once")
	}
	l.Write([]byte("5678\n"))
	if got := out.String(); got != "01234\n5678\n" || out.Calls() != 1 {
		t.Fatalf("after the queue filled: %q in %d calls, want both records in 1", got, out.Calls())
	}
	l.Write([]byte("queued\n"))
	l.Close()
	l.Write([]byte("after\n"))
	if got, want := out.String(), "01234\n5678\nqueued\nafter\n"; got != want || out.Calls() != 3 {
		t.Fatalf("output %q in %d calls, want %q in 3", got, out.Calls(), want)
	}
}
