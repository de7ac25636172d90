package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"reflect"
	"time"
)

// Prepared statement cache.
//
// modernc.org/sqlite parses the SQL text of every db.Query and db.Exec
// afresh; for the small queries behind each web request (a session, a
// tenant, a credential by primary key) parsing costs more than running the
// query (`make bench` row 1's profile: about 40% of a window request in
// sqlite3RunParser). stmtCacheConnector wraps the driver so that each
// connection keeps its prepared statements by SQL text and reuses them:
// the same queries, the same results, parsed once per connection. Nothing
// else changes: transactions, pragmas and locking are the driver's own.

// maxCachedStmts bounds one connection's cache; statements whose text is
// built per call (IN lists, the last partial batch of an import) are few,
// but unbounded text must not grow the cache without end.
const maxCachedStmts = 128

// stmtCacheConnector opens connections of the wrapped driver with a
// statement cache each.
type stmtCacheConnector struct {
	dsn  string
	drv  driver.Driver
	gate *writeGate
}

func (c stmtCacheConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return newCachingConn(conn, c.gate)
}

func (c stmtCacheConnector) Driver() driver.Driver { return c.drv }

// openCached opens dsn with the registered "sqlite" driver, through the
// statement cache.
func openCached(dsn string) (*sql.DB, error) {
	probe, err := sql.Open("sqlite", "")
	if err != nil {
		return nil, err
	}
	drv := probe.Driver()
	probe.Close()
	return sql.OpenDB(stmtCacheConnector{dsn: dsn, drv: drv, gate: newWriteGate()}), nil
}

// innerConn is what the driver's connections implement and the cache
// needs.
type innerConn interface {
	driver.Conn
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.ExecerContext
	driver.QueryerContext
}

type cachedStmt struct {
	ds   driver.Stmt
	busy bool // rows of this statement are open: run the query uncached meanwhile
}

// cachingConn is one connection with its statement cache. database/sql uses
// a connection from one goroutine at a time, so the map needs no lock.
type cachingConn struct {
	innerConn
	stmts map[string]*cachedStmt
	gate  *writeGate
	inTx  bool
}

func newCachingConn(c driver.Conn, gate *writeGate) (driver.Conn, error) {
	ic, ok := c.(innerConn)
	if !ok {
		c.Close()
		return nil, errors.New("store: the sqlite driver's connections lack the interfaces the statement cache needs")
	}
	return &cachingConn{innerConn: ic, stmts: make(map[string]*cachedStmt), gate: gate}, nil
}

// stmt returns the cached statement for query, preparing it on first use;
// nil when it is in use by open rows (or the cache is full of such).
func (c *cachingConn) stmt(ctx context.Context, query string) (*cachedStmt, error) {
	if s, ok := c.stmts[query]; ok {
		if s.busy {
			return nil, nil
		}
		return s, nil
	}
	if len(c.stmts) >= maxCachedStmts {
		for q, s := range c.stmts {
			if !s.busy {
				s.ds.Close()
				delete(c.stmts, q)
				break
			}
		}
		if len(c.stmts) >= maxCachedStmts {
			return nil, nil
		}
	}
	ds, err := c.innerConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if _, ok := ds.(driver.StmtQueryContext); !ok {
		ds.Close()
		return nil, nil
	}
	if _, ok := ds.(driver.StmtExecContext); !ok {
		ds.Close()
		return nil, nil
	}
	s := &cachedStmt{ds: ds}
	c.stmts[query] = s
	return s, nil
}

// QueryContext runs query through its cached statement.
func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.innerConn.QueryContext(ctx, query, args)
	}
	// Without the request's cancellation: for a cancellable context the
	// driver starts a goroutine per statement to interrupt it, which cost
	// more than the small reads it guarded. database/sql still closes the
	// rows when ctx ends; reads never wait for SQLite's write lock, and
	// every read of ours is bounded (at most a page or a chunk of rows).
	rows, err := s.ds.(driver.StmtQueryContext).QueryContext(context.WithoutCancel(ctx), args)
	if err != nil {
		return nil, err
	}
	s.busy = true
	return &cachedRows{Rows: rows, s: s}, nil
}

