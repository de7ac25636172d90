package store

import (
	"context"
	"fmt"
	"time"

	"esp/lifecycle"
)

// A scheduler writes its outcomes a group at a time. On PostgreSQL each
// statement is a round trip to the server, so a group's transitions, their
// audit rows and their notices are written by one statement, which is its
// own transaction (pgBatchTransitionQuery), instead of a statement or two
// per transition between a BEGIN and a COMMIT.

// pgBatchTransitionQuery first locks the group's credentials in id order
// (locked): two writers of overlapping groups then wait for each other
// instead of deadlocking, as the one-by-one path does by writing in id
// order; every row the UPDATE changes comes through locked, so each row is
// locked there before anywhere else. It then applies a group of
// transitions given as arrays in step ($1..$12: each transition's credential, status left, status
// entered, time, due time, deadline, pending action, deactivated, claim,
// actor, audit event, detail), each only while its credential is still in
// the status it leaves and still carries the claim (transitionQuery's
// conditions); writes an audit row for each row it changed and no other;
// and queues a notice per admin with an address for the audit rows whose
// event is one of $13 (queueNoticesQuery's rows). It answers the changed
// credentials and their audit rows.
const pgBatchTransitionQuery = `WITH locked AS MATERIALIZED (
		SELECT id FROM credentials WHERE id = ANY ($1::bigint[]) ORDER BY id FOR UPDATE
	), v AS (
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[],
			$7::text[], $8::boolean[], $9::bigint[], $10::text[], $11::text[], $12::text[])
			AS v (id, from_status, to_status, at, due, deadline, pending, deactivated, claim, actor, action, detail)
	), changed AS (
		UPDATE credentials c SET status = v.to_status, changed_at = v.at, due_at = v.due, deadline_at = v.deadline,
			pending_action = NULLIF(v.pending, ''), attempts = 0,
			deactivated_at = CASE WHEN v.deactivated THEN v.at ELSE c.deactivated_at END
		FROM v JOIN locked l ON l.id = v.id
		WHERE c.id = v.id AND (c.claim = v.claim OR v.claim = 0) AND c.status = v.from_status
		RETURNING c.id, c.tenant_id, c.access_last4, v.at, v.actor, v.action, v.from_status, v.to_status, v.detail
	), audited AS (
		INSERT INTO audit (at, tenant_id, credential_id, access_last4, actor, action, from_status, to_status, detail)
		SELECT at, tenant_id, id, access_last4, actor, action, NULLIF(from_status, ''), NULLIF(to_status, ''), detail
		FROM changed ORDER BY id
		RETURNING id, credential_id, tenant_id, at, action
	), queued AS (
		INSERT INTO outbox (audit_id, user_id, rcpt, created_at, due_at)
		SELECT a.id, u.id, u.email, a.at, a.at FROM audited a JOIN users u ON u.tenant_id = a.tenant_id
		WHERE a.action = ANY ($13::text[]) AND u.is_admin AND u.email IS NOT NULL
	)
	SELECT credential_id FROM audited`

// batchTransitions is the columns of pgBatchTransitionQuery's arrays.
type batchTransitions struct {
	ids, claims, ats                     []int64
	dues, deadlines                      []*int64
	froms, tos, pending, actors, actions []string
	details                              []string
	deactivated                          []bool
}

func newBatchTransitions(ts []lifecycle.CredentialWrite) *batchTransitions {
	b := &batchTransitions{}
	for _, t := range ts {
		b.ids = append(b.ids, t.CredentialID)
		b.froms = append(b.froms, string(t.From[0]))
		b.tos = append(b.tos, string(t.To))
		b.ats = append(b.ats, t.At.UnixNano())
		b.dues = append(b.dues, nanosOrNil(t.DueAt))
		b.deadlines = append(b.deadlines, nanosOrNil(t.DeadlineAt))
		b.pending = append(b.pending, string(t.PendingAction))
		b.deactivated = append(b.deactivated, t.Deactivated)
		b.claims = append(b.claims, t.Claim)
		b.actors = append(b.actors, t.Actor)
		b.actions = append(b.actions, string(t.Action))
		b.details = append(b.details, storableDetail(t.Detail))
	}
	return b
}

// batchable says whether ts can be written by one statement: each leaves
// one known status (a write from several reads which one first) and no
// credential appears twice (one statement changes a row once).
func batchable(ts []lifecycle.CredentialWrite) bool {
	seen := make(map[int64]bool, len(ts))
	for _, t := range ts {
		if len(t.From) != 1 || seen[t.CredentialID] {
			return false
		}
		seen[t.CredentialID] = true
	}
	return len(ts) > 1
}

// applyBatch writes ts (batchable) with the one statement on db, queueing
// notices of the events in notify, and answers which of ts it skipped (by
// index, in order): those whose credential had left the status or claim.
func (postgresDialect) applyBatch(ctx context.Context, db querier, ts []lifecycle.CredentialWrite, notify []string) ([]int, error) {
	b := newBatchTransitions(ts)
	rows, err := db.QueryContext(ctx, pgBatchTransitionQuery, b.ids, b.froms, b.tos, b.ats, b.dues, b.deadlines,
		b.pending, b.deactivated, b.claims, b.actors, b.actions, b.details, notify)
	if err != nil {
		return nil, fmt.Errorf("store: transitions: %w", err)
	}
	defer rows.Close()
	changed := make(map[int64]bool, len(ts))
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: transitions: %w", err)
		}
		changed[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: transitions: %w", err)
	}
	var skipped []int
	for i, t := range ts {
		if !changed[t.CredentialID] {
			skipped = append(skipped, i)
		}
	}
	return skipped, nil
}

// nanosOrNil is t in Unix nanoseconds, or nil (NULL) for the zero time.
func nanosOrNil(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	n := t.UnixNano()
	return &n
}
