package api_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"esp/lifecycle"
	"esp/web/api"
	"esp/web/internal/webtest"
)

// leakURL is where the tests' reports say the tokens were found.
const leakURL = "https://github.com/acme/tools/blob/main/config.yml"

// scanner plays GitHub's secret scanning: a key pair of its own, whose
// public key ESP reads from a keys document in GitHub's format.
type scanner struct {
	id    string
	key   *ecdsa.PrivateKey
	clock *webtest.FakeClock // the keys' clock: when they may be fetched again
}

func newScanner(t *testing.T, id string) *scanner {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &scanner{id: id, key: key, clock: &webtest.FakeClock{}}
}

// keysDocument is GitHub's document of the scanners' public keys.
func keysDocument(t *testing.T, scanners ...*scanner) []byte {
	t.Helper()
	type entry struct {
		ID      string `json:"key_identifier"`
		Key     string `json:"key"`
		Current bool   `json:"is_current"`
	}
	var doc struct {
		Keys []entry `json:"public_keys"`
	}
	for _, s := range scanners {
		der, err := x509.MarshalPKIXPublicKey(&s.key.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		doc.Keys = append(doc.Keys, entry{s.id, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), true})
	}
	b, _ := json.Marshal(doc)
	return b
}

// keys reads the scanner's keys from a keys file.
func (s *scanner) keys(t *testing.T) *api.ScanningKeys {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(path, keysDocument(t, s), 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := api.NewScanningKeys(context.Background(), api.ScanningKeysConfig{Source: path, Now: s.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// withKeys turns secret scanning on with keys.
func withKeys(k *api.ScanningKeys) func(*webtest.Config) {
	return func(c *webtest.Config) { c.API.ScanningKeys = k }
}

// scanningEnv is a server whose secret scanning trusts a new scanner.
func scanningEnv(t *testing.T) (*webtest.Env, *scanner) {
	t.Helper()
	s := newScanner(t, "test-key-1")
	return webtest.NewEnv(t, withKeys(s.keys(t))), s
}

// sign is the signature header of body.
func (s *scanner) sign(t *testing.T, body []byte) string {
	t.Helper()
	digest := sha256.Sum256(body)
	sig, err := ecdsa.SignASN1(rand.Reader, s.key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// reportBody is a report of tokens, each of type esp_secret_key, found at
// leakURL.
func reportBody(tokens ...string) []byte {
	out := make([]map[string]string, len(tokens))
	for i, tok := range tokens {
		out[i] = map[string]string{"token": tok, "type": "esp_secret_key", "url": leakURL, "source": "content"}
	}
	b, _ := json.Marshal(out)
	return b
}

// reportRequest is the POST of body with the identifier and signature
// headers (none when empty).
func reportRequest(body []byte, id, sig string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/api/v1/secret-scanning/github", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	if id != "" {
		req.Header.Set("Github-Public-Key-Identifier", id)
	}
	if sig != "" {
		req.Header.Set("Github-Public-Key-Signature", sig)
	}
	return req
}

// report sends body signed by s.
func (s *scanner) report(t *testing.T, env *webtest.Env, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	return env.Do(reportRequest(body, s.id, s.sign(t, body)))
}

type feedback struct {
	TokenHash string `json:"token_hash"`
	TokenType string `json:"token_type"`
	Label     string `json:"label"`
}

// mustFeedback reads a 200 answer's feedback array.
func mustFeedback(t *testing.T, rec *httptest.ResponseRecorder) []feedback {
	t.Helper()
	webtest.MustStatus(t, rec, http.StatusOK)
	var fb []feedback
	if err := json.Unmarshal(rec.Body.Bytes(), &fb); err != nil {
		t.Fatalf("answer %s: %v", rec.Body, err)
	}
	return fb
}

// hashHex is the hex SHA-256 of a token.
func hashHex(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// historyOf is the tenant's history, newest first, as "event by actor".
func historyOf(t *testing.T, env *webtest.Env) []lifecycle.HistoryEntry {
	t.Helper()
	h, err := env.Service.History(context.Background(), env.Acme.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// countEvents counts the history's entries with the event's words.
func countEvents(h []lifecycle.HistoryEntry, words string) int {
	n := 0
	for _, e := range h {
		if e.Event == words {
			n++
		}
	}
	return n
}

// fetchCounter serves a keys document over TLS and counts its fetches.
type fetchCounter struct {
	mu  sync.Mutex
	n   int
	doc []byte
}

func (f *fetchCounter) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	w.Header().Set("Content-Type", "application/json")
	w.Write(f.doc)
}

func (f *fetchCounter) count() int { f.mu.Lock(); defer f.mu.Unlock(); return f.n }

func (f *fetchCounter) serve(doc []byte) { f.mu.Lock(); defer f.mu.Unlock(); f.doc = doc }
