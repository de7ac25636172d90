package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
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
	lines  chan string // its standard output, line by line
}

var runningAt = regexp.MustCompile(`ESP is running at (https?://\S+)`)

// startServe runs the binary on dir with a free loopback port and waits
// for its address line.
func startServe(t *testing.T, dir string, args ...string) *serveProc {
	t.Helper()
	p := launchServe(t, dir, args...)
	p.waitListening(t)
	return p
}

// launchServe starts the binary on dir with a free loopback port, without
// waiting for it.
func launchServe(t *testing.T, dir string, args ...string) *serveProc {
	t.Helper()
	cmd := exec.Command(espBinary, append([]string{"serve", "--data", dir, "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = inheritedEnv()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &serveProc{cmd: cmd, stderr: &lockedWriter{w: &strings.Builder{}}, done: make(chan error, 1), lines: make(chan string)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		// A test that ended before waitListening (or before another
		// replica's) left lines unread: the reader must finish to report.
		for range p.lines {
		}
		<-p.done
	})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		io.Copy(io.Discard, stdout)
		p.done <- cmd.Wait()
	}()
	return p
}

// waitListening waits for the address line of a launched serve.
func (p *serveProc) waitListening(t *testing.T) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				err := <-p.done // its stderr is all there once it has been waited for
				p.done <- err
				t.Fatalf("esp serve exited before listening (%v); stderr: %s", err, p.stderr.String())
			}
			p.Banner += line + "\n"
			if m := runningAt.FindStringSubmatch(line); m != nil {
				p.URL = m[1]
				go func() {
					for range p.lines {
					}
				}()
				return
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

// A request body that never ends is cut off at the read timeout: the client
// gets 408 (or a closed connection), never an answer to a form it did not
// finish sending, and the log holds at most one line, not an ERROR.
func TestStalledRequestBodyIsAnswered408(t *testing.T) {
	p := startServe(t, filepath.Join(t.TempDir(), "data"), "--read-timeout", "300ms")
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The headers and the start of one chunk, then nothing more.
	if _, err := io.WriteString(conn, "POST /login HTTP/1.1\r\nHost: esp\r\n"+
		"Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"+
		"40\r\nusername=admin&pass"); err != nil {
		t.Fatal(err)
	}
	// A generous bound for a broken server only; the server itself gives up
	// after 300ms.
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	switch {
	case err == nil:
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestTimeout {
			t.Errorf("stalled body answered %d (%q), want 408 or a closed connection", resp.StatusCode, body)
		}
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET):
		// closed without an answer: acceptable
	default:
		t.Fatalf("reading the answer: %v", err)
	}

	if err := p.stop(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	// Start-up and shut-down say what they say; the request adds its
	// access line at most, and nothing at WARN or ERROR.
	var requestLines []string
	for _, line := range strings.Split(strings.TrimSpace(p.stderr.String()), "\n") {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			t.Errorf("the stalled request logged a warning or an error: %s", line)
		}
		if strings.Contains(line, "msg=request") {
			requestLines = append(requestLines, line)
		}
	}
	if len(requestLines) > 1 {
		t.Errorf("the stalled request logged %d lines, want at most one:\n%s", len(requestLines), strings.Join(requestLines, "\n"))
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
			if cfg.app.Lifecycle.Lease != tc.want {
				t.Fatalf("lease %s, want %s", cfg.app.Lifecycle.Lease, tc.want)
			}
		})
	}
	for _, args := range [][]string{{"--claim-lease", "0s"}, {"--claim-lease", "soon"}} {
		if _, err := parseServe(env{getenv: func(string) string { return "" }}, args); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

var (
	csrfField     = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	bannerAccount = regexp.MustCompile(`username\s+(\S+)\s+password\s+(\S+)`)
)

// bannerPassword is the one-time password the first-run banner printed for
// username.
func bannerPassword(t *testing.T, p *serveProc, username string) string {
	t.Helper()
	for _, m := range bannerAccount.FindAllStringSubmatch(p.Banner, -1) {
		if m[1] == username {
			return m[2]
		}
	}
	t.Fatalf("no password for %s in the banner:\n%s", username, p.Banner)
	return ""
}

// login signs in as username through the login form and returns the
// answers of GET /login and of POST /login.
func login(t *testing.T, client *http.Client, base, username, password string) (page, post *http.Response) {
	t.Helper()
	page, err := client.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	m := csrfField.FindSubmatch(body)
	if m == nil {
		t.Fatalf("GET /login: %d, no CSRF field", page.StatusCode)
	}
	post, err = client.PostForm(base+"/login", url.Values{"_csrf": {string(m[1])}, "username": {username}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	post.Body.Close()
	if post.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /login: %d, want 303", post.StatusCode)
	}
	return page, post
}

func newClient(t *testing.T, pool *x509.CertPool) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
