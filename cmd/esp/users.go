package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"esp/lifecycle"
)

const userUsage = `usage: esp user <command> [flags]

commands:
  add --tenant NAME [--admin] [--email ADDR] USERNAME       add a user (password read from stdin)
  passwd --tenant NAME USERNAME                            set a new password (read from stdin); ends the user's sessions
  set --tenant NAME USERNAME [--admin=true|false] [--email ADDR]
                                                           change the admin flag or the email (--email "" clears it)
  remove --tenant NAME USERNAME                            remove the user and end their sessions; the history keeps their name
  list --tenant NAME                                       list the tenant's users`

// userFlags parses a user subcommand's flags, --tenant required, and its
// positional arguments.
func userFlags(e env, name, shape string, args []string, want int, define func(*flag.FlagSet)) (string, []string, *dbFlags, map[string]bool, error) {
	fs, db := newFlags(e, name)
	tenant := fs.String("tenant", "", "the user's tenant")
	if define != nil {
		define(fs)
	}
	pos, err := parse(fs, args, want, shape)
	if err != nil {
		return "", nil, nil, nil, err
	}
	if *tenant == "" {
		return "", nil, nil, nil, usageError{name + ": --tenant is required (usage: esp " + shape + ")"}
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	return *tenant, pos, db, given, nil
}

// accountsOf opens the existing database for a user subcommand and
// returns its accounts; close closes the store.
func accountsOf(ctx context.Context, db *dbFlags) (acc *lifecycle.Accounts, close func() error, err error) {
	st, err := openExisting(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	return lifecycle.NewAccounts(st, time.Now), st.Close, nil
}

// userErr words a refusal of the accounts in one line.
func userErr(err error, username string) error {
	switch lifecycle.ErrorCode(err) {
	case lifecycle.Conflict:
		return fmt.Errorf("user %q already exists", username)
	case lifecycle.NotFound, lifecycle.Invalid:
		return errors.New(lifecycle.ErrorMessage(err))
	}
	return err
}

func cmdUserAdd(ctx context.Context, e env, args []string) error {
	const shape = "user add --tenant NAME [--admin] [--email ADDR] USERNAME"
	var admin *bool
	var email *string
	tenant, pos, db, _, err := userFlags(e, "user add", shape, args, 1, func(fs *flag.FlagSet) {
		admin = fs.Bool("admin", false, "make the user an ESP admin")
		email = fs.String("email", "", "the user's email address")
	})
	if err != nil {
		return err
	}
	password, err := readPassword(e, "user add")
	if err != nil {
		return err
	}
	acc, closeStore, err := accountsOf(ctx, db)
	if err != nil {
		return err
	}
	defer closeStore()
	nu := lifecycle.NewUser{Tenant: tenant, Username: pos[0], Password: password, Admin: *admin, Email: *email}
	if _, err := acc.CreateUser(ctx, nu); err != nil {
		return userErr(err, pos[0])
	}
	role := "user"
	if *admin {
		role = "admin"
	}
	fmt.Fprintf(e.stdout, "added %s %q to tenant %q\n", role, pos[0], tenant)
	return nil
}

func cmdUserPasswd(ctx context.Context, e env, args []string) error {
	tenant, pos, db, _, err := userFlags(e, "user passwd", "user passwd --tenant NAME USERNAME", args, 1, nil)
	if err != nil {
		return err
	}
	password, err := readPassword(e, "user passwd")
	if err != nil {
		return err
	}
	acc, closeStore, err := accountsOf(ctx, db)
	if err != nil {
		return err
	}
	defer closeStore()
	if err := acc.SetPassword(ctx, tenant, pos[0], password); err != nil {
		return userErr(err, pos[0])
	}
	fmt.Fprintf(e.stdout, "new password set for user %q of tenant %q; their sessions have ended\n", pos[0], tenant)
	return nil
}

func cmdUserSet(ctx context.Context, e env, args []string) error {
	const shape = "user set --tenant NAME USERNAME [--admin=true|false] [--email ADDR]"
	var ch lifecycle.UserChange
	var admin *bool
	var email *string
	tenant, pos, db, given, err := userFlags(e, "user set", shape, args, 1, func(fs *flag.FlagSet) {
		admin = fs.Bool("admin", false, "whether the user is an ESP admin")
		email = fs.String("email", "", `the user's email address ("" clears it)`)
	})
	if err != nil {
		return err
	}
	if given["admin"] {
		ch.Admin = admin
	}
	if given["email"] {
		ch.Email = email
	}
	if ch.Admin == nil && ch.Email == nil {
		return usageError{"user set: nothing to change: give --admin=true|false or --email ADDR (usage: esp " + shape + ")"}
	}
	acc, closeStore, err := accountsOf(ctx, db)
	if err != nil {
		return err
	}
	defer closeStore()
	if err := acc.SetUser(ctx, tenant, pos[0], ch); err != nil {
		return userErr(err, pos[0])
	}
	fmt.Fprintf(e.stdout, "updated user %q of tenant %q:%s\n", pos[0], tenant, describeChange(ch))
	return nil
}

func describeChange(ch lifecycle.UserChange) string {
	var b strings.Builder
	if ch.Admin != nil {
		b.WriteString(" admin " + yesNo(*ch.Admin))
	}
	if ch.Email != nil && *ch.Email == "" {
		b.WriteString(" email cleared")
	} else if ch.Email != nil {
		b.WriteString(" email " + *ch.Email)
	}
	return b.String()
}

func cmdUserRemove(ctx context.Context, e env, args []string) error {
	tenant, pos, db, _, err := userFlags(e, "user remove", "user remove --tenant NAME USERNAME", args, 1, nil)
	if err != nil {
		return err
	}
	acc, closeStore, err := accountsOf(ctx, db)
	if err != nil {
		return err
	}
	defer closeStore()
	if err := acc.RemoveUser(ctx, tenant, pos[0]); err != nil {
		return userErr(err, pos[0])
	}
	fmt.Fprintf(e.stdout, "removed user %q from tenant %q; their sessions have ended, the history keeps their name\n", pos[0], tenant)
	return nil
}

func cmdUserList(ctx context.Context, e env, args []string) error {
	tenant, _, db, _, err := userFlags(e, "user list", "user list --tenant NAME", args, 0, nil)
	if err != nil {
		return err
	}
	acc, closeStore, err := accountsOf(ctx, db)
	if err != nil {
		return err
	}
	defer closeStore()
	users, err := acc.Users(ctx, tenant)
	if err != nil {
		return userErr(err, "")
	}
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "USERNAME\tADMIN\tEMAIL")
	for _, u := range users {
		fmt.Fprintf(w, "%s\t%s\t%s\n", shownName(u.Username), yesNo(u.IsAdmin), shownName(u.Email))
	}
	return w.Flush()
}

// shownName prints a name as it is, or quoted with escapes when it holds
// what names may not (one stored before the rule): it cannot disguise
// itself or break the table.
func shownName(s string) string {
	if s == "" || lifecycle.CheckName(lifecycle.UserName, s) == nil {
		return s
	}
	return strconv.Quote(s)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// readPassword reads the first line of stdin.
func readPassword(e env, cmd string) (string, error) {
	if interactive(e.stdin) {
		fmt.Fprint(e.stderr, "New password (it shows as you type; Enter ends it): ")
	}
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", errors.New(cmd + ": password must not be empty (give it on stdin)")
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New(cmd + ": password must not be empty (give it on stdin)")
	}
	return line, nil
}
