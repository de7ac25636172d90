package api

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// ScanningKeysConfig says where the public keys of a secret scanner's
// reports are.
type ScanningKeysConfig struct {
	// Source is a file, or an https URL, of a document in GitHub's format:
	// {"public_keys": [{"key_identifier", "key" (PEM), "is_current"}]}.
	Source string
	// Transport carries the URL's requests; nil is http.DefaultTransport.
	// Tests give the transport of their TLS server.
	Transport http.RoundTripper
	// Now is the clock that spaces fetches (nil: time.Now).
	Now func() time.Time
}

// The bounds of fetching the keys.
const (
	keysFetchEvery   = time.Minute      // an unknown key fetches the keys again at most this often
	keysFetchTimeout = 10 * time.Second // a fetch that takes longer fails
	maxKeysDocument  = 1 << 20          // a keys document longer than this is refused
	maxKeysRedirects = 3
)

// ScanningKeys are the public keys a secret scanner signs its reports
// with, by identifier. An identifier it does not know fetches them again,
// at most once a minute whatever arrives, so a forger cannot make ESP
// fetch at will.
type ScanningKeys struct {
	cfg    ScanningKeysConfig
	client *http.Client

	mu      sync.Mutex
	keys    map[string]*ecdsa.PublicKey
	fetched time.Time // when the keys were last read (or tried)
}

// NewScanningKeys reads the keys of cfg.Source once; an unreadable source
// is an error.
func NewScanningKeys(ctx context.Context, cfg ScanningKeysConfig) (*ScanningKeys, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if !strings.HasPrefix(cfg.Source, "https://") && strings.Contains(cfg.Source, "://") {
		return nil, fmt.Errorf("secret scanning keys: %q is neither a file nor an https URL", cfg.Source)
	}
	k := &ScanningKeys{cfg: cfg, client: keysClient(cfg.Transport)}
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.load(context.WithoutCancel(ctx)); err != nil {
		return nil, err
	}
	return k, nil
}

// keysClient fetches the keys document: bounded in time, following only
// https redirects, few of them.
func keysClient(t http.RoundTripper) *http.Client {
	return &http.Client{Transport: t, Timeout: keysFetchTimeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Scheme != "https" {
				return errors.New("redirect away from https")
			}
			if len(via) > maxKeysRedirects {
				return errors.New("too many redirects")
			}
			return nil
		}}
}

// Key is the public key named id, fetching the keys again first when id is
// unknown and the last fetch is at least a minute old. ok is false for a
// key that stays unknown.
func (k *ScanningKeys) Key(ctx context.Context, id string) (key *ecdsa.PublicKey, ok bool, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if key, ok = k.keys[id]; ok {
		return key, true, nil
	}
	if k.cfg.Now().Sub(k.fetched) < keysFetchEvery {
		return nil, false, nil
	}
	// The fetch is the server's, not the report's: a client that goes
	// away mid-fetch must not spend the minute's fetch on nothing. The
	// client's own timeout bounds it.
	if err := k.load(context.WithoutCancel(ctx)); err != nil {
		return nil, false, err
	}
	key, ok = k.keys[id]
	return key, ok, nil
}

// load reads the keys from the source, the lock held. A failed read keeps
// the keys known so far, and counts as a fetch.
func (k *ScanningKeys) load(ctx context.Context) error {
	k.fetched = k.cfg.Now()
	doc, err := k.read(ctx)
	if err != nil {
		return fmt.Errorf("secret scanning keys: %w", err)
	}
	keys, err := parseScanningKeys(doc)
	if err != nil {
		return fmt.Errorf("secret scanning keys from %s: %w", k.cfg.Source, err)
	}
	k.keys = keys
	return nil
}

func (k *ScanningKeys) read(ctx context.Context) ([]byte, error) {
	if !strings.HasPrefix(k.cfg.Source, "https://") {
		return os.ReadFile(k.cfg.Source)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.cfg.Source, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", k.cfg.Source, resp.Status)
	}
	doc, err := io.ReadAll(io.LimitReader(resp.Body, maxKeysDocument+1))
	if err == nil && len(doc) > maxKeysDocument {
		err = fmt.Errorf("GET %s: the document is longer than %d bytes", k.cfg.Source, maxKeysDocument)
	}
	return doc, err
}

// parseScanningKeys reads a keys document: every key must be an ECDSA
// public key in PEM.
func parseScanningKeys(doc []byte) (map[string]*ecdsa.PublicKey, error) {
	var d struct {
		PublicKeys []struct {
			ID  string `json:"key_identifier"`
			Key string `json:"key"`
		} `json:"public_keys"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("not a keys document: %w", err)
	}
	keys := make(map[string]*ecdsa.PublicKey, len(d.PublicKeys))
	for _, e := range d.PublicKeys {
		block, _ := pem.Decode([]byte(e.Key))
		if block == nil || e.ID == "" {
			return nil, fmt.Errorf("key %q is not in PEM", e.ID)
		}
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", e.ID, err)
		}
		ec, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("key %q is not an ECDSA key", e.ID)
		}
		keys[e.ID] = ec
	}
	return keys, nil
}
