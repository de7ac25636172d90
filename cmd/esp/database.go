package main

import (
	"net/url"
	"strings"
)

// dbFlags are what every command is told of its database: --data, the
// folder of the SQLite database (the default), or --database-url, a
// PostgreSQL database shared by any number of processes, which leaves the
// data folder unused.
type dbFlags struct{ data, url string }

// postgres reports whether the command's database is PostgreSQL's.
func (db *dbFlags) postgres() bool { return db.url != "" }

// check refuses a --database-url that is not a PostgreSQL URL, before
// anything is opened.
func (db *dbFlags) check() error {
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
