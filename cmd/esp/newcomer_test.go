package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Request log lines stay off an interactive terminal unless asked for, so
// that the first-run passwords stay in view; everywhere else they stay on.
func TestAccessLogIsOffOnlyForTextOnATerminalUnlessAsked(t *testing.T) {
	for _, tc := range []struct {
		mode, format string
		terminal     bool
		off          bool
	}{
		{"auto", "text", true, true},
		{"auto", "json", true, false},
		{"auto", "text", false, false},
		{"auto", "json", false, false},
		{"on", "text", true, false},
		{"off", "json", false, true},
	} {
		if got := accessLogOff(tc.mode, tc.format, tc.terminal); got != tc.off {
			t.Errorf("--access-log %s, --log-format %s, terminal %v: off = %v, want %v", tc.mode, tc.format, tc.terminal, got, tc.off)
		}
	}
}

// A terminal is a character device; files, pipes and buffers are not.
func TestInteractiveTellsTerminalsFromFilesAndPipes(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	file, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	for _, s := range []any{w, file, &bytes.Buffer{}, io.Discard} {
		if interactive(s) {
			t.Errorf("%T is taken for a terminal", s)
		}
	}
	dev, err := os.Open(os.DevNull) // a character device, like a terminal
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	if !interactive(dev) {
		t.Error("a character device is not taken for a terminal")
	}
}

// --access-log off writes no request lines even to a pipe, where they are
// on by default; a bad value is refused.
func TestServeAccessLogFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{{nil, true}, {[]string{"--access-log", "off"}, false}} {
		p := startServe(t, filepath.Join(t.TempDir(), "data"), tc.args...)
		resp, err := http.Get(p.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if err := p.stop(t); err != nil {
			t.Fatalf("stop: %v", err)
		}
		if got := strings.Contains(p.stderr.String(), "msg=request"); got != tc.want {
			t.Errorf("esp serve %v: request lines written = %v, want %v:\n%s", tc.args, got, tc.want, p.stderr.String())
		}
	}
	var out strings.Builder
	getenv := func(k string) string {
		return map[string]string{"ESP_DATA": t.TempDir(), "ESP_ACCESS_LOG": "sometimes"}[k]
	}
	err := run(context.Background(), []string{"serve"}, getenv, strings.NewReader(""), &out, &out)
	var u usageError
	if !errors.As(err, &u) || !strings.Contains(err.Error(), "ESP_ACCESS_LOG") {
		t.Fatalf("ESP_ACCESS_LOG=sometimes: %v, want a usage error naming it", err)
	}
}

// The first-run banner names the one command that sets a new password,
// for this very data folder, and that command works.
func TestFirstRunBannerNamesThePasswdCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my data")
	p := startServe(t, dir)
	want := shellWord(espBinary) + " user passwd --tenant demo admin --data '" + dir + "'"
	if !strings.Contains(p.Banner, "\n  "+want+"\n") {
		t.Fatalf("the banner does not name %q:\n%s", want, p.Banner)
	}
	if strings.Index(p.Banner, "password") > strings.Index(p.Banner, "ESP is running at") {
		t.Errorf("the passwords come after the address line:\n%s", p.Banner)
	}
	code, stdout, stderr := execCLI(t, dir, "a-new-password\n", "user", "passwd", "--tenant", "demo", "admin", "--data", dir)
	if code != 0 || !strings.Contains(stdout, "new password set") {
		t.Fatalf("the banner's command: exit %d, %q %q", code, stdout, stderr)
	}
	if p.stop(t) != nil {
		t.Fatal("esp serve did not stop cleanly")
	}
}

// The command names the database the server runs on: the default folder
// needs no flag, another folder is quoted when it must be, PostgreSQL
// says which flag to add.
func TestPasswdCommandNamesTheDatabase(t *testing.T) {
	for _, tc := range []struct {
		db   dbFlags
		want string
	}{
		{dbFlags{data: "./data"}, "esp user passwd --tenant demo admin"},
		{dbFlags{data: "/srv/esp"}, "esp user passwd --tenant demo admin --data /srv/esp"},
		{dbFlags{data: "/srv/it's here"}, `esp user passwd --tenant demo admin --data '/srv/it'\''s here'`},
		{dbFlags{url: "postgres://esp:secret@db/esp"}, "esp user passwd --tenant demo admin --database-url URL   # the URL this server uses"},
	} {
		if got := passwdCommand("esp", &tc.db, "admin"); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.db, got, tc.want)
		}
	}
}
