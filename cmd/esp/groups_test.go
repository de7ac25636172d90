package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// commandGroupsTable is every group of subcommands and its subcommands, as
// the SPEC's command line lists them.
var commandGroupsTable = map[string][]string{
	"tenant":    {"add", "feature", "policy"},
	"user":      {"add", "passwd", "set", "remove", "list"},
	"plan":      {"import"},
	"token-key": {"rotate"},
}

// A group's word alone, or with help, prints its subcommands and succeeds;
// a word it does not know is a usage error naming them. Nothing is
// created on disk either way.
func TestEveryCommandGroupListsItsSubcommands(t *testing.T) {
	for group, subs := range commandGroupsTable {
		t.Run(group, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			for _, args := range [][]string{{group}, {group, "help"}, {group, "--help"}} {
				r := runCLI(t, dir, "", args...)
				if r.err != nil {
					t.Fatalf("esp %s: %v", strings.Join(args, " "), r.err)
				}
				if !strings.HasPrefix(r.stdout, "usage: esp "+group+" ") {
					t.Errorf("esp %s printed %q", strings.Join(args, " "), r.stdout)
				}
				for _, sub := range subs {
					if !strings.Contains(r.stdout, "\n  "+sub+" ") {
						t.Errorf("esp %s does not list %q:\n%s", strings.Join(args, " "), sub, r.stdout)
					}
				}
			}
			r := runCLI(t, dir, "", group, "frobnicate")
			var u usageError
			if !errors.As(r.err, &u) || !strings.Contains(r.err.Error(), `unknown command "`+group+` frobnicate"`) ||
				!strings.Contains(r.err.Error(), strings.Join(subs, ", ")) {
				t.Errorf("esp %s frobnicate: %v; want a usage error naming %s", group, r.err, strings.Join(subs, ", "))
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("listing the commands made the data folder (%v)", err)
			}
		})
	}
	if n := len(commandGroups()); n != len(commandGroupsTable) {
		t.Errorf("esp has %d command groups; this test knows %d", n, len(commandGroupsTable))
	}
}

// esp help names every group and says how to list its subcommands.
func TestHelpNamesEveryCommandGroup(t *testing.T) {
	r := runCLI(t, t.TempDir(), "", "help")
	for group := range commandGroupsTable {
		if !strings.Contains(r.stdout, "(run 'esp "+group+"')") {
			t.Errorf("esp help does not point to 'esp %s':\n%s", group, r.stdout)
		}
	}
}
