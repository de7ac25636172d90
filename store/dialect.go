package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"esp/lifecycle"
)

// dialect is what one backend does its own way. Open and OpenPostgres
// choose one for the life of the Store: sqliteDialect (sqlite.go) or
// postgresDialect (postgres.go). Everything else is SQL both backends
// accept, written once beside the method that runs it.
type dialect interface {
	// prepare readies one of the hot paths' queries on db, at Open.
	prepare(ctx context.Context, db *sql.DB, query string) (statement, error)
	// txOptions are the options of the store's write transactions.
	txOptions() *sql.TxOptions
	// lockRows is query, a SELECT inside a write transaction, made to lock
	// the rows it reads until the transaction ends.
	lockRows(query string) string
	// skipLocked is query, a SELECT of due rows, made to pass over the
	// rows another scheduler is claiming at this moment.
	skipLocked(query string) string

	// transitions readies tx for ApplyTransitions' batch.
	transitions(ctx context.Context, tx *sql.Tx) writeTransition
	// claimDue runs ClaimDue's one statement; its rows are (id, claim).
	claimDue(ctx context.Context, claims []lifecycle.Claim) (*sql.Rows, error)
	// purge deletes the Deactivated credentials p names, with an audit row
	// each, in tx, and counts them.
	purge(ctx context.Context, tx *sql.Tx, p lifecycle.Purge) (int, error)
	// insertPlanRows writes the rows next yields into plan p, inside tx
	// (open on conn), summarising them into p.
	insertPlanRows(ctx context.Context, conn *sql.Conn, tx *sql.Tx, p *lifecycle.Plan, next func(*lifecycle.PlanRow) error) error
	// eachPlanChunk is EachPlanChunk.
	eachPlanChunk(ctx context.Context, planID int64, fn func(lines []byte, rows int) error) error
	// seedQueries are the bench's bulk seeding statements (seed.go).
	seedQueries() seedQueries

	close() error
}

// writeTransition applies one transition, leaving status from, in the
// transaction it was readied for, and answers its audit row's id; 0 when
// the row is no longer in from or no longer the claim's.
type writeTransition func(t lifecycle.CredentialWrite, from lifecycle.Status) (auditID int64, err error)

// statement is one query of the hot paths, readied at Open: on SQLite a
// prepared statement (parsing costs modernc.org/sqlite more than running
// these small lookups); on PostgreSQL its text, which pgx prepares and
// caches on each connection of a direct connection's pool, and sends with
// its parameters behind PgBouncer (postgres_pooling.go).
type statement interface {
	ExecContext(ctx context.Context, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, args ...any) *sql.Row
	// in is the statement inside the write transaction tx.
	in(ctx context.Context, tx *sql.Tx) statement
	Close() error
}

// prepared is a statement prepared by database/sql: prepared again, once,
// on each connection of its pool that runs it.
type prepared struct{ *sql.Stmt }

func (p prepared) in(ctx context.Context, tx *sql.Tx) statement {
	return prepared{tx.StmtContext(ctx, p.Stmt)}
}

// querier is what runs a query's text: a pool or a transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// plain is a statement sent as its text on every run: the server keeps no
// statement of the store's from one transaction to the next.
type plain struct {
	db    querier
	query string
}

func (p plain) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	return p.db.ExecContext(ctx, p.query, args...)
}

func (p plain) QueryContext(ctx context.Context, args ...any) (*sql.Rows, error) {
	return p.db.QueryContext(ctx, p.query, args...)
}

func (p plain) QueryRowContext(ctx context.Context, args ...any) *sql.Row {
	return p.db.QueryRowContext(ctx, p.query, args...)
}

func (p plain) in(_ context.Context, tx *sql.Tx) statement { return plain{tx, p.query} }
func (plain) Close() error                                 { return nil }

// statements are the queries of the hot paths, the same SQL on both
// backends (where a backend adds a clause, its dialect says so).
type statements struct {
	// On the readers.
	sessionAccount, tokenGrant, accessKeyGrant, plans, currentCredential statement
	dueCredentials, lastRun, tenantPlan, planLinesAfter                  statement
	changeCounter                                                        statement
	// On the writer; those of transactions are used through in.
	touchSession, credentialStatus, insertAudit statement
	recordUse                                   statement // uses.go

	all []statement // every one of them, for Close
}

// prepareStatements readies the statements on the store's pools, after
// the migrations (they name the tables).
func prepareStatements(ctx context.Context, d dialect, read, write *sql.DB) (statements, error) {
	var st statements
	for _, p := range []struct {
		db    *sql.DB
		stmt  *statement
		query string
	}{
		{read, &st.sessionAccount, sessionAccountQuery},
		{read, &st.tokenGrant, tokenGrantQuery},
		{read, &st.accessKeyGrant, accessKeyGrantQuery},
		{read, &st.plans, plansQuery},
		{read, &st.currentCredential, currentCredentialQuery},
		{read, &st.dueCredentials, d.skipLocked(dueCredentialsQuery)},
		{read, &st.lastRun, lastRunQuery},
		{read, &st.tenantPlan, tenantPlanQuery},
		{read, &st.planLinesAfter, planLinesAfter},
		// PostgreSQL has no change counter (the read cache is off there),
		// and a plain statement is never sent unless run.
		{read, &st.changeCounter, changeCounterQuery},
		{write, &st.touchSession, touchSessionQuery},
		{write, &st.recordUse, recordUseQuery},
		{write, &st.credentialStatus, d.lockRows(credentialStatusQuery)},
		{write, &st.insertAudit, insertAuditQuery},
	} {
		stmt, err := d.prepare(ctx, p.db, p.query)
		if err != nil {
			st.close()
			return statements{}, err
		}
		*p.stmt = stmt
		st.all = append(st.all, stmt)
	}
	return st, nil
}

func (st *statements) close() {
	for _, stmt := range st.all {
		stmt.Close()
	}
	st.all = nil
}

// prepareErr is the error of a query that failed to prepare.
func prepareErr(query string, err error) error {
	return fmt.Errorf("store: prepare %q: %w", strings.Join(strings.Fields(query), " "), err)
}

// Postgres reports whether the store is on PostgreSQL.
func (s *Store) Postgres() bool {
	_, ok := s.dialect.(postgresDialect)
	return ok
}

// purgeArgs are a purge's parameters as both backends' statements take
// them: $1 the cutoff, $2 the time of the audit rows, $3 the actor, $4
// the event.
func purgeArgs(p lifecycle.Purge) []any {
	return []any{p.Cutoff.UnixNano(), p.At.UnixNano(), p.Actor, string(p.Event)}
}
