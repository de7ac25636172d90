package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"esp/lifecycle"
)

// sqliteDialect is SQLite's way: the hot paths' statements prepared once
// on their pool, a batch of claims as one JSON parameter, and statements
// of its own where its one writer makes two plain statements as safe as
// PostgreSQL's one.
type sqliteDialect struct {
	read *sql.DB
	// On the writer; used in transactions through tx.StmtContext.
	transition, transitionAudit, claimDueStmt *sql.Stmt
}

func newSQLiteDialect(ctx context.Context, write, read *sql.DB) (*sqliteDialect, error) {
	d := &sqliteDialect{read: read}
	for _, p := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		{&d.transition, transitionQuery},
		{&d.transitionAudit, transitionAuditQuery},
		{&d.claimDueStmt, claimDueQuery},
	} {
		stmt, err := write.PrepareContext(ctx, p.query)
		if err != nil {
			d.close()
			return nil, prepareErr(p.query, err)
		}
		*p.stmt = stmt
	}
	return d, nil
}

func (d *sqliteDialect) close() error {
	for _, stmt := range []*sql.Stmt{d.transition, d.transitionAudit, d.claimDueStmt} {
		if stmt != nil {
			stmt.Close()
		}
	}
	return nil
}

func (*sqliteDialect) prepare(ctx context.Context, db *sql.DB, query string) (statement, error) {
	stmt, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, prepareErr(query, err)
	}
	return prepared{stmt}, nil
}

// txOptions is the default: BEGIN IMMEDIATE, from the writer's options.
func (*sqliteDialect) txOptions() *sql.TxOptions { return nil }

// lockRows leaves query as it is: the one writer runs one transaction at
// a time.
func (*sqliteDialect) lockRows(query string) string { return query }

// skipLocked leaves query as it is: a claim is one statement of the one
// writer, so no row is ever being claimed while another reads.
func (*sqliteDialect) skipLocked(query string) string { return query }

// transitionAuditQuery is the audit row of a transition just applied, with
// what it needs of the credential read in the same statement.
const transitionAuditQuery = `INSERT INTO audit (at, tenant_id, credential_id, access_last4, actor, action,
		from_status, to_status, detail)
	SELECT $1, tenant_id, id, access_last4, $2, $3, NULLIF($4, ''), NULLIF($5, ''), $6 FROM credentials WHERE id = $7
	RETURNING id`

// transitions writes each transition in two statements, the conditional
// UPDATE and then, when it changed the row, the audit row.
func (d *sqliteDialect) transitions(ctx context.Context, tx *sql.Tx) writeTransition {
	update, audit := tx.StmtContext(ctx, d.transition), tx.StmtContext(ctx, d.transitionAudit)
	return func(t lifecycle.CredentialWrite, from lifecycle.Status) (int64, error) {
		res, err := update.ExecContext(ctx, transitionArgs(t, from)...)
		if err != nil {
			return 0, err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return 0, err // no longer in that status, or no longer this claim's
		}
		var id int64
		err = audit.QueryRowContext(ctx, t.At.UnixNano(), t.Actor, string(t.Action), string(from), string(t.To),
			storableDetail(t.Detail), t.CredentialID).Scan(&id)
		if err != nil {
			return 0, fmt.Errorf("write audit: %w", err)
		}
		return id, nil
	}
}

func (d *sqliteDialect) claimDue(ctx context.Context, claims []lifecycle.Claim) (*sql.Rows, error) {
	return d.claimDueStmt.QueryContext(ctx, claimsJSON(claims))
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

// purge audits, then deletes, in two statements of the one writer's
// transaction. Both name the purged status in their SQL, as the partial
// index credentials_purge does, so that SQLite can use that index.
func (*sqliteDialect) purge(ctx context.Context, tx *sql.Tx, p lifecycle.Purge) (int, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO audit (at, tenant_id, credential_id, access_last4, actor, action,
		from_status, to_status, detail)
		SELECT $2, tenant_id, id, access_last4, $3, $4, status, NULL, '' FROM credentials
		WHERE status = 'deactivated' AND deactivated_at <= $1`, purgeArgs(p)...)
	if err != nil {
		return 0, fmt.Errorf("store: purge audit: %w", err)
	}
	audited, _ := res.RowsAffected()
	res, err = tx.ExecContext(ctx, `DELETE FROM credentials WHERE status = 'deactivated' AND deactivated_at <= $1`, p.Cutoff.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("store: purge: %w", err)
	}
	deleted, _ := res.RowsAffected()
	if deleted != audited {
		return 0, fmt.Errorf("store: purge deleted %d rows but audited %d", deleted, audited)
	}
	return int(deleted), nil
}
