// Package pgbouncer runs a PgBouncer process in transaction pooling mode
// on a free loopback port in front of a PostgreSQL database, for the
// replica tests of esp and the bench: the way operators put it between
// many replicas and one server.
package pgbouncer

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrMissing is Start's error when no pgbouncer program is installed.
var ErrMissing = errors.New("pgbouncer is not installed (apt-get install pgbouncer)")

// Options are how Start runs PgBouncer.
type Options struct {
	// Server is the database's URL (postgres://USER[:PASS]@HOST:PORT/DB);
	// its search_path, if any, is set on each server connection, since
	// PgBouncer takes no search_path from clients.
	Server string
	// PoolSize is how many server connections PgBouncer opens.
	PoolSize int
	// Settings are more lines of the [pgbouncer] section.
	Settings []string
}

// Process is a running PgBouncer.
type Process struct {
	// URL is the database through PgBouncer, for --database-url.
	URL  string
	dir  string
	cmd  *exec.Cmd
	done chan error
}

// PlainUserDir is a new folder for a server that refuses to run as root
// (PgBouncer, PostgreSQL), and the command prefix that runs it: as root,
// the folder belongs to nobody and the server runs as nobody. It lies
// under the system's temporary folder, where nobody can reach it.
func PlainUserDir(prefix string) (dir string, as []string, err error) {
	if dir, err = os.MkdirTemp("", prefix); err != nil {
		return "", nil, err
	}
	if os.Geteuid() != 0 {
		return dir, []string{"env"}, nil
	}
	nobody, err := user.Lookup("nobody")
	if err == nil {
		uid, _ := strconv.Atoi(nobody.Uid)
		gid, _ := strconv.Atoi(nobody.Gid)
		err = os.Chown(dir, uid, gid)
	}
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("running as root, and cannot hand a folder to the user nobody: %w", err)
	}
	return dir, []string{"runuser", "-u", "nobody", "--"}, nil
}

// Binary is the pgbouncer program's path, or ErrMissing.
func Binary() (string, error) {
	for _, p := range []string{"pgbouncer", "/usr/sbin/pgbouncer"} {
		if path, err := exec.LookPath(p); err == nil {
			return path, nil
		}
	}
	return "", ErrMissing
}

// Start starts PgBouncer in transaction pooling mode and waits until it
// accepts connections. Stop ends it.
func Start(o Options) (*Process, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(o.Server)
	if err != nil || u.User == nil {
		return nil, errors.New("pgbouncer: the server URL must be postgres://USER[:PASS]@HOST:PORT/DB")
	}
	dir, as, err := PlainUserDir("esp-pgbouncer-")
	if err != nil {
		return nil, err
	}
	p := &Process{dir: dir}
	users := fmt.Sprintf("%q \"\"\n", u.User.Username())
	if err := os.WriteFile(filepath.Join(dir, "users.txt"), []byte(users), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		port, err := p.start(bin, as, databaseLine(u), o)
		if err == nil {
			client := url.URL{Scheme: "postgres", User: url.User(u.User.Username()),
				Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Path: "/esp", RawQuery: "sslmode=disable"}
			p.URL = client.String()
			return p, nil
		}
		if attempt == 3 {
			os.RemoveAll(dir)
			return nil, err
		}
	}
}

// databaseLine is the [databases] entry of the server at u.
func databaseLine(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	line := fmt.Sprintf("esp = host=%s port=%s dbname=%s user=%s", u.Hostname(), port, strings.TrimPrefix(u.Path, "/"), u.User.Username())
	if pw, ok := u.User.Password(); ok {
		line += " password=" + pw
	}
	if sp := u.Query().Get("search_path"); sp != "" {
		line += fmt.Sprintf(" connect_query='SET search_path TO %s'", sp)
	}
	return line
}

// start writes the configuration for a free port and starts PgBouncer on
// it, answering the port once it accepts connections.
func (p *Process) start(bin string, as []string, database string, o Options) (int, error) {
	port, err := FreePort()
	if err != nil {
		return 0, err
	}
	conf := strings.Join(append([]string{
		"[databases]", database,
		"[pgbouncer]", "listen_addr = 127.0.0.1", fmt.Sprintf("listen_port = %d", port),
		"auth_type = trust", "auth_file = " + filepath.Join(p.dir, "users.txt"),
		"pool_mode = transaction", fmt.Sprintf("default_pool_size = %d", o.PoolSize),
		"reserve_pool_size = 0", "max_client_conn = 1000",
		// Reconnect to a server that came back within a second.
		"server_login_retry = 1",
		"unix_socket_dir = " + p.dir, "logfile = " + filepath.Join(p.dir, "pgbouncer.log"),
		"pidfile = " + filepath.Join(p.dir, "pgbouncer.pid"),
	}, o.Settings...), "\n") + "\n"
	ini := filepath.Join(p.dir, "pgbouncer.ini")
	if err := os.WriteFile(ini, []byte(conf), 0o644); err != nil {
		return 0, err
	}
	p.cmd = exec.Command(as[0], append(as[1:], bin, ini)...)
	if err := p.cmd.Start(); err != nil {
		return 0, err
	}
	p.done = make(chan error, 1)
	go func() { p.done <- p.cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second); err == nil {
			c.Close()
			return port, nil
		}
		select {
		case err := <-p.done:
			return 0, fmt.Errorf("pgbouncer exited at start (%v): %s", err, p.Log())
		case <-time.After(50 * time.Millisecond):
		}
	}
	p.cmd.Process.Kill()
	<-p.done
	return 0, fmt.Errorf("pgbouncer did not listen within 10s: %s", p.Log())
}

// Log is PgBouncer's log so far.
func (p *Process) Log() string {
	data, _ := os.ReadFile(filepath.Join(p.dir, "pgbouncer.log"))
	return string(data)
}

// Stop ends PgBouncer at once (SIGTERM), waits for it and deletes its
// folder.
func (p *Process) Stop() {
	// The pid of PgBouncer itself: as root, p.cmd is runuser.
	if pid, err := os.ReadFile(filepath.Join(p.dir, "pgbouncer.pid")); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(pid))); err == nil {
			syscall.Kill(n, syscall.SIGTERM)
		}
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
	os.RemoveAll(p.dir)
}

// FreePort is a loopback port nothing listens on right now, for PgBouncer
// and the servers behind or in front of it.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
