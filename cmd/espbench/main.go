// Command espbench is `make bench`: it prepares its own data in a temporary
// folder, starts the real `esp serve` on a loopback port, drives it with a
// keep-alive load generator and prints one table of figures against
// baselines measured in the same run. The same table is written
// as JSON so that runs can be compared.
//
// With -database-url the same table is measured on PostgreSQL: esp serve
// and every esp command run with --database-url on a schema the bench
// creates in that database and drops at the end, and the baselines use
// psql instead of sqlite3. `make bench` runs SQLite, then PostgreSQL when
// ESP_BENCH_DATABASE_URL is set.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"esp/lifecycle"
)

// options are the bench's flags.
type options struct {
	out         string
	databaseURL string
	dur         time.Duration // per load figure (rows 1-3 and 10, and their baselines)
	conc        int
	mixed       time.Duration // row 9
	mixedConc   int
	planRows    int
	credRows    int
	dueRows     int
	ticks       int
	keep        bool
	quick       bool
	cpuProfile  string
	inproc      bool
	esp         string
	allowedIPs  int // ranges in the bench tenant's allowed addresses (0: any address)
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("espbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.out, "out", "", "where to write the JSON report (default bench-out/bench.json, or bench-out/bench-postgres.json with -database-url)")
	fs.StringVar(&o.databaseURL, "database-url", "", "measure PostgreSQL instead of SQLite: postgres://USER:PASS@HOST:PORT/DB?sslmode=... (the bench works in a schema espbench_<random> it creates there, and drops unless -keep)")
	fs.DurationVar(&o.dur, "dur", 5*time.Second, "duration of each load figure (rows 1-3, and 10 on PostgreSQL) and of its baseline")
	fs.IntVar(&o.conc, "c", 16, "concurrent keep-alive clients for rows 1-3 (and 10)")
	fs.DurationVar(&o.mixed, "mixed", 60*time.Second, "duration of the mixed load (row 9)")
	fs.IntVar(&o.mixedConc, "mixed-clients", 64, "concurrent clients of the mixed load (row 9)")
	fs.IntVar(&o.planRows, "rows", 1_000_000, "rows of the plan exported and imported (rows 4-6)")
	fs.IntVar(&o.credRows, "creds", 1_000_000, "credential rows, none due, under the scheduler tick (row 7)")
	fs.IntVar(&o.dueRows, "due", 10_000, "due activations (row 8)")
	fs.IntVar(&o.ticks, "ticks", 500, "scheduler ticks timed for row 7")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary folder (data, server log) and the PostgreSQL schema after the run")
	fs.BoolVar(&o.quick, "quick", false, "a quick run: 2s per load figure and 10s of mixed load (targets unchanged)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the bench process (with -inproc it includes the server)")
	fs.BoolVar(&o.inproc, "inproc", false, "serve from inside the bench process instead of an `esp serve` child (for -cpuprofile; row 5 is then not the server's alone)")
	fs.StringVar(&o.esp, "esp", "", "an esp binary to use instead of building esp/cmd/esp")
	fs.IntVar(&o.allowedIPs, "allowed-ips", 0, "give the bench tenant an allowed-address list of this many ranges (at most 100), the last one holding the bench's client, so that every API request checks them all (0: any address)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.databaseURL != "" {
		if err := checkDatabaseURL(o.databaseURL); err != nil {
			return o, err
		}
	}
	if o.out == "" {
		o.out = "bench-out/bench.json"
		if o.databaseURL != "" {
			o.out = "bench-out/bench-postgres.json"
		}
	}
	if o.quick {
		o.dur = min(o.dur, 2*time.Second)
		o.mixed = min(o.mixed, 10*time.Second)
	}
	switch {
	case o.dur <= 0 || o.dur > time.Minute:
		return o, errors.New("-dur must be between 0 and 1m")
	case o.mixed <= 0 || o.mixed > 5*time.Minute:
		return o, errors.New("-mixed must be between 0 and 5m")
	case o.conc < 1 || o.conc > 256 || o.mixedConc < 1 || o.mixedConc > 256:
		return o, errors.New("-c and -mixed-clients must be between 1 and 256")
	case o.allowedIPs < 0 || o.allowedIPs > lifecycle.MaxAllowedAddresses:
		return o, fmt.Errorf("-allowed-ips must be between 0 and %d", lifecycle.MaxAllowedAddresses)
	case o.planRows < 1 || o.planRows > 10_000_000 || o.credRows < 0 || o.credRows > 10_000_000 ||
		o.dueRows < 1 || o.dueRows > 1_000_000 || o.ticks < 1 || o.ticks > 100_000:
		return o, errors.New("-rows, -creds, -due or -ticks out of range")
	}
	return o, nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o, err := parseOptions(os.Args[1:], os.Stderr)
	if err != nil {
		os.Exit(2)
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "espbench:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	rep, err := run(ctx, o, os.Stderr)
	if rep != nil {
		rep.WriteTable(os.Stdout)
		if werr := rep.WriteJSON(o.out); werr != nil {
			fmt.Fprintln(os.Stderr, "espbench: write JSON:", werr)
		} else {
			fmt.Printf("JSON written to %s\n", o.out)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "espbench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// progress prints what the bench is doing, to stderr, so that the table on
// stdout stays clean.
type progress struct {
	w     io.Writer
	start time.Time
}

func (p progress) say(format string, args ...any) {
	fmt.Fprintf(p.w, "[%5.1fs] %s\n", time.Since(p.start).Seconds(), fmt.Sprintf(format, args...))
}

func newReport(o options) *Report {
	return &Report{
		Started:      time.Now().UTC(),
		GoOS:         runtime.GOOS + "/" + runtime.GOARCH,
		CPUs:         runtime.NumCPU(),
		LoadAvgStart: loadAvg(),
		Settings: fmt.Sprintf("%d clients × %s per load figure, mixed %d clients × %s, %d plan rows, %d credential rows, %d due, %d allowed-address ranges",
			o.conc, o.dur, o.mixedConc, o.mixed, o.planRows, o.credRows, o.dueRows, o.allowedIPs),
	}
}
