package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// serveProc is a running `esp serve`.
type serveProc struct {
	cmd    *exec.Cmd
	URL    string
	Banner string // what it printed up to its address line
	stderr *lockedWriter
	done   chan error
}

var runningAt = regexp.MustCompile(`ESP is running at (http://\S+)`)

// startServe runs the binary on dir with a free loopback port and waits
// for its address line.
func startServe(t *testing.T, dir string, args ...string) *serveProc {
	t.Helper()
	cmd := exec.Command(espBinary, append([]string{"serve", "--data", dir, "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = os.Environ()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &serveProc{cmd: cmd, stderr: &lockedWriter{w: &strings.Builder{}}, done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		io.Copy(io.Discard, stdout)
		p.done <- cmd.Wait()
	}()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("esp serve exited before listening; stderr: %s", p.stderr.String())
			}
			p.Banner += line + "\n"
			if m := runningAt.FindStringSubmatch(line); m != nil {
				p.URL = m[1]
				go func() {
					for range lines {
					}
				}()
				return p
			}
		case <-timeout:
			t.Fatalf("esp serve did not print its address; stderr: %s", p.stderr.String())
		}
	}
}

// stop sends SIGTERM and returns the exit error (nil for status 0).
func (p *serveProc) stop(t *testing.T) error {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("esp serve did not stop within 30s of SIGTERM")
		return nil
	}
}

// lockedWriter lets the process write stderr while a test reads it.
type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

func TestServeStartsOnEmptyAndExistingFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	p := startServe(t, dir)
	for _, want := range []string{`tenant "demo"`, "username admin", "username viewer", "shown only now"} {
		if !strings.Contains(p.Banner, want) {
			t.Fatalf("first-run banner lacks %q:\n%s", want, p.Banner)
		}
	}
	resp, err := http.Get(p.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz: %d", resp.StatusCode)
	}
	if err := p.stop(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v; stderr: %s", err, p.stderr.String())
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Fatalf("data folder mode: %v %v, want no group/other access", fi.Mode(), err)
	}

	again := startServe(t, dir)
	if strings.Contains(again.Banner, "password") {
		t.Fatalf("second start printed passwords again:\n%s", again.Banner)
	}
	if err := again.stop(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
}

// The claim lease is short by default, so a crashed server's pending work
// resumes within seconds, and --claim-lease or ESP_CLAIM_LEASE set it.
func TestClaimLeaseDefaultAndSettings(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want time.Duration
	}{
		{"default", nil, nil, 5 * time.Second},
		{"flag", nil, []string{"--claim-lease", "7s"}, 7 * time.Second},
		{"environment", map[string]string{"ESP_CLAIM_LEASE": "8s"}, nil, 8 * time.Second},
		{"flag over environment", map[string]string{"ESP_CLAIM_LEASE": "8s"}, []string{"--claim-lease", "9s"}, 9 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseServe(env{getenv: func(k string) string { return tc.env[k] }}, tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.lc.Lease != tc.want {
				t.Fatalf("lease %s, want %s", cfg.lc.Lease, tc.want)
			}
		})
	}
	for _, args := range [][]string{{"--claim-lease", "0s"}, {"--claim-lease", "soon"}} {
		if _, err := parseServe(env{getenv: func(string) string { return "" }}, args); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}
