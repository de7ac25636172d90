package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store"
	"esp/store/storetest"
)

// These tests run the real binary as a process.

func assertOneLineFailure(t *testing.T, code int, stderr, want string) {
	t.Helper()
	if code == 0 {
		t.Fatalf("exit=0, want failure")
	}
	if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "esp: ") {
		t.Fatalf("stderr is not one line: %q", stderr)
	}
	if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
		t.Fatalf("stderr shows a panic: %q", stderr)
	}
	if !strings.Contains(stderr, want) {
		t.Fatalf("stderr=%q, want it to mention %q", stderr, want)
	}
}

func TestServeRefusesUnwritableDataFolder(t *testing.T) {
	// A data folder below a regular file cannot be created, even by root.
	blocker := filepath.Join(t.TempDir(), "file")
	os.WriteFile(blocker, []byte("x"), 0o600)
	for _, args := range [][]string{
		{"serve", "--data", filepath.Join(blocker, "data"), "--addr", "127.0.0.1:0"},
		{"tenant", "add", "acme", "--data", filepath.Join(blocker, "data")},
	} {
		code, _, stderr := execCLI(t, "", "", args...)
		assertOneLineFailure(t, code, stderr, "cannot open data folder")
	}
}

func TestServeRefusesCorruptDatabase(t *testing.T) {
	dir := t.TempDir()
	junk := make([]byte, 8192)
	for i := range junk {
		junk[i] = byte(i * 7)
	}
	os.WriteFile(filepath.Join(dir, store.DBFile), junk, 0o600)
	code, _, stderr := execCLI(t, dir, "", "serve", "--addr", "127.0.0.1:0")
	assertOneLineFailure(t, code, stderr, "not a valid ESP database")
	if got, _ := os.ReadFile(filepath.Join(dir, store.DBFile)); string(got) != string(junk) {
		t.Fatal("the corrupt file was changed")
	}
}

func TestServeRefusesPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := filepath.Join(t.TempDir(), "data")
	code, stdout, stderr := execCLI(t, dir, "", "serve", "--addr", ln.Addr().String())
	assertOneLineFailure(t, code, stderr, "cannot listen on "+ln.Addr().String())
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("a serve that could not listen created its data folder (%v)", err)
	}
	if stdout != "" {
		t.Fatalf("a serve that could not listen printed %q", stdout)
	}
}

func TestDatabaseFilesArePrivate(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "tenant", "add", "acme")
	files, _ := filepath.Glob(filepath.Join(dir, store.DBFile+"*"))
	if len(files) == 0 {
		t.Fatal("no database files")
	}
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Fatalf("%s has mode %v, want owner-only", filepath.Base(f), fi.Mode().Perm())
		}
	}
}

