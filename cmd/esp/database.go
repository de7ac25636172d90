package main

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"esp/store"
)

// dbFlags are what every command is told of its database: --data, the
// folder of the SQLite database (the default), or --database-url, a
// PostgreSQL database shared by any number of processes, which leaves the
// data folder unused, and --database-max-conns, the most connections the
// process opens to it.
type dbFlags struct {
	data, url string
	maxConns  string // as given; check parses it into conns
	conns     int
}

// maxDatabaseConns is the largest --database-max-conns accepted: more than
// any server's max_connections is sensibly set to.
const maxDatabaseConns = 10000

// options are how the command opens its PostgreSQL database.
func (db *dbFlags) options(existing bool) store.PostgresOptions {
	return store.PostgresOptions{MaxConns: db.conns, Existing: existing}
}

// postgres reports whether the command's database is PostgreSQL's.
func (db *dbFlags) postgres() bool { return db.url != "" }

// check refuses a --database-url that is not a PostgreSQL URL and a
// --database-max-conns that is not a count, before anything is opened.
func (db *dbFlags) check() error {
	n, err := strconv.Atoi(strings.TrimSpace(db.maxConns))
	if err != nil || n < 1 || n > maxDatabaseConns {
		return usageError{fmt.Sprintf("--database-max-conns (or ESP_DATABASE_MAX_CONNS) must be a whole number from 1 to %d, got %q", maxDatabaseConns, db.maxConns)}
	}
	db.conns = n
	if db.url == "" {
		return nil
	}
	u, err := url.Parse(db.url)
	// The server is the URL's host, or the host option (a Unix socket's
	// folder: postgres:///esp?host=/run/postgresql).
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || (u.Host == "" && u.Query().Get("host") == "") {
		// Neither the value nor the parser's error is repeated: either
		// may hold a password.
		return usageError{"--database-url must be a PostgreSQL URL: postgres://USER:PASS@HOST:PORT/DB?sslmode=..."}
	}
	return nil
}

// describe names the database for the console: the folder, or the
// PostgreSQL user, host and database without the password and options.
func (db *dbFlags) describe() string {
	if !db.postgres() {
		return "data in " + db.data
	}
	u, err := url.Parse(db.url)
	if err != nil {
		return "PostgreSQL"
	}
	host := u.Host
	if host == "" {
		host = u.Query().Get("host")
	}
	name := host + u.Path
	if u.User != nil && u.User.Username() != "" {
		name = u.User.Username() + "@" + name
	}
	return "PostgreSQL " + strings.TrimSuffix(name, "/")
}
