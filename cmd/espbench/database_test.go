package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The esp processes the bench starts take their database from the bench's
// flags alone: an ESP_DATABASE_URL (or any ESP_ setting) left in the shell
// must not send the SQLite run to that database.
func TestESPCommandsIgnoreTheShellsESPVariables(t *testing.T) {
	t.Setenv("ESP_DATABASE_URL", "postgres://someone@db.invalid/prod")
	t.Setenv("ESP_ACTIVATOR", "webhook")
	dir := t.TempDir()
	fake := filepath.Join(dir, "esp")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho \"args: $*\"\nenv\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	out, err := runESP(context.Background(), fake, sqliteDatabase(data), "", "tenant", "add", "x")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "args: tenant add x --data "+data+"\n") {
		t.Errorf("esp was not given --data:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "ESP_") {
			t.Errorf("esp inherited %s", line)
		}
	}
}

func TestDatabaseURLOption(t *testing.T) {
	var sink strings.Builder
	o, err := parseOptions(nil, &sink)
	if err != nil || o.out != "bench-out/bench.json" || o.databaseURL != "" {
		t.Fatalf("defaults: %+v, %v", o, err)
	}
	o, err = parseOptions([]string{"-database-url", "postgres://u@h:5432/db?sslmode=disable"}, &sink)
	if err != nil || o.out != "bench-out/bench-postgres.json" {
		t.Fatalf("-database-url: out %q, %v", o.out, err)
	}
	o, err = parseOptions([]string{"-database-url", "postgres://u@h/db", "-out", "x.json"}, &sink)
	if err != nil || o.out != "x.json" {
		t.Fatalf("-out beside -database-url: out %q, %v", o.out, err)
	}
	for _, bad := range []string{"mysql://u:secret@h/db", "host=h password=secret", "postgres:///nohost"} {
		_, err := parseOptions([]string{"-database-url", bad}, &sink)
		if err == nil {
			t.Errorf("%q accepted", bad)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("the error repeats the value: %v", err)
		}
	}
}

// psql is given the URL without search_path (libpq refuses it), and the
// esp commands the URL with the run's schema.
func TestPostgresURLs(t *testing.T) {
	d := &database{base: "postgres://u@h:5432/db?sslmode=disable&search_path=other", schema: "espbench_1"}
	d.url = withSearchPath(d.base, d.schema)
	if got := strings.Join(d.espArgs(), " "); got != "--database-url postgres://u@h:5432/db?search_path=espbench_1&sslmode=disable" {
		t.Errorf("esp args %q", got)
	}
	cmd := d.psql(context.Background(), "psql", `\copy x TO STDOUT`)
	if got := strings.Join(cmd.Args[1:], " "); got != `-X -q -v ON_ERROR_STOP=1 -d postgres://u@h:5432/db?sslmode=disable -c \copy x TO STDOUT` {
		t.Errorf("psql args %q", got)
	}
	if d.table("plan_rows") != "espbench_1.plan_rows" || sqliteDatabase("x").table("plan_rows") != "plan_rows" {
		t.Error("table names")
	}
}
