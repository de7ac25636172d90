package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMakeRunHonoursAddressAndDataSettings reads what `make run` would
// run (make -n) at the repository's root: ESP_ADDR and ESP_DATA are used
// as esp serve itself uses them, ADDR= and DATA= on the command line win,
// and without either the defaults are esp serve's.
func TestMakeRunHonoursAddressAndDataSettings(t *testing.T) {
	mk, err := exec.LookPath("make")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("make is not installed")
		}
		t.Skip("*** make is not installed: the Makefile is not checked ***")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	// The environment without any of the settings under test.
	var base []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "ESP_ADDR", "ESP_DATA", "ADDR", "DATA", "MAKEFLAGS", "MFLAGS", "MAKELEVEL":
			continue
		}
		base = append(base, kv)
	}
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"defaults", nil, nil, "--data ./data --addr 127.0.0.1:8080"},
		{"environment", []string{"ESP_ADDR=127.0.0.1:8090", "ESP_DATA=/srv/esp-data"}, nil, "--data /srv/esp-data --addr 127.0.0.1:8090"},
		{"only ESP_ADDR", []string{"ESP_ADDR=127.0.0.1:8091"}, nil, "--data ./data --addr 127.0.0.1:8091"},
		{"make variables win", []string{"ESP_ADDR=127.0.0.1:8090", "ESP_DATA=/srv/esp-data"},
			[]string{"ADDR=127.0.0.1:9000", "DATA=/tmp/esp"}, "--data /tmp/esp --addr 127.0.0.1:9000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(mk, append([]string{"-n", "-C", root, "run"}, tc.args...)...)
			cmd.Env = append(append([]string{}, base...), tc.env...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("make -n run: %v\n%s", err, out)
			}
			var serve string
			for _, line := range strings.Split(string(out), "\n") {
				if strings.Contains(line, "bin/esp serve") {
					serve = strings.TrimSpace(line)
				}
			}
			if want := "./bin/esp serve " + tc.want; serve != want {
				t.Fatalf("make -n run runs %q, want %q\n%s", serve, want, out)
			}
		})
	}
}
