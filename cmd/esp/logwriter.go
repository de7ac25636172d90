package main

import (
	"io"
	"sync"
	"time"
)

const (
	// logFlushDelay is the longest a log record waits in logWriter's queue.
	logFlushDelay = 10 * time.Millisecond
	// logFlushBytes is how much may queue before a Write writes it all at
	// once.
	logFlushBytes = 64 << 10
)

// logWriter is the server's log output: records are queued and written a
// batch per call, at the latest logFlushDelay after the first of the batch,
// or as soon as logFlushBytes have queued. The logger writes each record
// under its own lock, so writing each one straight through would put a
// system call in every request and make the requests logged behind it
// wait for it; batched, one call carries every line of the last few
// milliseconds. Order is kept. Close writes what is queued; after it,
// records go straight to the output. Records still queued when the process
// dies without Close (a crash) are lost: at most the last logFlushDelay's.
type logWriter struct {
	out   io.Writer
	delay time.Duration
	limit int

	writing sync.Mutex // held while a batch is written: batches go out in order

	mu     sync.Mutex
	queued []byte
	spare  []byte // the last batch's memory, for the next
	armed  bool   // a flush is set for the queued records
	closed bool
}

func newLogWriter(out io.Writer) *logWriter {
	return &logWriter{out: out, delay: logFlushDelay, limit: logFlushBytes}
}

func (l *logWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		l.writing.Lock()
		defer l.writing.Unlock()
		return l.out.Write(p)
	}
	l.queued = append(l.queued, p...)
	full := len(l.queued) >= l.limit
	if !full && !l.armed {
		l.armed = true
		time.AfterFunc(l.delay, l.flush)
	}
	l.mu.Unlock()
	if full {
		l.flush()
	}
	return len(p), nil
}

// flush writes every queued record in one call.
func (l *logWriter) flush() {
	l.writing.Lock()
	defer l.writing.Unlock()
	l.writeQueued(false)
}

// writeQueued takes the queue (closing the writer if close) and writes it;
// the caller holds l.writing.
func (l *logWriter) writeQueued(close bool) {
	l.mu.Lock()
	buf := l.queued
	l.queued, l.spare, l.armed = l.spare[:0], nil, false
	l.closed = l.closed || close
	l.mu.Unlock()
	if len(buf) == 0 {
		return // a timer set for records a full queue has written already
	}
	l.out.Write(buf) // a log line that cannot be written has nowhere else to go
	if cap(buf) <= 2*l.limit {
		l.mu.Lock()
		l.spare = buf[:0]
		l.mu.Unlock()
	}
}

// Close writes what is queued; later records are written directly, after
// it.
func (l *logWriter) Close() error {
	l.writing.Lock()
	defer l.writing.Unlock()
	l.writeQueued(true)
	return nil
}
