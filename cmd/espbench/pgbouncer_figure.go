package main

import (
	"context"
	"path/filepath"

	"esp/cmd/internal/pgbouncer"
	"esp/store"
)

// pgbouncerRow is the row of the token exchange through PgBouncer.
const pgbouncerRow = 10

// pgbouncerFigure is the token exchange of a second server whose database
// goes through PgBouncer in transaction mode (with as many server
// connections as one server's pool), against the same exchange on the
// server connected directly, alternating, with the same clients: what
// PgBouncer's extra hop and the statements it does not let ESP prepare
// cost. PostgreSQL only.
func (b benchHTTP) pgbouncerFigure(ctx context.Context, o options, bin string, db *database, tmp string, p progress) Figure {
	f := Figure{Row: pgbouncerRow, Name: "token exchange through PgBouncer (transaction mode) vs direct", Target: 0.8}
	p.say("row %d: token exchange through PgBouncer", pgbouncerRow)
	bouncer, err := pgbouncer.Start(pgbouncer.Options{Server: db.url, PoolSize: store.DefaultMaxConns})
	if err != nil {
		f.Failed = err.Error()
		return f
	}
	defer bouncer.Stop()
	via := *db
	via.url = bouncer.URL
	srv, err := startServer(ctx, bin, &via, filepath.Join(tmp, "server-pgbouncer.log"), "--tick", "100ms")
	if err != nil {
		f.Failed = err.Error()
		return f
	}
	defer srv.stop()
	through := b
	through.base = srv.base
	f = versus(ctx, o, f, "the same exchange, direct", b.exchange, through.exchange)
	f.Note += "; direct, pgx prepares and caches the statements (unless the URL's default_query_exec_mode says otherwise); " +
		"through PgBouncer it cannot, and the server parses and plans each one"
	return f
}
