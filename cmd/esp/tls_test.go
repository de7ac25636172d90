package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSignedCert writes a certificate for 127.0.0.1 and localhost, signed
// by its own key, and the key, as PEM files in dir; pool trusts it.
func selfSignedCert(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "esp test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost", "esp.test"},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

const wantHSTS = "max-age=63072000; includeSubDomains"

// esp serve --tls-cert --tls-key serves HTTPS: every answer carries
// Strict-Transport-Security, and the cookies are Secure. Over plain HTTP
// there is no HSTS and the cookies are not Secure.
func TestServeOverTLSSendsHSTSAndSecureCookies(t *testing.T) {
	certFile, keyFile, pool := selfSignedCert(t, t.TempDir())
	p := startServe(t, filepath.Join(t.TempDir(), "data"), "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(p.URL, "https://127.0.0.1:") {
		t.Fatalf("esp serve printed %s, want an https address", p.URL)
	}
	client := newClient(t, pool)
	page, post := login(t, client, p.URL, "admin", bannerPassword(t, p, "admin"))
	if page.TLS == nil {
		t.Fatal("GET /login was not answered over TLS")
	}
	for name, resp := range map[string]*http.Response{"GET /login": page, "POST /login": post} {
		if got := resp.Header.Get("Strict-Transport-Security"); got != wantHSTS {
			t.Errorf("%s: Strict-Transport-Security %q, want %q", name, got, wantHSTS)
		}
		if len(resp.Cookies()) == 0 {
			t.Errorf("%s set no cookie", name)
		}
		for _, ck := range resp.Cookies() {
			if !ck.Secure || !ck.HttpOnly {
				t.Errorf("%s: cookie %s is not Secure and HttpOnly: %s", name, ck.Name, ck.String())
			}
		}
	}
	for _, path := range []string{"/", "/api/v1/openapi.json", "/api/v1/plans", "/no-such-page", "/static/app.css"} {
		resp, err := client.Get(p.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Strict-Transport-Security"); got != wantHSTS {
			t.Errorf("GET %s (%d): Strict-Transport-Security %q, want %q", path, resp.StatusCode, got, wantHSTS)
		}
	}
	if err := p.stop(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}

	plain := startServe(t, filepath.Join(t.TempDir(), "data"))
	page, post = login(t, newClient(t, nil), plain.URL, "admin", bannerPassword(t, plain, "admin"))
	for name, resp := range map[string]*http.Response{"GET /login": page, "POST /login": post} {
		if got := resp.Header.Get("Strict-Transport-Security"); got != "" {
			t.Errorf("plain HTTP %s: Strict-Transport-Security %q, want none", name, got)
		}
		for _, ck := range resp.Cookies() {
			if ck.Secure {
				t.Errorf("plain HTTP %s: cookie %s is Secure: a browser would never send it back", name, ck.Name)
			}
		}
	}
}

// A certificate without its key (or the other way round), files that
// cannot be read as a certificate and its key, and a key that is not the
// certificate's, are refused at start with one line, before anything is
// created.
func TestServeRefusesIncompleteOrUnreadableTLSFiles(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := selfSignedCert(t, dir)
	junk := filepath.Join(dir, "junk.pem")
	os.WriteFile(junk, []byte("not a certificate\n"), 0o600)
	missing := filepath.Join(dir, "missing.pem")
	_, otherKey, _ := selfSignedCert(t, t.TempDir())
	for _, tc := range []struct {
		env  []string
		args []string
		want string
	}{
		{nil, []string{"--tls-cert", certFile}, "--tls-cert and --tls-key go together"},
		{nil, []string{"--tls-key", keyFile}, "--tls-cert and --tls-key go together"},
		{[]string{"ESP_TLS_CERT=" + certFile}, nil, "--tls-cert and --tls-key go together"},
		{nil, []string{"--tls-cert", missing, "--tls-key", keyFile}, "cannot use the TLS certificate"},
		{nil, []string{"--tls-cert", certFile, "--tls-key", missing}, "cannot use the TLS certificate"},
		{nil, []string{"--tls-cert", junk, "--tls-key", keyFile}, "cannot use the TLS certificate"},
		{nil, []string{"--tls-cert", keyFile, "--tls-key", certFile}, "cannot use the TLS certificate"},
		{nil, []string{"--tls-cert", dir, "--tls-key", keyFile}, "cannot use the TLS certificate"},
		{nil, []string{"--tls-cert", certFile, "--tls-key", otherKey}, "cannot use the TLS certificate"},
		{[]string{"ESP_TLS_CERT=" + certFile, "ESP_TLS_KEY=" + junk}, nil, "cannot use the TLS certificate"},
	} {
		data := filepath.Join(t.TempDir(), "data")
		code, stdout, stderr := execCLIEnv(t, data, tc.env, "", append([]string{"serve", "--addr", "127.0.0.1:0"}, tc.args...)...)
		assertOneLineFailure(t, code, stderr, tc.want)
		if _, err := os.Stat(data); !os.IsNotExist(err) {
			t.Errorf("%v %v: a refused start created its data folder (%v)", tc.env, tc.args, err)
		}
		if stdout != "" {
			t.Errorf("%v %v: a refused start printed %q", tc.env, tc.args, stdout)
		}
	}
}

// The TLS files come from the flags or from ESP_TLS_CERT and ESP_TLS_KEY,
// a flag over its variable.
func TestTLSFilesFromFlagsOrEnvironment(t *testing.T) {
	for _, tc := range []struct {
		env       map[string]string
		args      []string
		cert, key string
	}{
		{nil, nil, "", ""},
		{nil, []string{"--tls-cert", "c.pem", "--tls-key", "k.pem"}, "c.pem", "k.pem"},
		{map[string]string{"ESP_TLS_CERT": "ec.pem", "ESP_TLS_KEY": "ek.pem"}, nil, "ec.pem", "ek.pem"},
		{map[string]string{"ESP_TLS_CERT": "ec.pem", "ESP_TLS_KEY": "ek.pem"}, []string{"--tls-cert", "c.pem"}, "c.pem", "ek.pem"},
	} {
		cfg, err := parseServe(env{getenv: func(k string) string { return tc.env[k] }}, tc.args)
		if err != nil {
			t.Fatalf("%v %v: %v", tc.env, tc.args, err)
		}
		if cfg.tlsCert != tc.cert || cfg.tlsKey != tc.key {
			t.Errorf("%v %v: cert %q key %q; want %q %q", tc.env, tc.args, cfg.tlsCert, cfg.tlsKey, tc.cert, tc.key)
		}
	}
}
