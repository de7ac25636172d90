package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// Group commit of new tokens.
//
// Every token exchange writes its token, and SQLite commits one write
// transaction at a time: under concurrent exchanges the BEGIN and COMMIT
// of each (the WAL append and its bookkeeping) were about half of an
// exchange's server CPU (pprof, `make bench` row 3). InsertToken therefore
// joins the tokens that arrive while another transaction is committing
// into the next single transaction. Each caller still returns only after
// its own token is committed, with its own error: if a shared transaction
// fails, its tokens are retried one by one.
type tokenBatcher struct {
	mu      sync.Mutex
	pending []*tokenInsert
	leading bool // a caller is writing a batch; the others wait for it
}

type tokenInsert struct {
	t    Token
	done chan tokenResult // one result, or the word to lead the next batch
}

type tokenResult struct {
	err  error
	lead bool
}

// InsertToken stores a new token and, in the same transaction, deletes the
// tokens that have expired by its creation time. Concurrent calls share
// one transaction (see tokenBatcher).
func (s *Store) InsertToken(ctx context.Context, t Token) error {
	b := &s.tokens
	req := &tokenInsert{t: t, done: make(chan tokenResult, 1)}
	b.mu.Lock()
	b.pending = append(b.pending, req)
	lead := !b.leading
	b.leading = true
	b.mu.Unlock()
	for {
		if lead {
			b.mu.Lock()
			batch := b.pending
			b.pending = nil
			b.mu.Unlock()
			// The batch carries other callers' tokens: it must not end with
			// this caller's context.
			s.insertTokenBatch(context.WithoutCancel(ctx), batch)
			b.mu.Lock()
			if len(b.pending) > 0 {
				// Hand over: the first waiter writes the next batch, so no
				// caller keeps writing for others under sustained load.
				b.pending[0].done <- tokenResult{lead: true}
			} else {
				b.leading = false
			}
			b.mu.Unlock()
		}
		r := <-req.done
		if !r.lead {
			return r.err
		}
		lead = true
	}
}

// insertTokenBatch writes batch in one transaction and tells each caller
// how it went; when that fails, it writes them one by one instead.
func (s *Store) insertTokenBatch(ctx context.Context, batch []*tokenInsert) {
	err := s.insertTokens(ctx, batch)
	if err == nil || len(batch) == 1 {
		for _, r := range batch {
			r.done <- tokenResult{err: err}
		}
		return
	}
	for _, r := range batch {
		r.done <- tokenResult{err: s.insertTokens(ctx, []*tokenInsert{r})}
	}
}

func (s *Store) insertTokens(ctx context.Context, batch []*tokenInsert) error {
	return s.Tx(ctx, func(tx *sql.Tx) error {
		oldest := batch[0].t.CreatedAt
		insert := tx.StmtContext(ctx, s.stmts.insertToken)
		for _, r := range batch {
			t := r.t
			_, err := insert.ExecContext(ctx, t.Hash, t.CredentialID, t.TenantID, t.CreatedAt.UnixNano(), t.ExpiresAt.UnixNano())
			if err != nil {
				if IsConstraint(err) {
					return fmt.Errorf("store: insert token: %w", ErrConflict)
				}
				return fmt.Errorf("store: insert token: %w", err)
			}
			if t.CreatedAt.Before(oldest) {
				oldest = t.CreatedAt
			}
		}
		// Expired by the creation time of every token of the batch: the
		// same rows a transaction per token would have deleted by now.
		if _, err := tx.StmtContext(ctx, s.stmts.deleteExpiredTokens).ExecContext(ctx, oldest.UnixNano()); err != nil {
			return fmt.Errorf("store: delete expired tokens: %w", err)
		}
		return nil
	})
}
