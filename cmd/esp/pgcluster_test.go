package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// pgCluster is a throwaway PostgreSQL cluster of one test, which the test
// may stop and start: the shared test database must never be stopped.
type pgCluster struct {
	bin, dir string
	port     int
	as       []string // as a plain user when the test is root
}

// pgBinDir is the folder of PostgreSQL's initdb and pg_ctl: missing, the
// test fails under CI=true and is skipped, loudly, otherwise.
func pgBinDir(t *testing.T) string {
	t.Helper()
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		if dir := strings.TrimSpace(string(out)); fileExists(filepath.Join(dir, "initdb")) {
			return dir
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Strings(dirs) // the newest last, while the versions have two digits
	for i := len(dirs) - 1; i >= 0; i-- {
		if fileExists(filepath.Join(dirs[i], "initdb")) {
			return dirs[i]
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("PostgreSQL's initdb is not installed: under CI=true the database restart tests must run (apt-get install postgresql)")
	}
	t.Skip("SKIPPED: PostgreSQL's initdb is not installed, so database restarts are not tested (apt-get install postgresql)")
	return ""
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// newPGCluster makes a cluster in a folder of its own and starts it on a
// free loopback port; it is stopped and deleted when the test ends.
func newPGCluster(t *testing.T) *pgCluster {
	t.Helper()
	c := &pgCluster{bin: pgBinDir(t)}
	c.dir, c.as = plainUserDir(t)
	c.run(t, "initdb", "-D", filepath.Join(c.dir, "data"), "-U", "esp", "--auth=trust", "-E", "UTF8")
	c.port = freePort(t)
	c.start(t)
	t.Cleanup(func() {
		exec.Command(c.as[0], append(c.as[1:], filepath.Join(c.bin, "pg_ctl"), "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")...).Run()
	})
	return c
}

// url is the cluster's database postgres, as the esp user.
func (c *pgCluster) url() string {
	return fmt.Sprintf("postgres://esp@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// start starts the cluster and waits until it accepts connections.
func (c *pgCluster) start(t *testing.T) {
	t.Helper()
	c.run(t, "pg_ctl", "-D", filepath.Join(c.dir, "data"), "-l", filepath.Join(c.dir, "pg.log"), "-w", "-t", "60",
		"-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off", c.port, c.dir),
		"start")
}

// stop stops the cluster as an operator's restart or a failover does:
// every session is ended (SQLSTATE 57P01) and connections are refused.
func (c *pgCluster) stop(t *testing.T) {
	t.Helper()
	c.run(t, "pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "fast", "-w", "-t", "60", "stop")
}

func (c *pgCluster) run(t *testing.T, prog string, args ...string) {
	t.Helper()
	cmd := exec.Command(c.as[0], append(c.as[1:], append([]string{filepath.Join(c.bin, prog)}, args...)...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "pg.log"))
		t.Fatalf("%s: %v\n%s\n%s", prog, err, out, log)
	}
}
