package main

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	osuser "os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// PgBouncer in transaction pooling mode between the replicas and the test
// database, as operators run it when many replicas would pass the server's
// max_connections (SPEC "Storage and scale-out", "Behind PgBouncer"): it
// hands each transaction whichever of its few server connections is free,
// so nothing ESP sends may outlive a transaction.

// pgbouncerPool is how many server connections the test's PgBouncer opens:
// fewer than three replicas' pools of 16.
const pgbouncerPool = 6

// pgbouncerBinary is the pgbouncer program: missing, the test fails under
// CI=true and is skipped, loudly, otherwise.
func pgbouncerBinary(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"pgbouncer", "/usr/sbin/pgbouncer"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("pgbouncer is not installed: under CI=true the PgBouncer tests must run (apt-get install pgbouncer)")
	}
	t.Skip("SKIPPED: pgbouncer is not installed, so the replicas are not tested behind PgBouncer (apt-get install pgbouncer)")
	return ""
}

// pgbouncer is one PgBouncer process of a test.
type pgbouncer struct {
	dir  string
	port int
	cmd  *exec.Cmd
	done chan error // its end
	as   []string   // how its commands run: as a plain user when the test is root
}

// behindPgBouncer starts PgBouncer in transaction mode in front of the
// database at direct (a URL of storetest.PostgresURL: its search_path, the
// test's schema, is set on each server connection by PgBouncer, which
// takes no search_path from clients) and answers the database through it.
// It is stopped when the test ends.
func behindPgBouncer(t *testing.T, direct string, settings ...string) (replicaDB, *pgbouncer) {
	t.Helper()
	bin := pgbouncerBinary(t)
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatalf("the test database URL: %v", err)
	}
	b := &pgbouncer{}
	b.dir, b.as = plainUserDir(t)
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	server := fmt.Sprintf("host=%s port=%s dbname=%s user=%s", u.Hostname(), port, strings.TrimPrefix(u.Path, "/"), u.User.Username())
	if pw, ok := u.User.Password(); ok {
		server += " password=" + pw
	}
	if sp := u.Query().Get("search_path"); sp != "" {
		server += fmt.Sprintf(" connect_query='SET search_path TO %s'", sp)
	}
	writeFile(t, filepath.Join(b.dir, "users.txt"), fmt.Sprintf("%q \"\"\n", u.User.Username()))
	b.start(t, bin, server, settings)
	client := url.URL{Scheme: "postgres", User: url.User(u.User.Username()), Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(b.port)),
		Path: "/esp", RawQuery: "sslmode=disable"}
	return replicaDB{url: client.String()}, b
}

// start writes the configuration and starts PgBouncer on a free loopback
// port, waiting until it accepts connections.
func (b *pgbouncer) start(t *testing.T, bin, server string, settings []string) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		b.port = freePort(t)
		conf := strings.Join(append([]string{
			"[databases]", "esp = " + server,
			"[pgbouncer]", "listen_addr = 127.0.0.1", fmt.Sprintf("listen_port = %d", b.port),
			"auth_type = trust", "auth_file = " + filepath.Join(b.dir, "users.txt"),
			"pool_mode = transaction", fmt.Sprintf("default_pool_size = %d", pgbouncerPool),
			"reserve_pool_size = 0", "max_client_conn = 1000",
			// Reconnect to a server that came back within a second.
			"server_login_retry = 1",
			"unix_socket_dir = " + b.dir, "logfile = " + filepath.Join(b.dir, "pgbouncer.log"),
			"pidfile = " + filepath.Join(b.dir, "pgbouncer.pid"),
		}, settings...), "\n") + "\n"
		ini := filepath.Join(b.dir, "pgbouncer.ini")
		writeFile(t, ini, conf)
		b.cmd = exec.Command(b.as[0], append(b.as[1:], bin, ini)...)
		b.done = startProcess(t, b.cmd)
		if waitPort(b.port, b.done, 10*time.Second) {
			t.Cleanup(func() { b.stop(t) })
			return
		}
		b.cmd.Process.Kill()
		<-b.done
		if attempt == 2 {
			t.Fatalf("pgbouncer did not start; its log:\n%s", b.log())
		}
	}
}

// stop ends PgBouncer (SIGTERM: at once) and waits for it.
func (b *pgbouncer) stop(t *testing.T) {
	if pid, err := os.ReadFile(filepath.Join(b.dir, "pgbouncer.pid")); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(pid))); err == nil {
			syscall.Kill(n, syscall.SIGTERM)
		}
	}
	select {
	case <-b.done:
	case <-time.After(10 * time.Second):
		b.cmd.Process.Kill()
		<-b.done
	}
	if t.Failed() {
		t.Logf("pgbouncer's log:\n%s", b.log())
	}
}

func (b *pgbouncer) log() string {
	data, _ := os.ReadFile(filepath.Join(b.dir, "pgbouncer.log"))
	return string(data)
}

// plainUserDir is a new folder for a server that refuses to run as root
// (PgBouncer, PostgreSQL), and the command prefix that runs it: as root,
// the folder belongs to nobody and the server runs as nobody.
func plainUserDir(t *testing.T) (string, []string) {
	t.Helper()
	// Not under t.TempDir: its parents are root's alone.
	dir, err := os.MkdirTemp("", "esp-test-server-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() != 0 {
		return dir, []string{"env"}
	}
	nobody, err := osuser.Lookup("nobody")
	if err != nil {
		t.Fatalf("running as root, and no user nobody to run the server as: %v", err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	return dir, []string{"runuser", "-u", "nobody", "--"}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// freePort is a loopback port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startProcess starts cmd and answers the channel that receives its end.
func startProcess(t *testing.T, cmd *exec.Cmd) chan error {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	return done
}

// waitPort reports whether the loopback port accepts connections within d,
// giving up at once if the process whose end exited receives ended.
func waitPort(port int, exited chan error, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second); err == nil {
			c.Close()
			return true
		}
		select {
		case err := <-exited:
			exited <- err // for whoever waits next
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
	return false
}
