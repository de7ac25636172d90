package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"esp/lifecycle"
)

// ApplyTransitions applies each transition as one conditional UPDATE plus its
// audit row (and its notices), all in one transaction. A transition whose
// row is no longer in one of its From statuses changes nothing and is
// reported in skipped (by index); ErrConflict is returned when every
// transition was skipped. A dialect that can (batchDialect) writes a group
// of transitions from one status each with one statement, a transaction
// of its own.
func (s *Store) ApplyTransitions(ctx context.Context, ts []lifecycle.CredentialWrite) (skipped []int, err error) {
	if b, ok := s.dialect.(batchDialect); ok && batchable(ts) {
		skipped, err = b.applyBatch(ctx, s.DB, ts, s.notifiedEvents())
		err = s.Reach(err) // as Tx marks its own: the scheduler writes the outcome again once the database is back
	} else {
		err = s.Tx(ctx, func(tx *sql.Tx) error {
			var err error
			skipped, err = s.applyEach(ctx, tx, ts)
			return err
		})
	}
	if err != nil {
		return nil, err
	}
	if len(ts) > 0 && len(skipped) == len(ts) {
		return skipped, fmt.Errorf("store: credential no longer in the expected status: %w", lifecycle.ErrConflict)
	}
	return skipped, nil
}

// batchDialect is a dialect that writes a group of transitions (batchable)
// with one statement, whatever their number: PostgreSQL, where each
// statement is a round trip to the server. SQLite runs in the process,
// where a statement a transition costs little.
type batchDialect interface {
	applyBatch(ctx context.Context, db querier, ts []lifecycle.CredentialWrite, notify []string) (skipped []int, err error)
}

// applyEach applies ts one by one in tx, and answers those it skipped.
func (s *Store) applyEach(ctx context.Context, tx *sql.Tx, ts []lifecycle.CredentialWrite) ([]int, error) {
	var skipped []int
	// A scheduler tick applies a whole batch: its statements are
	// readied once for the transaction.
	status := s.stmts.credentialStatus.in(ctx, tx)
	write := s.dialect.transitions(ctx, tx)
	// The rows are written (and on PostgreSQL locked) in id order,
	// whatever the order of ts: two transactions writing the same rows
	// (two schedulers timing out one batch) then wait for each other
	// instead of deadlocking.
	order := make([]int, len(ts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(ts[a].CredentialID, ts[b].CredentialID) })
	for _, i := range order {
		auditID, err := applyTransition(ctx, status, write, ts[i])
		if err != nil {
			return nil, err
		}
		if auditID == 0 {
			skipped = append(skipped, i)
			continue
		}
		if err := s.queueNotices(ctx, tx, auditID, ts[i].Action); err != nil {
			return nil, err
		}
	}
	slices.Sort(skipped)
	return skipped, nil
}

// credentialStatusQuery reads the status a transition starts from. On
// PostgreSQL it locks the row until the transition's transaction ends
// (dialect.lockRows): a transaction that has changed the status and not
// committed yet (a scheduler's outcome) is waited for, and the status it
// commits is the one read. SQLite's writer runs one transaction at a time.
const credentialStatusQuery = `SELECT tenant_id, status, access_last4 FROM credentials WHERE id = $1`

// transitionQuery changes the status only while it is still the one
// expected (it then changes one row), so the audit row records the status
// really left.
const transitionQuery = `UPDATE credentials SET status = $1, changed_at = $2, due_at = $3, deadline_at = $4,
		pending_action = NULLIF($5, ''), attempts = 0, deactivated_at = CASE WHEN $6 THEN $2 ELSE deactivated_at END
	WHERE id = $7 AND (claim = $8 OR $8 = 0) AND status = $9`

// transitionArgs are transitionQuery's parameters for t leaving from.
func transitionArgs(t lifecycle.CredentialWrite, from lifecycle.Status) []any {
	return []any{string(t.To), t.At.UnixNano(), toNull(t.DueAt), toNull(t.DeadlineAt), string(t.PendingAction),
		t.Deactivated, t.CredentialID, t.Claim, string(from)}
}

// applyTransition applies t with write, status being credentialStatusQuery
// in the same transaction, and answers its audit row's id (0: skipped).
func applyTransition(ctx context.Context, status statement, write writeTransition, t lifecycle.CredentialWrite) (int64, error) {
	if len(t.From) == 0 {
		return 0, errors.New("store: transition without From statuses")
	}
	// A write from one status (the scheduler's outcomes) is the
	// conditional UPDATE alone. A write from several (Deactivate) first
	// reads which one the credential is in (on PostgreSQL locking the row,
	// so a transaction changing it is waited for), for the audit row.
	from := t.From[0]
	if len(t.From) > 1 {
		var column string
		err := status.QueryRowContext(ctx, t.CredentialID).Scan(new(int64), &column, new(string))
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil
		}
		if err != nil {
			return 0, fmt.Errorf("store: transition credential %d: %w", t.CredentialID, err)
		}
		if from = lifecycle.Status(column); !slices.Contains(t.From, from) {
			return 0, nil
		}
	}
	id, err := write(t, from)
	if err != nil {
		return 0, fmt.Errorf("store: transition credential %d to %s: %w", t.CredentialID, t.To, err)
	}
	return id, nil
}
