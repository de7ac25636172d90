package e2e_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// espBinary is the esp command that TestMain builds once for every test.
var espBinary string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	// Without a browser every test skips or fails at once: do not spend
	// the build on them.
	if _, err := findChrome(); err == nil {
		dir, err := os.MkdirTemp("", "esp-e2e-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		espBinary = filepath.Join(dir, "esp")
		build := exec.Command("go", "build", "-o", espBinary, "esp/cmd/esp")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: building esp:", err)
			return 1
		}
	}
	return m.Run()
}

// server is one running `esp serve` on a fresh data folder.
type server struct {
	// URL is the address the server printed, http://127.0.0.1:PORT (https
	// when it serves TLS).
	URL string
	// Port is the port it listens on.
	Port string
	// Data is its data folder (the SQLite database is there).
	Data string
	// Passwords are the demo users' one-time passwords from the first-run
	// banner, by username ("admin", "viewer").
	Passwords map[string]string
}

// LocalURL is the server's address under the name localhost: a secure
// context for Chromium, so navigator.clipboard exists there.
func (s *server) LocalURL() string { return "http://localhost:" + s.Port }

var (
	runningAt   = regexp.MustCompile(`ESP is running at (https?://\S+)`)
	bannerLogin = regexp.MustCompile(`username\s+(\S+)\s+password\s+(\S+)`)
)

// startServer runs esp serve on a fresh data folder and a free loopback port,
// with a fast scheduler, and waits for its address line. extra adds flags
// (the activator). The process is stopped when the test ends; its stderr is
// logged if the test failed.
func startServer(t *testing.T, extra ...string) *server {
	t.Helper()
	requireChrome(t) // without a browser there is no binary and nothing to test
	data := filepath.Join(t.TempDir(), "data")
	args := append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0", "--tick", "200ms"}, extra...)
	cmd := exec.Command(espBinary, args...)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting esp serve: %v", err)
	}
	exited := make(chan struct{})
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		io.Copy(io.Discard, stdout)
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("esp serve stderr:\n%s", stderr.String())
		}
	})

	s := &server{Passwords: map[string]string{}, Data: data}
	deadline := time.After(30 * time.Second)
	for s.URL == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("esp serve exited before listening; stderr:\n%s", stderr.String())
			}
			if m := bannerLogin.FindStringSubmatch(line); m != nil {
				s.Passwords[m[1]] = m[2]
			}
			if m := runningAt.FindStringSubmatch(line); m != nil {
				s.URL = m[1]
			}
		case <-deadline:
			t.Fatalf("esp serve did not print its address within 30s; stderr:\n%s", stderr.String())
		}
	}
	go func() { // keep draining so that the server never blocks on stdout
		for range lines {
		}
	}()
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatalf("esp serve printed a bad address %q: %v", s.URL, err)
	}
	if _, s.Port, err = net.SplitHostPort(u.Host); err != nil {
		t.Fatalf("esp serve printed a bad address %q: %v", s.URL, err)
	}
	for _, user := range []string{"admin", "viewer"} {
		if s.Passwords[user] == "" {
			t.Fatalf("the first-run banner has no password for %q", user)
		}
	}
	return s
}

// gatedHook is an activation webhook that holds each call until the test
// lets that action through. It makes the pending statuses last exactly as
// long as a test needs to look at them, with no race against the scheduler.
type gatedHook struct {
	URL  string
	mu   sync.Mutex
	open map[string]chan struct{} // by action: closed once let through
}

// maxHold is how long one webhook call is held before it answers 503 and the
// scheduler retries: below the activator's 10 s client timeout.
const maxHold = 8 * time.Second

// startGatedHook serves a gated webhook until the test ends.
func startGatedHook(t *testing.T) *gatedHook {
	t.Helper()
	h := &gatedHook{open: map[string]chan struct{}{}}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		// Let held calls go first: Close waits for them.
		h.letThrough("activate")
		h.letThrough("deactivate")
		srv.Close()
	})
	h.URL = srv.URL + "/hook"
	return h
}

func (h *gatedHook) gate(action string) chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.open[action] == nil {
		h.open[action] = make(chan struct{})
	}
	return h.open[action]
}

// letThrough answers the held and all later calls for action with success.
func (h *gatedHook) letThrough(action string) {
	g := h.gate(action)
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-g:
	default:
		close(g)
	}
}

func (h *gatedHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var ev struct {
		Action string `json:"action"`
	}
	if err := json.NewDecoder(r.Body).Decode(&ev); err != nil || ev.Action == "" {
		http.Error(w, "bad event", http.StatusBadRequest)
		return
	}
	select {
	case <-h.gate(ev.Action):
		w.WriteHeader(http.StatusNoContent)
	case <-time.After(maxHold):
		http.Error(w, "held by the test", http.StatusServiceUnavailable)
	case <-r.Context().Done():
	}
}

// failingHook is an activation webhook that refuses the actions it was told
// to fail (503, so the scheduler retries until the credential's timeout) and
// accepts every other one at once.
type failingHook struct {
	URL  string
	fail map[string]bool
}

// startFailingHook serves a failing webhook until the test ends.
func startFailingHook(t *testing.T, failing ...string) *failingHook {
	t.Helper()
	h := &failingHook{fail: map[string]bool{}}
	for _, a := range failing {
		h.fail[a] = true
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	h.URL = srv.URL + "/hook"
	return h
}

func (h *failingHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var ev struct {
		Action string `json:"action"`
	}
	if err := json.NewDecoder(r.Body).Decode(&ev); err != nil || ev.Action == "" {
		http.Error(w, "bad event", http.StatusBadRequest)
		return
	}
	if h.fail[ev.Action] {
		http.Error(w, "refused by the test", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// lockedBuffer collects a process's or a browser's output while a test may
// read it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
