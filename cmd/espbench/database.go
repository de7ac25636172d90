package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver: the schema's own connection and the baselines'

	"esp/store"
)

// database is what a run measures: SQLite in a data folder of the run's
// temporary folder (the default), or, with -database-url, PostgreSQL in a
// schema of its own that the run creates in that database and drops at
// the end (unless -keep).
type database struct {
	data string // SQLite: the data folder

	base    string  // PostgreSQL: the URL given with -database-url
	url     string  // PostgreSQL: base with the run's schema as search_path
	schema  string  // PostgreSQL: espbench_<random>
	admin   *sql.DB // PostgreSQL: on base; creates and drops the schema
	version string  // PostgreSQL: server_version
}

func sqliteDatabase(data string) *database { return &database{data: data} }

// checkDatabaseURL refuses what esp --database-url would refuse, without
// repeating the value (it may hold a password).
func checkDatabaseURL(u string) error {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "postgres" && p.Scheme != "postgresql") || p.Host == "" {
		return errors.New("-database-url must be a PostgreSQL URL: postgres://USER:PASS@HOST:PORT/DB?sslmode=...")
	}
	return nil
}

// newPostgres creates the run's schema, espbench_<random>, in the
// database at base.
func newPostgres(ctx context.Context, base string) (*database, error) {
	if err := checkDatabaseURL(base); err != nil {
		return nil, err
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return nil, fmt.Errorf("-database-url: %v", err) // pgx leaves the password out
	}
	admin.SetMaxOpenConns(2)
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	d := &database{base: base, admin: admin}
	if err := admin.QueryRowContext(cctx, `SHOW server_version`).Scan(&d.version); err != nil {
		admin.Close()
		return nil, fmt.Errorf("connect to -database-url: %v", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	d.schema = "espbench_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(cctx, `CREATE SCHEMA `+d.schema); err != nil {
		admin.Close()
		return nil, fmt.Errorf("create schema %s (the bench needs CREATE on the database): %v", d.schema, err)
	}
	d.url = withSearchPath(base, d.schema)
	return d, nil
}

// withSearchPath is the URL u with its search_path set to schema.
func withSearchPath(u, schema string) string {
	p, _ := url.Parse(u) // checked by checkDatabaseURL
	q := p.Query()
	q.Set("search_path", schema)
	p.RawQuery = q.Encode()
	return p.String()
}

func (d *database) postgres() bool { return d.url != "" }

// backend is the report's name of the backend.
func (d *database) backend() string {
	if d.postgres() {
		return "postgres"
	}
	return "sqlite"
}

// close drops the run's schema, unless keep, and closes the connection.
// It runs after the run's processes have stopped, on a context of its
// own: an interrupted run still drops what it made.
func (d *database) close(keep bool) error {
	if !d.postgres() {
		return nil
	}
	defer d.admin.Close()
	if keep {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := d.admin.ExecContext(ctx, `DROP SCHEMA `+d.schema+` CASCADE`); err != nil {
		return fmt.Errorf("drop schema %s: %v", d.schema, err)
	}
	return nil
}

// describe names the database for the report, without a password.
func (d *database) describe() string {
	if !d.postgres() {
		return "SQLite, a data folder in the run's temporary folder"
	}
	name := "the database"
	if p, err := url.Parse(d.base); err == nil {
		name = strings.TrimSuffix(p.Host+p.Path, "/")
		if p.User != nil && p.User.Username() != "" {
			name = p.User.Username() + "@" + name
		}
	}
	return fmt.Sprintf("PostgreSQL %s, schema %s of %s", d.version, d.schema, name)
}

// open opens the store as esp serve does.
func (d *database) open(ctx context.Context) (*store.Store, error) {
	if d.postgres() {
		return store.OpenPostgres(ctx, d.url)
	}
	return store.Open(ctx, d.data)
}

// espArgs are the flags that point an esp command at the database.
func (d *database) espArgs() []string {
	if d.postgres() {
		return []string{"--database-url", d.url}
	}
	return []string{"--data", d.data}
}

// childEnv is the environment of the esp processes the bench starts: its
// own, without the ESP_ variables, so that only the bench's flags decide
// (an ESP_DATABASE_URL left in the shell must not turn the SQLite run into
// a run on that database, nor an ESP_ACTIVATOR=webhook the activations).
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ESP_") {
			env = append(env, kv)
		}
	}
	return env
}

// pool opens a database/sql pool on the database for the baselines' bare
// Go loops: read-only on the SQLite file, on the run's schema on
// PostgreSQL.
func (d *database) pool() (*sql.DB, error) {
	if d.postgres() {
		return sql.Open("pgx", d.url)
	}
	return sql.Open("sqlite", "file:"+filepath.Join(d.data, store.DBFile)+"?mode=ro")
}

// table is a table of the run's schema as psql, which knows nothing of
// the URL's search_path, must name it.
func (d *database) table(name string) string {
	if d.postgres() {
		return d.schema + "." + name
	}
	return name
}

// psql returns the psql command running each of commands (SQL or psql's
// backslash commands) on the database, stopping at the first error.
// psql is given -database-url without a search_path (libpq refuses that
// parameter), so the commands name the run's tables with d.table.
func (d *database) psql(ctx context.Context, psql string, commands ...string) *exec.Cmd {
	p, _ := url.Parse(d.base)
	q := p.Query()
	q.Del("search_path")
	p.RawQuery = q.Encode()
	args := []string{"-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", p.String()}
	for _, c := range commands {
		args = append(args, "-c", c)
	}
	cmd := exec.CommandContext(ctx, psql, args...)
	cmd.Env = childEnv()
	return cmd
}
