package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"math/big"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cbcSuites are TLS 1.2 suites outside the intermediate profile: CBC mode
// with a SHA-1 MAC, and RSA key exchange.
var cbcSuites = map[string]uint16{
	"ECDHE-RSA-AES128-SHA":   tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	"ECDHE-RSA-AES256-SHA":   tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	"ECDHE-ECDSA-AES128-SHA": tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	"ECDHE-ECDSA-AES256-SHA": tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	"AES128-GCM-SHA256":      tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
}

// testCert is a certificate for key, signed by itself.
func testCert(t *testing.T, key crypto.Signer) tls.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// handshake runs a TLS 1.2 handshake of a client offering only suite
// against server, and returns the suite agreed on.
func handshake(server *tls.Config, suite uint16) (uint16, error) {
	sc, cc := net.Pipe()
	defer sc.Close()
	defer cc.Close()
	go tls.Server(sc, server).Handshake()
	c := tls.Client(cc, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{suite}})
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if err := c.Handshake(); err != nil {
		return 0, err
	}
	return c.ConnectionState().CipherSuite, nil
}

// In TLS 1.2 the server agrees to each suite of Mozilla's intermediate
// profile, with an ECDSA or an RSA certificate, and to no CBC or RSA key
// exchange suite.
func TestServerTLSOffersOnlyIntermediateSuites(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	servers := map[string]*tls.Config{"ECDSA": serverTLS(testCert(t, ec)), "RSA": serverTLS(testCert(t, rk))}
	tried := 0
	for _, s := range tls.CipherSuites() {
		if !strings.HasPrefix(s.Name, "TLS_ECDHE_") || !(strings.HasSuffix(s.Name, "_GCM_SHA256") ||
			strings.HasSuffix(s.Name, "_GCM_SHA384") || strings.Contains(s.Name, "CHACHA20")) {
			continue
		}
		tried++
		kind := "RSA"
		if strings.Contains(s.Name, "_ECDSA_") {
			kind = "ECDSA"
		}
		if got, err := handshake(servers[kind], s.ID); err != nil || got != s.ID {
			t.Errorf("%s with an %s certificate: agreed on %#04x, %v; want it accepted", s.Name, kind, got, err)
		}
	}
	if tried != 6 {
		t.Errorf("tried %d intermediate suites, want 6", tried)
	}
	for name, id := range cbcSuites {
		for kind, server := range servers {
			if got, err := handshake(server, id); err == nil {
				t.Errorf("%s with an %s certificate: agreed on %#04x, want the handshake refused", name, kind, got)
			}
		}
	}
}

// esp serve over TLS refuses a client that offers only a CBC suite, and
// speaks TLS 1.3 to one that offers it; TLS 1.1 is refused.
func TestServeOverTLSRefusesCBCSuites(t *testing.T) {
	certFile, keyFile, pool := selfSignedCert(t, t.TempDir())
	p := startServe(t, filepath.Join(t.TempDir(), "data"), "--tls-cert", certFile, "--tls-key", keyFile)
	addr := strings.TrimPrefix(p.URL, "https://")
	dial := func(cfg *tls.Config) (tls.ConnectionState, error) {
		cfg.RootCAs = pool
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, cfg)
		if err != nil {
			return tls.ConnectionState{}, err
		}
		defer c.Close()
		return c.ConnectionState(), nil
	}
	cbc := &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}}
	if st, err := dial(cbc); err == nil {
		t.Errorf("a client offering only ECDHE-ECDSA-AES128-SHA agreed on %#04x, want refused", st.CipherSuite)
	}
	gcm := &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}}
	if _, err := dial(gcm); err != nil {
		t.Errorf("a client offering ECDHE-ECDSA-AES128-GCM-SHA256: %v", err)
	}
	if st, err := dial(&tls.Config{}); err != nil || st.Version != tls.VersionTLS13 {
		t.Errorf("a default client: version %#04x, %v; want TLS 1.3", st.Version, err)
	}
	if _, err := dial(&tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}); err == nil {
		t.Error("a TLS 1.1 client was accepted")
	}
}
