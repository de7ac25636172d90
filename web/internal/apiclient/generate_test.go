package apiclient_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// TestAPIGeneratedClientIsUpToDate regenerates the client from the OpenAPI
// document, as `go generate ./web/internal/apiclient` does, and compares it
// with the committed file: a change to the document without the generate
// step fails here.
func TestAPIGeneratedClientIsUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds oapi-codegen")
	}
	// The same settings, writing elsewhere.
	cfg, err := os.ReadFile("oapi-codegen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "apiclient.gen.go")
	cfg = regexp.MustCompile(`(?m)^output: .*$`).ReplaceAll(cfg, []byte("output: "+out))
	if !bytes.Contains(cfg, []byte("output: "+out)) {
		t.Fatal("oapi-codegen.yaml names no output file")
	}
	tmpCfg := filepath.Join(dir, "oapi-codegen.yaml")
	if err := os.WriteFile(tmpCfg, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "tool", "oapi-codegen", "-config", tmpCfg, "../../api/openapi.json")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("oapi-codegen: %v\n%s", err, b)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("apiclient.gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("apiclient.gen.go is not what the OpenAPI document generates: run go generate ./web/internal/apiclient")
	}
}
