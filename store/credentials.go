package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"esp/lifecycle"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

const credentialColumns = `id, tenant_id, status, access_key, secret_hash, access_last4, secret_last4,
	created_at, changed_at, due_at, deadline_at, attempts, deactivated_at, last_used_at, coalesce(pending_action, '')`

func scanCredential(row interface{ Scan(...any) error }) (lifecycle.Credential, error) {
	var c lifecycle.Credential
	var created, changed int64
	var due, deadline, deactivated, lastUsed sql.NullInt64
	err := row.Scan(&c.ID, &c.TenantID, &c.Status, &c.AccessKey, &c.SecretHash, &c.AccessLast4, &c.SecretLast4,
		&created, &changed, &due, &deadline, &c.Attempts, &deactivated, &lastUsed, &c.PendingAction)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return lifecycle.Credential{}, lifecycle.ErrNotFound
		}
		return lifecycle.Credential{}, err
	}
	c.CreatedAt, c.ChangedAt = fromNanos(created), fromNanos(changed)
	c.DueAt, c.DeadlineAt = nullNanos(due), nullNanos(deadline)
	c.DeactivatedAt, c.LastUsedAt = nullNanos(deactivated), nullNanos(lastUsed)
	return c, nil
}

const currentCredentialQuery = `SELECT ` + credentialColumns + ` FROM credentials
	WHERE id = (SELECT current_credential_id FROM tenants WHERE id = $1)`

// CurrentCredential is the credential the tenant's window shows: the newest
// generated, unless it has been purged (then ErrNotFound). The answer may
// come from the read cache (readcache.go).
func (s *Store) CurrentCredential(ctx context.Context, tenantID int64) (lifecycle.Credential, error) {
	c, err := s.cachedCurrentCredential(ctx, tenantID)
	if err != nil {
		return lifecycle.Credential{}, fmt.Errorf("store: current credential of tenant %d: %w", tenantID, err)
	}
	return c, nil
}

// CredentialByID finds a credential by id.
func (s *Store) CredentialByID(ctx context.Context, id int64) (lifecycle.Credential, error) {
	c, err := scanCredential(s.read.QueryRowContext(ctx, `SELECT `+credentialColumns+` FROM credentials WHERE id = $1`, id))
	if err != nil {
		return lifecycle.Credential{}, fmt.Errorf("store: credential %d: %w", id, err)
	}
	return c, nil
}

// InsertCredential stores a new credential, makes it the tenant's current one
// and writes the audit row (actor, action), in one transaction. A second live
// credential for the tenant, or a second credential from one Generate
// request, is refused by the database's unique indexes: ErrConflict.
func (s *Store) InsertCredential(ctx context.Context, c lifecycle.Credential, actor string, event lifecycle.AuditEvent) (lifecycle.Credential, error) {
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		var request any // NULL, not an empty blob
		if c.GenerateRequest != nil {
			request = c.GenerateRequest
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO credentials (tenant_id, status, access_key, secret_hash,
			access_last4, secret_last4, created_at, changed_at, due_at, deadline_at, pending_action, generate_request)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULLIF($11, ''), $12) RETURNING id`,
			c.TenantID, string(c.Status), c.AccessKey, c.SecretHash, c.AccessLast4, c.SecretLast4,
			c.CreatedAt.UnixNano(), c.CreatedAt.UnixNano(), toNull(c.DueAt), toNull(c.DeadlineAt), string(c.PendingAction), request).Scan(&c.ID)
		if err != nil {
			return writeErr(err, "insert credential", fmt.Sprintf("tenant %d already has live credentials", c.TenantID))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tenants SET current_credential_id = $1 WHERE id = $2`, c.ID, c.TenantID); err != nil {
			return fmt.Errorf("store: set current credential: %w", err)
		}
		return insertAudit(ctx, tx.StmtContext(ctx, s.stmts.insertAudit), lifecycle.AuditEntry{At: c.CreatedAt, TenantID: c.TenantID,
			CredentialID: c.ID, AccessLast4: c.AccessLast4, Actor: actor, Action: event, ToStatus: c.Status})
	})
	if err != nil {
		return lifecycle.Credential{}, err
	}
	c.ChangedAt = c.CreatedAt
	return c, nil
}