// pendingCredentials creates n tenants with a credential each in Pending
// Activation, straight in the data folder's database.
func pendingCredentials(t *testing.T, dir string, n int) []int64 {
	t.Helper()
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := lifecycle.NewService(st, time.Now, lifecycle.Config{})
	var ids []int64
	for i := range n {
		tn, err := st.CreateTenant(context.Background(), "tenant-"+string(rune('a'+i%26))+strings.Repeat("x", i/26), true, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		k, err := svc.Generate(context.Background(), tn.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, k.Credential.ID)
	}
	return ids
}

// waitStatuses polls the database until every credential has status want.
func waitStatuses(t *testing.T, dir string, ids []int64, want lifecycle.Status, within time.Duration) {
	t.Helper()
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	deadline := time.Now().Add(within)
	for {
		var pending []int64
		for _, id := range ids {
			c, err := st.CredentialByID(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if c.Status != want {
				pending = append(pending, id)
			}
		}
		if len(pending) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("credentials %v are not %s after %s", pending, want, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// assertAuditTrail checks each credential's trail is exactly generate then
// activate, with no gaps or duplicates.
func assertAuditTrail(t *testing.T, dir string, ids []int64) {
	t.Helper()
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, id := range ids {
		c, err := st.CredentialByID(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		trail := storetest.AuditTrail(t, st, c.TenantID, id)
		var actions []string
		for _, e := range trail {
			actions = append(actions, string(e.Action)+":"+string(e.FromStatus)+">"+string(e.ToStatus))
		}
		if got, want := strings.Join(actions, " "), "generate:>pending_activation activate:pending_activation>activated"; got != want {
			t.Fatalf("credential %d trail=%q, want %q", id, got, want)
		}
	}
}

// slowGateway is a webhook receiver that takes its time and counts the
// events per idempotency key.
type slowGateway struct {
	mu    sync.Mutex
	delay time.Duration
	seen  map[string]int
}

func (g *slowGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var ev lifecycle.Event
	if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
		http.Error(w, "bad event", http.StatusBadRequest)
		return
	}
	g.mu.Lock()
	g.seen[ev.IdempotencyKey]++
	delay := g.delay
	g.mu.Unlock()
	select {
	case <-time.After(delay):
	case <-r.Context().Done():
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func TestKill9DuringActivationsLosesNothing(t *testing.T) {
	dir := t.TempDir()
	ids := pendingCredentials(t, dir, 30)
	gw := &slowGateway{delay: 3 * time.Second, seen: map[string]int{}}
	hook := httptest.NewServer(gw)
	defer hook.Close()

	p := startServe(t, dir, "--activator", "webhook", "--webhook-url", hook.URL, "--tick", "100ms", "--claim-lease", "2s")
	// Wait until activations are in flight, then kill without warning.
	deadline := time.Now().Add(10 * time.Second)
	for {
		gw.mu.Lock()
		n := len(gw.seen)
		gw.mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no activation reached the gateway")
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	p.done <- nil

	gw.mu.Lock()
	gw.delay = 0
	gw.mu.Unlock()
	again := startServe(t, dir, "--activator", "webhook", "--webhook-url", hook.URL, "--tick", "100ms", "--claim-lease", "2s")
	waitStatuses(t, dir, ids, lifecycle.Activated, 60*time.Second)
	if err := again.stop(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	assertAuditTrail(t, dir, ids)
	keys := activationKeys(t, dir, ids)
	gw.mu.Lock()
	defer gw.mu.Unlock()
	for _, id := range ids {
		if gw.seen[keys[id]] == 0 {
			t.Fatalf("credential %d never reached the gateway", id)
		}
	}
}

// hangingGateway is a webhook receiver that holds every call until the
// caller gives up, until answer is set; then it answers 200.
type hangingGateway struct {
	mu     sync.Mutex
	answer bool
	calls  int
}

func (g *hangingGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Reading the body to its end lets the server notice the caller's
	// connection closing (the request's context ends).
	io.Copy(io.Discard, r.Body)
	g.mu.Lock()
	g.calls++
	answer := g.answer
	g.mu.Unlock()
	if !answer {
		<-r.Context().Done()
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (g *hangingGateway) seen() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls
}

// kill -9 while a webhook call hangs, then a restart with the default
// lease: the interrupted activation is retried and completes within
// seconds, and is recorded once.
func TestKill9DuringHangingActivationResumesWithinSeconds(t *testing.T) {
	dir := t.TempDir()
	ids := pendingCredentials(t, dir, 1)
	gw := &hangingGateway{}
	hook := httptest.NewServer(gw)
	defer hook.Close()
	args := []string{"--activator", "webhook", "--webhook-url", hook.URL, "--tick", "500ms"}

	p := startServe(t, dir, args...)
	deadline := time.Now().Add(10 * time.Second)
	for gw.seen() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no activation reached the gateway")
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	p.done <- nil

	gw.mu.Lock()
	gw.answer = true
	gw.mu.Unlock()
	again := startServe(t, dir, args...)
	waitStatuses(t, dir, ids, lifecycle.Activated, 10*time.Second)
	if err := again.stop(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	assertAuditTrail(t, dir, ids)
}

// Two servers on one folder and a gateway slower than the lease: the
// holder of each claim renews it while its call runs, so neither server
// takes over the other's call and each credential reaches the gateway once.
func TestTwoServesWithAGatewaySlowerThanTheLeaseCallOnce(t *testing.T) {
	dir := t.TempDir()
	ids := pendingCredentials(t, dir, 10)
	gw := &slowGateway{delay: 4 * time.Second, seen: map[string]int{}}
	hook := httptest.NewServer(gw)
	defer hook.Close()
	args := []string{"--activator", "webhook", "--webhook-url", hook.URL, "--tick", "100ms", "--claim-lease", "3s"}
	first := startServe(t, dir, args...)
	second := startServe(t, dir, args...)
	waitStatuses(t, dir, ids, lifecycle.Activated, 60*time.Second)
	for _, p := range []*serveProc{first, second} {
		if err := p.stop(t); err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	}
	assertAuditTrail(t, dir, ids)
	keys := activationKeys(t, dir, ids)
	gw.mu.Lock()
	defer gw.mu.Unlock()
	for _, id := range ids {
		if n := gw.seen[keys[id]]; n != 1 {
			t.Errorf("credential %d reached the gateway %d times, want 1", id, n)
		}
	}
}

func TestSecondServeOnSameFolderActivatesOnce(t *testing.T) {
	dir := t.TempDir()
	first := startServe(t, dir, "--tick", "50ms")
	ids := pendingCredentials(t, dir, 40)
	second := startServe(t, dir, "--tick", "50ms")
	waitStatuses(t, dir, ids, lifecycle.Activated, 30*time.Second)
	for _, p := range []*serveProc{first, second} {
		if err := p.stop(t); err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	}
	assertAuditTrail(t, dir, ids)
}

// activationKeys is the idempotency key of each credential's activation.
func activationKeys(t *testing.T, dir string, ids []int64) map[int64]string {
	t.Helper()
	st := mustStore(t, dir)
	keys := make(map[int64]string, len(ids))
	for _, id := range ids {
		c, err := st.CredentialByID(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		keys[id] = lifecycle.IdempotencyKey(c.ID, c.AccessKey, lifecycle.ActionActivate)
	}
	return keys
}
