package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"esp/store"
)

// newFlags returns a flag set that reports errors instead of printing them,
// with the flags every command takes to find its database.
func newFlags(e env, name string) (*flag.FlagSet, *dbFlags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	db := &dbFlags{}
	fs.StringVar(&db.data, "data", envOr(e, "ESP_DATA", "./data"), "data folder of the SQLite database (env ESP_DATA); unused with --database-url")
	fs.StringVar(&db.url, "database-url", envOr(e, "ESP_DATABASE_URL", ""),
		"PostgreSQL database, postgres://USER:PASS@HOST:PORT/DB?sslmode=... (env ESP_DATABASE_URL); unset: SQLite in --data")
	fs.StringVar(&db.maxConns, "database-max-conns", envOr(e, "ESP_DATABASE_MAX_CONNS", strconv.Itoa(store.DefaultMaxConns)),
		"most connections this process opens to the PostgreSQL database (env ESP_DATABASE_MAX_CONNS); unused with SQLite")
	return fs, db
}

func envOr(e env, key, def string) string {
	if v := e.getenv(key); v != "" {
		return v
	}
	return def
}

// durationEnv reads a duration default from the environment, failing on a
// malformed value rather than silently ignoring it.
func durationEnv(e env, key string, def time.Duration) (time.Duration, error) {
	v := e.getenv(key)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, usageError{fmt.Sprintf("%s=%q is not a positive duration (e.g. 24h, 30s)", key, v)}
	}
	return d, nil
}

// parse parses flags interspersed with positional arguments and checks the
// count of positional arguments.
func parse(fs *flag.FlagSet, args []string, want int, shape string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageError{fmt.Sprintf("%s: %v (usage: esp %s)", fs.Name(), err, shape)}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			pos = append(pos, args[1:]...)
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) != want {
		return nil, usageError{fmt.Sprintf("%s: expected %d argument(s), got %d (usage: esp %s)", fs.Name(), want, len(pos), shape)}
	}
	for _, p := range pos {
		if strings.HasPrefix(p, "-") && p != "-" {
			return nil, usageError{fmt.Sprintf("%s: unexpected flag %q (usage: esp %s)", fs.Name(), p, shape)}
		}
	}
	return pos, nil
}

// positiveDurations checks that every named duration flag is positive.
func positiveDurations(ds map[string]time.Duration) error {
	for name, d := range ds {
		if d <= 0 {
			return usageError{fmt.Sprintf("--%s must be a positive duration, got %s", name, d)}
		}
	}
	return nil
}
