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
  tenant add|feature|policy ...               add tenants, turn their public API on or off, bound their
                                              credentials' lifetime (run 'esp tenant')
  user add|passwd|set|remove|list ...         manage a tenant's users (run 'esp user')
  plan import ...                             import plan data from CSV (run 'esp plan')
  purge                                       purge credentials deactivated long enough
  token-key rotate                            sign new bearer tokens with a new key (run 'esp token-key')

every command takes --data DIR (env ESP_DATA, default ./data), the folder of its
SQLite database, or --database-url postgres://USER:PASS@HOST:PORT/DB?sslmode=...
(env ESP_DATABASE_URL), a PostgreSQL database, which leaves the folder unused;
--database-max-conns N (env ESP_DATABASE_MAX_CONNS, default 16) bounds its pool there`

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
	if g, ok := commandGroups()[cmd]; ok {
		return g.run(ctx, e, cmd, rest)
	}
	switch {
	case cmd == "serve":
		return cmdServe(ctx, e, rest)
	case cmd == "purge":
		return cmdPurge(ctx, e, rest)
	case isHelp(cmd):
		fmt.Fprintln(e.stdout, usage)
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q (run 'esp help')", strings.TrimSpace(strings.Join(args[:min(2, len(args))], " ")))}
}

// isHelp reports whether a word asks for help.
func isHelp(word string) bool { return word == "help" || word == "-h" || word == "--help" }

// command runs one subcommand with the arguments after its name.
type command func(ctx context.Context, e env, args []string) error

// commandGroup is a word that groups subcommands (esp user add, esp user
// list): alone, or with help, it prints its usage.
type commandGroup struct {
	usage string
	names []string // the subcommands, in the order the usage lists them
	subs  map[string]command
}

// commandGroups are esp's groups of subcommands, by their word.
func commandGroups() map[string]commandGroup {
	return map[string]commandGroup{
		"tenant": newGroup(tenantUsage, sub{"add", cmdTenantAdd}, sub{"feature", cmdTenantFeature}, sub{"policy", cmdTenantPolicy}),
		"user": newGroup(userUsage, sub{"add", cmdUserAdd}, sub{"passwd", cmdUserPasswd}, sub{"set", cmdUserSet},
			sub{"remove", cmdUserRemove}, sub{"list", cmdUserList}),
		"plan":      newGroup(planUsage, sub{"import", cmdPlanImport}),
		"token-key": newGroup(tokenKeyUsage, sub{"rotate", cmdTokenKeyRotate}),
	}
}

// sub is one subcommand of a group: its name and what runs it.
type sub struct {
	name string
	run  command
}

// newGroup is a group of subcommands, listed in the order given.
func newGroup(usage string, subs ...sub) commandGroup {
	g := commandGroup{usage: usage, subs: map[string]command{}}
	for _, s := range subs {
		g.names = append(g.names, s.name)
		g.subs[s.name] = s.run
	}
	return g
}

// run runs the group's subcommand that args name; without one it prints
// the group's usage.
func (g commandGroup) run(ctx context.Context, e env, word string, args []string) error {
	if len(args) == 0 || isHelp(args[0]) {
		fmt.Fprintln(e.stdout, g.usage)
		return nil
	}
	cmd, ok := g.subs[args[0]]
	if !ok {
		return usageError{fmt.Sprintf("unknown command \"%s %s\" (esp %s commands: %s; run 'esp %s')",
			word, args[0], word, strings.Join(g.names, ", "), word)}
	}
	return cmd(ctx, e, args[1:])
}

// moveLeadingDatabase lets --data, --database-url and --database-max-conns
// come before the command too ("esp --data DIR tenant add acme") by moving
// them behind the command's words.
func moveLeadingDatabase(args []string) []string {
	var data []string
	for len(args) > 0 {
		a := args[0]
		name, _, withValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || (name != "data" && name != "database-url" && name != "database-max-conns") {
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
