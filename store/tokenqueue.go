package store

import (
	"context"
	"errors"
	"sync"

	"esp/lifecycle"
)

// maxTokenBatch bounds one transaction of token inserts, so that a batch
// holds the writer about as long as a single transition does.
const maxTokenBatch = 128

// tokenQueue is a group commit for token inserts. Every exchange writes
// one small row; one transaction each would make the database's writer
// commit once per exchange. Instead, the caller that finds no batch being
// written writes one: its own token and every token queued meanwhile, in
// one transaction. Whoever arrives while it writes waits in the queue; when
// the batch is done, the first of them writes the next one. No goroutine
// runs in the background, and a lone exchange is written at once.
type tokenQueue struct {
	mu      sync.Mutex
	waiting []*tokenInsert
	writing bool // a caller is writing a batch
}

type tokenInsert struct {
	ctx  context.Context
	t    lifecycle.Token
	done chan tokenOutcome // one outcome at a time, buffered
	// answered is set once done has this insert's result (by the writer of
	// its batch only).
	answered bool
}

// tokenOutcome is either the insert's result or, with next set, the turn
// to write the next batch.
type tokenOutcome struct {
	err  error
	next bool
}

// insert queues t and returns once it is written (or refused). write is
// the transaction that stores a batch.
func (q *tokenQueue) insert(ctx context.Context, t lifecycle.Token, write func(context.Context, []lifecycle.Token) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	me := &tokenInsert{ctx: ctx, t: t, done: make(chan tokenOutcome, 1)}
	q.mu.Lock()
	q.waiting = append(q.waiting, me)
	mine := !q.writing
	q.writing = true
	q.mu.Unlock()
	for {
		if mine {
			q.writeBatch(ctx, write)
		}
		// Not abandoned when ctx ends: the turn to write may be handed
		// here, and a batch takes milliseconds.
		o := <-me.done
		if !o.next {
			return o.err
		}
		mine = true
	}
}

// writeBatch writes the queued inserts (the writer's own among them),
// answers each, then hands the writing to the first one still waiting.
// Should write panic, every caller of the batch is told so and the queue
// goes on before the panic does: no caller is left waiting.
func (q *tokenQueue) writeBatch(ctx context.Context, write func(context.Context, []lifecycle.Token) error) {
	q.mu.Lock()
	n := min(len(q.waiting), maxTokenBatch)
	batch := q.waiting[:n:n]
	q.waiting = q.waiting[n:]
	q.mu.Unlock()

	answer := func(r *tokenInsert, err error) {
		r.done <- tokenOutcome{err: err}
		r.answered = true
	}
	defer func() {
		p := recover()
		for _, r := range batch {
			if !r.answered {
				r.done <- tokenOutcome{err: errTokenBatchPanicked}
			}
		}
		q.handOff()
		if p != nil {
			panic(p)
		}
	}()

	live := make([]*tokenInsert, 0, len(batch))
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			answer(r, err)
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	// The batch carries other callers' tokens: it must not end with this
	// caller's context.
	wctx := context.WithoutCancel(ctx)
	ts := make([]lifecycle.Token, len(live))
	for i, r := range live {
		ts[i] = r.t
	}
	err := write(wctx, ts)
	if err != nil && len(live) > 1 {
		// One bad row (a duplicate, a credential just purged) must not fail
		// the others: each is written alone and told its own result.
		for _, r := range live {
			answer(r, write(wctx, []lifecycle.Token{r.t}))
		}
		return
	}
	for _, r := range live {
		answer(r, err)
	}
}

// errTokenBatchPanicked is the outcome of the inserts of a batch whose
// write panicked.
var errTokenBatchPanicked = errors.New("store: insert token: the batch's write failed unexpectedly")

// handOff gives the writing to the first insert waiting, or marks the
// queue idle.
func (q *tokenQueue) handOff() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.waiting) > 0 {
		q.waiting[0].done <- tokenOutcome{next: true}
		return
	}
	q.writing = false
}