// GeneratedByRequest reports whether one of the tenant's credentials was
// made by the Generate request whose id hashes to request.
func (s *Store) GeneratedByRequest(ctx context.Context, tenantID int64, request []byte) (bool, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM credentials WHERE tenant_id = $1 AND generate_request = $2`,
		tenantID, request).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: generate request of tenant %d: %w", tenantID, err)
	}
	return n > 0, nil
}

// ApplyTransitions applies each transition as one conditional UPDATE plus its
// audit row, all in one transaction. A transition whose row is no longer in
// one of its From statuses changes nothing and is reported in skipped (by
// index); ErrConflict is returned when every transition was skipped.
func (s *Store) ApplyTransitions(ctx context.Context, ts []lifecycle.CredentialWrite) (skipped []int, err error) {
	err = s.Tx(ctx, func(tx *sql.Tx) error {
		skipped = skipped[:0]
		// A scheduler tick applies a whole batch: its statements are the
		// writer's, prepared once.
		stmts := transitionStmts{
			status: tx.StmtContext(ctx, s.stmts.credentialStatus),
			update: tx.StmtContext(ctx, s.stmts.transition),
		}
		if !s.pg {
			stmts.audit = tx.StmtContext(ctx, s.stmts.transitionAudit)
		}
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
			ok, err := applyTransition(ctx, stmts, ts[i])
			if err != nil {
				return err
			}
			if !ok {
				skipped = append(skipped, i)
			}
		}
		slices.Sort(skipped)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(ts) > 0 && len(skipped) == len(ts) {
		return skipped, fmt.Errorf("store: credential no longer in the expected status: %w", lifecycle.ErrConflict)
	}
	return skipped, nil
}

// transitionStmts are ApplyTransitions' statements, in its transaction;
// audit is nil on PostgreSQL, where update writes the audit row.
type transitionStmts struct{ status, update, audit *sql.Stmt }

const credentialStatusQuery = `SELECT tenant_id, status, access_last4 FROM credentials WHERE id = $1`

// transitionQuery changes the status only while it is still the one
// expected (it then changes one row), so the audit row records the status
// really left.
const transitionQuery = `UPDATE credentials SET status = $1, changed_at = $2, due_at = $3, deadline_at = $4,
		pending_action = NULLIF($5, ''), attempts = 0, deactivated_at = CASE WHEN $6 THEN $2 ELSE deactivated_at END
	WHERE id = $7 AND (claim = $8 OR $8 = 0) AND status = $9`

// transitionAuditQuery is the audit row of a transition just applied, with
// what it needs of the credential read in the same statement.
const transitionAuditQuery = `INSERT INTO audit (at, tenant_id, credential_id, access_last4, actor, action,
		from_status, to_status, detail)
	SELECT $1, tenant_id, id, access_last4, $2, $3, NULLIF($4, ''), NULLIF($5, ''), $6 FROM credentials WHERE id = $7`

// pgTransitionQuery is both on PostgreSQL, in one statement (one round trip
// per transition): the audit row is inserted only when the UPDATE changed
// the row, so the rows inserted are the rows changed.
const pgTransitionQuery = `WITH changed AS (` + transitionQuery + `
	RETURNING id, tenant_id, access_last4)
	INSERT INTO audit (at, tenant_id, credential_id, access_last4, actor, action, from_status, to_status, detail)
	SELECT $2, tenant_id, id, access_last4, $10, $11, NULLIF($9, ''), NULLIF($1, ''), $12 FROM changed`

func applyTransition(ctx context.Context, stmts transitionStmts, t lifecycle.CredentialWrite) (bool, error) {
	if len(t.From) == 0 {
		return false, errors.New("store: transition without From statuses")
	}
	// A write from one status (the scheduler's outcomes) is the
	// conditional UPDATE alone. A write from several (Deactivate) first
	// reads which one the credential is in (on PostgreSQL locking the row,
	// so a transaction changing it is waited for), for the audit row.
	from := t.From[0]
	if len(t.From) > 1 {
		var column string
		err := stmts.status.QueryRowContext(ctx, t.CredentialID).Scan(new(int64), &column, new(string))
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("store: transition credential %d: %w", t.CredentialID, err)
		}
		if from = lifecycle.Status(column); !slices.Contains(t.From, from) {
			return false, nil
		}
	}
	at := t.At.UnixNano()
	args := []any{string(t.To), at, toNull(t.DueAt), toNull(t.DeadlineAt), string(t.PendingAction),
		t.Deactivated, t.CredentialID, t.Claim, string(from)}
	if stmts.audit == nil { // PostgreSQL: the update writes the audit row too
		args = append(args, t.Actor, string(t.Action), storableDetail(t.Detail))
	}
	res, err := stmts.update.ExecContext(ctx, args...)
	if err != nil {
		return false, fmt.Errorf("store: transition credential %d to %s: %w", t.CredentialID, t.To, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, err // no longer in that status, or no longer this claim's
	}
	if stmts.audit == nil {
		return true, nil
	}
	_, err = stmts.audit.ExecContext(ctx, at, t.Actor, string(t.Action), string(from), string(t.To), storableDetail(t.Detail), t.CredentialID)
	if err != nil {
		return false, fmt.Errorf("store: write audit: %w", err)
	}
	return true, nil
}

const insertAuditQuery = `INSERT INTO audit (at, tenant_id, credential_id, access_last4, actor, action,
		from_status, to_status, detail)
	VALUES ($1, $2, $3, $4, $5, $6, NULLIF($7, ''), NULLIF($8, ''), $9)`

// placeholders lists n parameters from $first on: "$3, $4, $5".
func placeholders(first, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(first+i))
	}
	return b.String()
}

// insertAudit writes e with stmt, insertAuditQuery in the caller's
// transaction.
func insertAudit(ctx context.Context, stmt *sql.Stmt, e lifecycle.AuditEntry) error {
	var cred sql.NullInt64
	if e.CredentialID != 0 {
		cred = sql.NullInt64{Int64: e.CredentialID, Valid: true}
	}
	_, err := stmt.ExecContext(ctx, e.At.UnixNano(), e.TenantID, cred, e.AccessLast4, e.Actor, string(e.Action),
		string(e.FromStatus), string(e.ToStatus), storableDetail(e.Detail))
	if err != nil {
		return fmt.Errorf("store: write audit: %w", err)
	}
	return nil
}

// storableDetail is an audit row's detail as a text column can hold it on
// both backends: the detail may quote what a remote gateway answered, so
// invalid UTF-8 becomes U+FFFD and NUL is dropped, rather than the write
// (and the transition with it) failing on PostgreSQL.
func storableDetail(d string) string {
	if storableText(d) {
		return d
	}
	return strings.ToValidUTF8(strings.ReplaceAll(d, "\x00", ""), "\uFFFD")
}

// auditColumns are the columns scanAudit reads, in its order.
const auditColumns = `id, at, tenant_id, coalesce(credential_id, 0), access_last4, actor, action,
	coalesce(from_status, ''), coalesce(to_status, ''), detail`

func scanAudit(rows *sql.Rows) ([]lifecycle.AuditEntry, error) {
	defer rows.Close()
	var out []lifecycle.AuditEntry
	for rows.Next() {
		var e lifecycle.AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.TenantID, &e.CredentialID, &e.AccessLast4, &e.Actor, &e.Action,
			&e.FromStatus, &e.ToStatus, &e.Detail); err != nil {
			return nil, err
		}
		e.At = fromNanos(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Audit lists the audit trail of a credential (credentialID > 0) or of every
// credential (0), oldest first.
func (s *Store) Audit(ctx context.Context, credentialID int64) ([]lifecycle.AuditEntry, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+auditColumns+`
		FROM audit WHERE credential_id = $1 OR $1 = 0 ORDER BY id`, credentialID)
	if err != nil {
		return nil, fmt.Errorf("store: audit: %w", err)
	}
	out, err := scanAudit(rows)
	if err != nil {
		return nil, fmt.Errorf("store: audit: %w", err)
	}
	return out, nil
}

// TenantAudit lists up to limit of a tenant's audit rows whose action is one
// of actions, newest first, starting below the id beforeID (0: from the
// newest). Ids only grow, so paging by the last id seen is stable while
// rows are added.
func (s *Store) TenantAudit(ctx context.Context, tenantID, beforeID int64, events []lifecycle.AuditEvent, limit int) ([]lifecycle.AuditEntry, error) {
	if len(events) == 0 {
		return nil, nil
	}
	if beforeID <= 0 {
		beforeID = math.MaxInt64
	}
	args := []any{tenantID, beforeID}
	for _, e := range events {
		args = append(args, string(e))
	}
	args = append(args, limit)
	rows, err := s.read.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit
		WHERE tenant_id = $1 AND id < $2 AND action IN (`+placeholders(3, len(events))+`)
		ORDER BY id DESC LIMIT $`+strconv.Itoa(3+len(events)), args...)
	if err != nil {
		return nil, fmt.Errorf("store: audit of tenant %d: %w", tenantID, err)
	}
	out, err := scanAudit(rows)
	if err != nil {
		return nil, fmt.Errorf("store: audit of tenant %d: %w", tenantID, err)
	}
	return out, nil
}

