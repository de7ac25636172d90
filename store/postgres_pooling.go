package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
)

// How the store talks to PostgreSQL depends on what is in between. On a
// direct connection pgx prepares each statement once on each connection
// and reuses it (its statement cache, QueryExecModeCacheStatement): the
// server then neither parses nor plans it again, which gives the token
// exchange's queries about 2.5 times the throughput. Behind PgBouncer in
// transaction pooling mode, which hands each transaction whichever server
// connection is free, a statement prepared on one server connection is
// missing on the next or already there: there every statement goes as its
// text with its parameters through the unnamed statement
// (QueryExecModeExec), and nothing the store sends outlives its
// transaction.

// pgConfig is the connection configuration of url: the URL's
// default_query_exec_mode when it gives one, else the statement cache on a
// direct connection and none through anything in between (pgDirect).
func pgConfig(ctx context.Context, url string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// Not pgx's message: it repeats the URL, hiding the password only
		// where it can tell which part that is.
		return nil, errors.New("store: the database URL cannot be parsed: check its form, " +
			"postgres://USER:PASS@HOST:PORT/DB?sslmode=disable|require|verify-full")
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = pgConnectTimeout
	}
	if strings.Contains(url, "default_query_exec_mode") {
		return cfg, nil
	}
	direct, err := pgDirect(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect to PostgreSQL: %s", describePG(err))
	}
	if !direct {
		cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
		cfg.StatementCacheCapacity = 0
		cfg.DescriptionCacheCapacity = 0
	}
	return cfg, nil
}

// pgDirectQuery is where the server says the connection reached it, and
// the port it listens on.
const pgDirectQuery = `SELECT coalesce(host(inet_server_addr()), ''), coalesce(inet_server_port(), 0),
	current_setting('port')::int`

// pgDirect reports whether a connection made with cfg reaches the server
// itself: over TCP, the address and port the client connected to are the
// ones the server says it was reached on; over a Unix socket, the server
// too sees a Unix socket connection, on the port the client asked for.
// PgBouncer (or any proxy or port mapping) in between shows otherwise, and
// is taken for a transaction pooler. The one probe connection sends no
// named statement.
func pgDirect(ctx context.Context, cfg *pgx.ConnConfig) (bool, error) {
	probe := cfg.Copy()
	probe.DefaultQueryExecMode = pgx.QueryExecModeExec
	conn, err := pgx.ConnectConfig(ctx, probe)
	if err != nil {
		return false, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var addr string
	var port, listens int
	if err := conn.QueryRow(ctx, pgDirectQuery).Scan(&addr, &port, &listens); err != nil {
		return false, err
	}
	remote, tcp := conn.PgConn().Conn().RemoteAddr().(*net.TCPAddr)
	if !tcp {
		return addr == "" && listens == int(conn.Config().Port), nil
	}
	return remote.Port == port && remote.IP.Equal(net.ParseIP(addr)), nil
}
