// Command esp is ESP's one binary: the web server with its scheduler, and
// the administrative commands (tenants, users, plans, purge).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "esp: "+oneLine(err))
		var u usageError
		if errors.As(err, &u) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// env is the program's view of its surroundings, so tests can run commands
// in-process with their own environment and streams.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	now    func() time.Time // the clock of the commands that judge ages (purge)
}

const usage = `usage: esp <command> [flags]

commands:
  serve                                       run the web server and the scheduler
  tenant add NAME                             add a tenant
  tenant feature NAME public-api on|off       turn a tenant's public API on or off
  tenant policy NAME --max-credential-lifetime DURATION|off
                                              bound the lifetime of a tenant's new credentials
  user add|passwd|set|remove|list ...         manage a tenant's users (run 'esp user' for more)
  plan import --tenant NAME --name PLAN FILE  import plan data from CSV
  purge                                       purge credentials deactivated long enough

every command takes --data DIR (env ESP_DATA, default ./data), the folder of its
SQLite database, or --database-url postgres://USER:PASS@HOST:PORT/DB?sslmode=...
(env ESP_DATABASE_URL), a PostgreSQL database, which leaves the folder unused`

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	return runIn(ctx, env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now}, args)
}

// runIn runs the command args names in e.
func runIn(ctx context.Context, e env, args []string) error {
	args = moveLeadingDatabase(args)
	if len(args) == 0 {
		return usageError{"no command given\n" + usage}
	}
	cmd, rest := args[0], args[1:]
	sub := ""
	if len(rest) > 0 {
		sub = rest[0]
	}
	switch {
	case cmd == "serve":
		return cmdServe(ctx, e, rest)
	case cmd == "tenant" && (sub == "" || sub == "help" || sub == "-h" || sub == "--help"):
		fmt.Fprintln(e.stdout, tenantUsage)
		return nil
	case cmd == "tenant" && sub == "add":
		return cmdTenantAdd(ctx, e, rest[1:])
	case cmd == "tenant" && sub == "feature":
		return cmdTenantFeature(ctx, e, rest[1:])
	case cmd == "tenant" && sub == "policy":
		return cmdTenantPolicy(ctx, e, rest[1:])
	case cmd == "user":
		return cmdUser(ctx, e, rest)
	case cmd == "plan" && sub == "import":
		return cmdPlanImport(ctx, e, rest[1:])
	case cmd == "purge":
		return cmdPurge(ctx, e, rest)
	case cmd == "help" || cmd == "-h" || cmd == "--help":
		fmt.Fprintln(e.stdout, usage)
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q (run 'esp help')", strings.TrimSpace(strings.Join(args[:min(2, len(args))], " ")))}
}

// moveLeadingDatabase lets --data and --database-url come before the
// command too ("esp --data DIR tenant add acme") by moving them behind the
// command's words.
func moveLeadingDatabase(args []string) []string {
	var data []string
	for len(args) > 0 {
		a := args[0]
		name, _, withValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || (name != "data" && name != "database-url") {
			break
		}
		if withValue {
			data, args = append(data, a), args[1:]
			continue
		}
		if len(args) > 1 {
			data, args = append(data, a, args[1]), args[2:]
			continue
		}
		break
	}
	if len(data) == 0 || len(args) == 0 {
		return append(args, data...)
	}
	return append(append([]string{}, args...), data...)
}

// usageError is a mistake in the command line itself (exit status 2).
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

// oneLine keeps an error to the first line, as the command line promises.
func oneLine(err error) string {
	msg := err.Error()
	var u usageError
	if errors.As(err, &u) {
		msg, _, _ = strings.Cut(msg, "\n")
	}
	return strings.ReplaceAll(msg, "\n", " ")
}
