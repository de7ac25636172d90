package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"esp/cmd/internal/pgbouncer"
)

// buildESP compiles esp/cmd/esp into dir, so that the bench drives the
// same binary a user runs.
func buildESP(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "esp")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "esp/cmd/esp")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build esp/cmd/esp: %w", err)
	}
	return bin, nil
}

// runESP runs one esp subcommand on the database to completion with
// stdin, returning its combined output.
func runESP(ctx context.Context, bin string, db *database, stdin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, append(args, db.espArgs()...)...)
	cmd.Env = childEnv()
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("esp %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// server is a running `esp serve` process.
type server struct {
	base string // http://127.0.0.1:PORT
	pid  int    // whose memory row 5 samples
	cmd  *exec.Cmd
	log  *os.File
	done chan error
	// stopInproc stops a server started with -inproc.
	stopInproc func() error
}

// start starts the server the options ask for: `esp serve` (the default)
// or the same wiring inside this process (-inproc).
func start(ctx context.Context, o options, bin string, db *database, logPath string) (*server, error) {
	if o.inproc {
		return startInproc(ctx, db, logPath)
	}
	return startServer(ctx, bin, db, logPath, "--tick", "100ms")
}

// startServer starts `esp serve` on a free loopback port and waits until
// /healthz answers. Its output goes to logPath.
func startServer(ctx context.Context, bin string, db *database, logPath string, extra ...string) (*server, error) {
	port, err := pgbouncer.FreePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	args := append(append([]string{"serve", "--addr", addr}, db.espArgs()...), extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = childEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	s := &server{cmd: cmd, base: "http://" + addr, pid: cmd.Process.Pid, log: logf, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			logf.Close()
			return nil, fmt.Errorf("esp serve exited at start (%v); see %s", err, logPath)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		resp, err := c.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
	}
	s.stop()
	return nil, fmt.Errorf("esp serve did not answer /healthz within 30s; see %s", logPath)
}

// stop asks the server to shut down (SIGTERM) and kills it after 15s.
func (s *server) stop() error {
	if s.stopInproc != nil {
		return s.stopInproc()
	}
	defer s.log.Close()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		s.cmd.Process.Kill()
	}
	select {
	case err := <-s.done:
		return err
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		return fmt.Errorf("esp serve did not stop within 15s of SIGTERM; killed")
	}
}

// procMem is a process's resident memory, in bytes, from /proc/PID/status.
type procMem struct {
	RSS, HWM int64
}

func readProcMem(pid int) (procMem, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return procMem{}, err
	}
	defer f.Close()
	return parseProcStatus(f)
}

func parseProcStatus(r io.Reader) (procMem, error) {
	var m procMem
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return m, fmt.Errorf("unexpected %s line %q", name, sc.Text())
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return m, err
		}
		if name == "VmRSS" {
			m.RSS = kb << 10
		} else {
			m.HWM = kb << 10
		}
	}
	if m.RSS == 0 {
		return m, errors.New("no VmRSS in /proc status")
	}
	return m, sc.Err()
}

// memSampler reads a process's RSS every interval until stopped and keeps
// the peak.
type memSampler struct {
	pid     int
	stopc   chan struct{}
	wg      sync.WaitGroup
	peak    int64
	samples int
	err     error
}

func sampleMem(pid int, every time.Duration) *memSampler {
	m := &memSampler{pid: pid, stopc: make(chan struct{})}
	m.wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			pm, err := readProcMem(pid)
			if err != nil {
				m.err = err
				return
			}
			m.peak = max(m.peak, pm.RSS)
			m.samples++
			select {
			case <-m.stopc:
				return
			case <-t.C:
			}
		}
	})
	return m
}

// stop ends sampling (after one last sample) and returns the peak RSS.
func (m *memSampler) stop() (peak int64, samples int, err error) {
	close(m.stopc)
	m.wg.Wait()
	return m.peak, m.samples, m.err
}
