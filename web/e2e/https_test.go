package e2e_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// selfSignedCert writes a self-signed certificate for esp.test and
// 127.0.0.1, and its key, as PEM files; it returns their paths.
func selfSignedCert(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "esp.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"esp.test"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// TestCopyOverHTTPS opens the app served over HTTPS by esp serve itself
// (--tls-cert, --tls-key), under a name that is not localhost: the name
// that on plain HTTP is no secure context (TestCopyOnPlainHTTP). Over HTTPS
// it is one, so Copy uses the clipboard API: it says Copied and the
// clipboard holds the key.
func TestCopyOverHTTPS(t *testing.T) {
	certFile, keyFile := selfSignedCert(t)
	srv := startServer(t, "--activator", "local", "--tls-cert", certFile, "--tls-key", keyFile)
	tb := startBrowser(t, chromedp.Flag("host-resolver-rules", "MAP esp.test 127.0.0.1"),
		chromedp.Flag("ignore-certificate-errors", true))
	base := "https://esp.test:" + srv.Port
	tb.grantClipboard(base)

	tb.login(base, "admin", srv.Passwords["admin"])
	if !eval[bool](tb, "window.isSecureContext") {
		t.Fatalf("%s is not a secure context", base)
	}
	tb.openWindowFromMenu()
	if code := tb.clickAndLoad("generate"); code != 200 {
		t.Fatalf("Generate answered %d, want 200", code)
	}
	s := tb.waitFor("the new keys", func(s screen) bool { return s.AccessKey != "" && s.CopyAccessKey })
	tb.writeClipboard("clipboard before copy-access-key")
	tb.click("copy-access-key")
	tb.waitFor(`copy-access-key says "Copied"`, func(s screen) bool { return s.AccessKeyMsg == copied })
	if got := tb.readClipboard(); got != s.AccessKey {
		t.Fatalf("after Copy over HTTPS the clipboard holds %q, want the key %q", got, s.AccessKey)
	}
}
