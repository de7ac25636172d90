package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Without --secret-scanning-keys, serve says at start that secret scanning
// is off, and the route answers 404; with a keys file, it verifies reports.
func TestServeSecretScanningOffUnlessKeysAreGiven(t *testing.T) {
	off := startServe(t, t.TempDir())
	if !strings.Contains(off.Banner, "Secret scanning is off") {
		t.Fatalf("the banner does not say secret scanning is off:\n%s", off.Banner)
	}
	if code := postReport(t, off.URL, "", ""); code != http.StatusNotFound {
		t.Fatalf("report with secret scanning off: %d, want 404", code)
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	doc, _ := json.Marshal(map[string]any{"public_keys": []map[string]any{{"key_identifier": "k1",
		"key": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), "is_current": true}}})
	keys := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(keys, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	on := startServe(t, t.TempDir(), "--secret-scanning-keys", keys)
	if strings.Contains(on.Banner, "Secret scanning is off") {
		t.Fatalf("the banner says secret scanning is off with keys:\n%s", on.Banner)
	}
	if code := postReport(t, on.URL, "k1", ""); code != http.StatusUnauthorized {
		t.Fatalf("unsigned report: %d, want 401", code)
	}
	digest := sha256.Sum256([]byte(`[]`))
	sig, _ := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if code := postReport(t, on.URL, "k1", base64.StdEncoding.EncodeToString(sig)); code != http.StatusOK {
		t.Fatalf("signed report: %d, want 200", code)
	}
}

// A keys source that cannot be read stops serve before it listens.
func TestServeRefusesUnreadableScanningKeys(t *testing.T) {
	r := runCLI(t, t.TempDir(), "", "serve", "--addr", "127.0.0.1:0", "--secret-scanning-keys", filepath.Join(t.TempDir(), "missing.json"))
	if r.err == nil || !strings.Contains(r.err.Error(), "--secret-scanning-keys") {
		t.Fatalf("error %v; want a refusal naming --secret-scanning-keys", r.err)
	}
}

// postReport posts the empty report [] with the headers given.
func postReport(t *testing.T, base, id, sig string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/secret-scanning/github", strings.NewReader(`[]`))
	if id != "" {
		req.Header.Set("Github-Public-Key-Identifier", id)
	}
	if sig != "" {
		req.Header.Set("Github-Public-Key-Signature", sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