const dueCredentialsQuery = `SELECT ` + credentialColumns + ` FROM credentials
	WHERE due_at IS NOT NULL AND due_at <= $1 AND pending_action IS NOT NULL ORDER BY due_at LIMIT $2`

// DueCredentials lists up to limit credentials whose pending activator
// work is due.
func (s *Store) DueCredentials(ctx context.Context, now time.Time, limit int) ([]lifecycle.Credential, error) {
	rows, err := s.stmts.dueCredentials.QueryContext(ctx, now.UnixNano(), limit)
	if err != nil {
		return nil, fmt.Errorf("store: due credentials: %w", err)
	}
	defer rows.Close()
	var out []lifecycle.Credential
	for rows.Next() {
		c, err := scanCredential(rows)
		if err != nil {
			return nil, fmt.Errorf("store: due credentials: %w", err)
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
		return nil, fmt.Errorf("store: claim due credentials: %w", err)
	}
	ctx = context.WithoutCancel(ctx)
	var rows *sql.Rows
	var err error
	if s.pg {
		rows, err = s.DB.QueryContext(ctx, pgClaimDueQuery, pgClaimArgs(claims)...)
	} else {
		rows, err = s.stmts.claimDue.QueryContext(ctx, claimsJSON(claims))
	}
	if err != nil {
		return nil, fmt.Errorf("store: claim due credentials: %w", err)
	}
	defer rows.Close()
	tokens := map[int64]int64{}
	for rows.Next() {
		var id, token int64
		if err := rows.Scan(&id, &token); err != nil {
			return nil, fmt.Errorf("store: claim due credentials: %w", err)
		}
		tokens[id] = token
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: claim due credentials: %w", err)
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

// claimDueQuery claims a batch on SQLite: $1 is the claims as a JSON array
// of [id, status, due, until] (claimsJSON), walked by json_each, each
// element finding its row by primary key.
const claimDueQuery = `UPDATE credentials SET due_at = c.value ->> 3, attempts = attempts + 1, claim = claim + 1
	FROM json_each($1) AS c
	WHERE credentials.id = c.value ->> 0 AND credentials.status = c.value ->> 1 AND credentials.due_at = c.value ->> 2
	RETURNING credentials.id, credentials.claim`

// claimsJSON is claimDueQuery's parameter. Statuses are written between
// quotes as they are: ClaimDue has checked that each is one of the
// lifecycle's, all lower-case letters and underscores, which need no
// escaping.
func claimsJSON(claims []lifecycle.Claim) string {
	b := make([]byte, 0, 64*len(claims))
	b = append(b, '[')
	for i, c := range claims {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendInt(b, c.CredentialID, 10)
		b = append(b, ',', '"')
		b = append(b, string(c.Status)...)
		b = append(b, '"', ',')
		b = strconv.AppendInt(b, c.DueAt.UnixNano(), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, c.Until.UnixNano(), 10)
		b = append(b, ']')
	}
	return string(append(b, ']'))
}

// RenewClaims moves each claim's lease on to its Until, in one
// transaction, where the row still carries the claim's token and status;
// it returns the ids of the claims that no longer hold.
func (s *Store) RenewClaims(ctx context.Context, claims []lifecycle.Claim) (lost []int64, err error) {
	err = s.Tx(ctx, func(tx *sql.Tx) error {
		lost = lost[:0]
		stmt, err := tx.PrepareContext(ctx, `UPDATE credentials SET due_at = $1 WHERE id = $2 AND status = $3 AND claim = $4`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		// In id order, as every batch of writes to credentials: two
		// transactions over the same rows then wait for each other instead
		// of deadlocking (PostgreSQL).
		byID := slices.Clone(claims)
		slices.SortFunc(byID, func(a, b lifecycle.Claim) int { return cmp.Compare(a.CredentialID, b.CredentialID) })
		for _, c := range byID {
			res, err := stmt.ExecContext(ctx, c.Until.UnixNano(), c.CredentialID, string(c.Status), c.Token)
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
	_, err := s.DB.ExecContext(ctx, `UPDATE credentials SET due_at = $1 WHERE id = $2 AND status = $3 AND claim = $4`,
		due.UnixNano(), c.CredentialID, string(c.Status), c.Token)
	if err != nil {
		return fmt.Errorf("store: reschedule credential %d: %w", c.CredentialID, err)
	}
	return nil
}

// PurgeDeactivated deletes credentials deactivated at or before cutoff and
// writes one audit row (actor, action) per purged credential, in one
// transaction. It returns how many were purged.
func (s *Store) PurgeDeactivated(ctx context.Context, cutoff, now time.Time, actor string, event lifecycle.AuditEvent) (int, error) {
	var n int
	err := s.Tx(ctx, func(tx *sql.Tx) (err error) {
		n, err = s.purgeTx(ctx, tx, cutoff, now, actor, event)
		return err
	})
	return n, err
}

// PurgeOnSchedule is the scheduler's purge: it runs only if the scheduler
// fact name still holds last (lastOK false: only if unset), and records now
// in it, in the same transaction as the purge. So two schedulers never
// purge twice in one period, and a failed purge leaves the fact unchanged
// for the next tick to try again.
func (s *Store) PurgeOnSchedule(ctx context.Context, name string, last int64, lastOK bool, cutoff, now time.Time, actor string, event lifecycle.AuditEvent) (ran bool, n int, err error) {
	err = s.Tx(ctx, func(tx *sql.Tx) error {
		var res sql.Result
		var err error
		if lastOK {
			res, err = tx.ExecContext(ctx, `UPDATE scheduler_state SET value = $1 WHERE name = $2 AND value = $3`, now.UnixNano(), name, last)
		} else {
			res, err = tx.ExecContext(ctx, `INSERT INTO scheduler_state (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, now.UnixNano())
		}
		if err != nil {
			return fmt.Errorf("store: set scheduler state %s: %w", name, err)
		}
		if k, _ := res.RowsAffected(); k != 1 {
			return nil // another scheduler ran this period's purge
		}
		ran = true
		n, err = s.purgeTx(ctx, tx, cutoff, now, actor, event)
		return err
	})
	if err != nil {
		return false, 0, err
	}
	return ran, n, nil
}

// purgeTx names the purged status in its SQL, as the partial index
// credentials_purge does, so that SQLite can use that index.
func (s *Store) purgeTx(ctx context.Context, tx *sql.Tx, cutoff, now time.Time, actor string, event lifecycle.AuditEvent) (int, error) {
	if s.pg {
		res, err := tx.ExecContext(ctx, pgPurgeQuery, cutoff.UnixNano(), now.UnixNano(), actor, string(event))
		if err != nil {
			return 0, fmt.Errorf("store: purge: %w", err)
		}
		n, _ := res.RowsAffected()
		return int(n), nil
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO audit (at, tenant_id, credential_id, access_last4, actor, action,
		from_status, to_status, detail)
		SELECT $1, tenant_id, id, access_last4, $2, $3, status, NULL, '' FROM credentials
		WHERE status = 'deactivated' AND deactivated_at <= $4`, now.UnixNano(), actor, string(event), cutoff.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("store: purge audit: %w", err)
	}
	audited, _ := res.RowsAffected()
	res, err = tx.ExecContext(ctx, `DELETE FROM credentials WHERE status = 'deactivated' AND deactivated_at <= $1`, cutoff.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("store: purge: %w", err)
	}
	deleted, _ := res.RowsAffected()
	if deleted != audited {
		return 0, fmt.Errorf("store: purge deleted %d rows but audited %d", deleted, audited)
	}
	return int(deleted), nil
}

const schedulerValueQuery = `SELECT value FROM scheduler_state WHERE name = $1`

// SchedulerValue reads a persistent scheduler fact; ok is false when unset.
func (s *Store) SchedulerValue(ctx context.Context, name string) (value int64, ok bool, err error) {
	err = s.stmts.schedulerValue.QueryRowContext(ctx, name).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("store: scheduler state %s: %w", name, err)
	}
	return value, true, nil
}
