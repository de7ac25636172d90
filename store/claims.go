package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"esp/lifecycle"
)

// The scheduler's claims: a due credential is leased by moving its due
// time on (ClaimDue), renewed while its activator call runs
// (RenewClaims), and released by the outcome's transition or a retry's
// new due time (Reschedule).

const dueCredentialsQuery = `SELECT ` + credentialColumns + ` FROM credentials
	WHERE due_at IS NOT NULL AND due_at <= $1 AND pending_action IS NOT NULL ORDER BY due_at LIMIT $2`

// DueCredentials lists up to limit credentials whose pending activator
// work is due.
func (s *Store) DueCredentials(ctx context.Context, now time.Time, limit int) ([]lifecycle.Credential, error) {
	rows, err := s.stmts.dueCredentials.QueryContext(ctx, now.UnixNano(), limit)
	if err != nil {
		return nil, fmt.Errorf("store: due credentials: %w", s.Reach(err))
	}
	defer rows.Close()
	var out []lifecycle.Credential
	for rows.Next() {
		c, err := scanCredential(rows)
		if err != nil {
			return nil, fmt.Errorf("store: due credentials: %w", s.Reach(err))
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ClaimDue moves each claimed row's due time on to the claim's Until,
// counts the attempt and gives the row its next claim number, all in one
// statement; it returns the claims that held, in the order asked, with
// their tokens. A claim holds where the row is still in the status and at
// the due time the claim read. Only the first claim listed for a
// credential is tried.
//
// An ended context is refused before the statement. The statement itself
// runs to its end whatever the context does: its changes are made on its
// first step, so a context ending while the claimed rows are read would
// leave rows claimed that the caller never hears of.
func (s *Store) ClaimDue(ctx context.Context, claims []lifecycle.Claim) ([]lifecycle.Claim, error) {
	claims = firstClaims(claims)
	if len(claims) == 0 {
		return nil, nil
	}
	for _, c := range claims {
		if !c.Status.Valid() {
			return nil, fmt.Errorf("store: claim of credential %d: no such status %q", c.CredentialID, c.Status)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: claim due credentials: %w", s.Reach(err))
	}
	ctx = context.WithoutCancel(ctx)
	rows, err := s.dialect.claimDue(ctx, claims)
	if err != nil {
		return nil, fmt.Errorf("store: claim due credentials: %w", s.Reach(err))
	}
	defer rows.Close()
	tokens := map[int64]int64{}
	for rows.Next() {
		var id, token int64
		if err := rows.Scan(&id, &token); err != nil {
			return nil, fmt.Errorf("store: claim due credentials: %w", s.Reach(err))
		}
		tokens[id] = token
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: claim due credentials: %w", s.Reach(err))
	}
	var won []lifecycle.Claim
	for _, c := range claims {
		if token, ok := tokens[c.CredentialID]; ok {
			c.Token = token
			won = append(won, c)
		}
	}
	return won, nil
}

// firstClaims is claims without the later ones for a credential already
// listed, in order.
func firstClaims(claims []lifecycle.Claim) []lifecycle.Claim {
	seen := make(map[int64]bool, len(claims))
	out := claims[:0:0]
	for _, c := range claims {
		if !seen[c.CredentialID] {
			seen[c.CredentialID] = true
			out = append(out, c)
		}
	}
	return out
}

// renewClaimQuery moves a claim's due time ($1) where the row ($2) still
// has the claim's status ($3) and token ($4).
const renewClaimQuery = `UPDATE credentials SET due_at = $1 WHERE id = $2 AND status = $3 AND claim = $4`

// RenewClaims moves each claim's lease on to its Until, in one
// transaction, where the row still carries the claim's token and status;
// it returns the ids of the claims that no longer hold.
func (s *Store) RenewClaims(ctx context.Context, claims []lifecycle.Claim) (lost []int64, err error) {
	err = s.Tx(ctx, func(tx *sql.Tx) error {
		lost = lost[:0]
		// In id order, as every batch of writes to credentials: two
		// transactions over the same rows then wait for each other instead
		// of deadlocking (PostgreSQL).
		byID := slices.Clone(claims)
		slices.SortFunc(byID, func(a, b lifecycle.Claim) int { return cmp.Compare(a.CredentialID, b.CredentialID) })
		for _, c := range byID {
			// Not prepared: on PostgreSQL a named statement would outlive
			// the transaction on a server connection PgBouncer shares.
			res, err := tx.ExecContext(ctx, renewClaimQuery, c.Until.UnixNano(), c.CredentialID, string(c.Status), c.Token)
			if err != nil {
				return fmt.Errorf("store: renew claim of credential %d: %w", c.CredentialID, err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				lost = append(lost, c.CredentialID)
			}
		}
		return nil
	})
	return lost, err
}

// Reschedule sets the next due time of a claimed credential after a failed
// attempt that will be retried, if the claim still holds.
func (s *Store) Reschedule(ctx context.Context, c lifecycle.Claim, due time.Time) error {
	_, err := s.DB.ExecContext(ctx, renewClaimQuery,
		due.UnixNano(), c.CredentialID, string(c.Status), c.Token)
	if err != nil {
		return fmt.Errorf("store: reschedule credential %d: %w", c.CredentialID, s.Reach(err))
	}
	return nil
}