// ExecContext runs query through its cached statement.
func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if !c.inTx {
		defer c.gate.enter(ctx)()
	}
	if s == nil {
		return c.innerConn.ExecContext(ctx, query, args)
	}
	s.busy = true
	defer func() { s.busy = false }()
	return s.ds.(driver.StmtExecContext).ExecContext(ctx, args)
}

// BeginTx starts a transaction (a write transaction: the store opens
// with _txlock=immediate) once this process's other writers are done.
func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	release := c.gate.enter(ctx)
	tx, err := c.innerConn.BeginTx(ctx, opts)
	if err != nil {
		release()
		return nil, err
	}
	c.inTx = true
	ended := false
	return &gatedTx{Tx: tx, done: func() {
		if !ended {
			ended = true
			c.inTx = false
			release()
		}
	}}, nil
}

// Begin is BeginTx without a context.
func (c *cachingConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

// gatedTx lets the next writer in when it ends.
type gatedTx struct {
	driver.Tx
	done func()
}

func (t *gatedTx) Commit() error {
	defer t.done()
	return t.Tx.Commit()
}

func (t *gatedTx) Rollback() error {
	defer t.done()
	return t.Tx.Rollback()
}

// Write gate.
//
// SQLite has one writer at a time; a connection that finds the write lock
// taken sleeps in the driver's busy handler (1, 2, 5, 10 … 100 ms) and
// retries, so concurrent writers of one process spend most of their time
// asleep while the lock is free (`make bench` row 3, token exchange:
// p99 60 ms at 16 clients). The gate queues this process's writers in Go
// instead: each write transaction or statement outside one waits for the
// gate, then for SQLite's lock, which other processes may still hold (the
// busy timeout applies as before). A writer waits at most gateWait for the
// gate and then goes ahead anyway, so a caller that writes outside its own
// transaction gets SQLite's busy error, as before, never a deadlock.
type writeGate struct{ ch chan struct{} }

const gateWait = 5 * time.Second

func newWriteGate() *writeGate { return &writeGate{ch: make(chan struct{}, 1)} }

// enter waits for the gate and returns the function that leaves it.
func (g *writeGate) enter(ctx context.Context) (leave func()) {
	select {
	case g.ch <- struct{}{}:
		return g.leave
	default:
	}
	t := time.NewTimer(gateWait)
	defer t.Stop()
	select {
	case g.ch <- struct{}{}:
		return g.leave
	case <-ctx.Done():
	case <-t.C:
	}
	return func() {}
}

func (g *writeGate) leave() { <-g.ch }

// Close finalizes the cached statements, then closes the connection.
func (c *cachingConn) Close() error {
	for q, s := range c.stmts {
		s.ds.Close()
		delete(c.stmts, q)
	}
	return c.innerConn.Close()
}

// The optional interfaces database/sql looks for on a connection, passed
// through when the driver's connection has them.

func (c *cachingConn) Ping(ctx context.Context) error {
	if p, ok := c.innerConn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *cachingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.innerConn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *cachingConn) IsValid() bool {
	if v, ok := c.innerConn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// cachedRows frees its statement for reuse when closed.
type cachedRows struct {
	driver.Rows
	s *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.s.busy = false
	return err
}

// The optional interfaces of driver.Rows, passed through (with
// database/sql's own defaults when the driver's rows lack them).

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if x, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return x.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *cachedRows) ColumnTypeLength(i int) (int64, bool) {
	if x, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return x.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *cachedRows) ColumnTypeNullable(i int) (bool, bool) {
	if x, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return x.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *cachedRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	if x, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return x.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}

func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	if x, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return x.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

func (r *cachedRows) HasNextResultSet() bool {
	if x, ok := r.Rows.(driver.RowsNextResultSet); ok {
		return x.HasNextResultSet()
	}
	return false
}

func (r *cachedRows) NextResultSet() error {
	if x, ok := r.Rows.(driver.RowsNextResultSet); ok {
		return x.NextResultSet()
	}
	return io.EOF
}
