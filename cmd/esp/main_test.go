package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// espBinary is the esp command built once for the tests that run it as a
// process (exit codes, signals, a second instance).
var espBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "esp-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	espBinary = filepath.Join(dir, "esp")
	build := exec.Command("go", "build", "-o", espBinary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building esp:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cliResult is what one command printed and returned.
type cliResult struct {
	stdout, stderr string
	err            error
}

// runCLI runs one command in-process against the data folder dir.
func runCLI(t *testing.T, dir, stdin string, args ...string) cliResult {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		if k == "ESP_DATA" {
			return dir
		}
		return ""
	}
	err := run(context.Background(), args, getenv, strings.NewReader(stdin), &out, &errOut)
	return cliResult{out.String(), errOut.String(), err}
}

// execCLI runs the built binary and returns its exit code and streams.
func execCLI(t *testing.T, dir, stdin string, args ...string) (int, string, string) {
	t.Helper()
	return execCLIEnv(t, dir, nil, stdin, args...)
}

// execCLIEnv is execCLI with variables added to the environment.
func execCLIEnv(t *testing.T, dir string, vars []string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(espBinary, args...)
	cmd.Env = append(append(inheritedEnv(), "ESP_DATA="+dir), vars...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

// inheritedEnv is the tests' environment without ESP_DATABASE_URL: a
// command the tests run uses PostgreSQL only when the test says so.
func inheritedEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ESP_DATABASE_URL=") {
			env = append(env, kv)
		}
	}
	return env
}

// snapshot dumps every row of every table of the data folder's database
// (read-only), so a test can show that a failed command changed nothing.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "esp.db")
	if _, err := os.Stat(path); err != nil {
		return "<no database>"
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	var b strings.Builder
	for _, tbl := range tables {
		r, err := db.Query(`SELECT * FROM "` + tbl + `" ORDER BY rowid`)
		if err != nil {
			r, err = db.Query(`SELECT * FROM "` + tbl + `"`)
			if err != nil {
				t.Fatal(err)
			}
		}
		cols, _ := r.Columns()
		fmt.Fprintf(&b, "== %s %v\n", tbl, cols)
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for r.Next() {
			if err := r.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%v\n", vals)
		}
		r.Close()
	}
	return b.String()
}
