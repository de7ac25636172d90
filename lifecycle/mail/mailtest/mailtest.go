// Package mailtest is a real SMTP server for tests (emersion/go-smtp,
// in-process, on a loopback port) that records each message it accepts,
// and can refuse for a while like a mail server in trouble.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Received is one message as the server accepted it.
type Received struct {
	From string
	To   []string
	Data []byte
	TLS  bool   // the conversation was encrypted (STARTTLS or implicit)
	User string // the user that authenticated ("" none)
}

// Server is the running server.
type Server struct {
	Addr     string // host:port
	mu       sync.Mutex
	received []Received
	refuse   *smtp.SMTPError
	users    map[string]string
	accepted func()
}

// Options configure Start.
type Options struct {
	TLS      *tls.Config       // offers STARTTLS with it
	Implicit bool              // TLS from the first byte (smtps), with TLS
	Users    map[string]string // username → password that AUTH PLAIN accepts
	Debug    io.Writer         // the conversation, both ways
	Accepted func()            // called after each message is received
}

// Start runs a server until the test ends.
func Start(tb testing.TB, o Options) *Server {
	tb.Helper()
	s := &Server{users: o.Users, accepted: o.Accepted}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, tlsOn := c.TLSConnectionState()
		return &session{srv: s, conn: c, tls: tlsOn}, nil
	}))
	srv.Domain = "mail.test"
	srv.TLSConfig = o.TLS
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.Debug = o.Debug
	var l net.Listener
	var err error
	if o.Implicit {
		l, err = tls.Listen("tcp", "127.0.0.1:0", o.TLS)
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		tb.Fatal(err)
	}
	s.Addr = l.Addr().String()
	go srv.Serve(l)
	tb.Cleanup(func() { srv.Close() })
	return s
}

// Refuse makes the server refuse until Accept: a 4xx code answers every
// MAIL FROM (a server in trouble), a 5xx code every RCPT TO (an address
// refused for good).
func (s *Server) Refuse(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	if code >= 500 {
		s.refuse.EnhancedCode = smtp.EnhancedCode{5, 1, 1}
		s.refuse.Message = "no such user"
	}
}

// Accept ends Refuse.
func (s *Server) Accept() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = nil
}

// Received lists the messages accepted so far.
func (s *Server) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

type session struct {
	srv  *Server
	conn *smtp.Conn
	tls  bool
	user string
	msg  Received
}

func (s *session) refusal() error {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	if s.srv.refuse != nil {
		return s.srv.refuse
	}
	return nil
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if want, ok := s.srv.users[user]; !ok || want != pass {
			return errors.New("invalid credentials")
		}
		s.user = user
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if err := s.refusal(); err != nil && err.(*smtp.SMTPError).Code < 500 {
		return err // a server in trouble refuses every message
	}
	_, tlsOn := s.conn.TLSConnectionState()
	s.msg = Received{From: from, TLS: tlsOn || s.tls, User: s.user}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := s.refusal(); err != nil {
		return err
	}
	s.msg.To = append(s.msg.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.msg.Data = b
	s.srv.mu.Lock()
	s.srv.received = append(s.srv.received, s.msg)
	s.srv.mu.Unlock()
	if s.srv.accepted != nil {
		s.srv.accepted()
	}
	return nil
}

func (s *session) Reset()        { s.msg = Received{} }
func (s *session) Logout() error { return nil }

// SelfSigned makes a certificate for 127.0.0.1 and localhost: the
// server's TLS configuration and a pool of roots that trusts it.
func SelfSigned(tb testing.TB) (*tls.Config, *x509.CertPool) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mail.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}

// Decode is a message as people read it: its headers (encoded words
// decoded) and each part's content type and decoded text, one after
// another, so that a test can look for words (or for a key that must not
// be there) whatever the transfer encoding.
func Decode(tb testing.TB, data []byte) string {
	tb.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		tb.Fatal(err)
	}
	var b strings.Builder
	dec := new(mime.WordDecoder)
	for name, vs := range m.Header {
		for _, v := range vs {
			d, err := dec.DecodeHeader(v)
			if err != nil {
				d = v
			}
			fmt.Fprintf(&b, "%s: %s\n", name, d)
		}
	}
	decodePart(tb, &b, m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), m.Body)
	return b.String()
}

func decodePart(tb testing.TB, b *strings.Builder, ctype, encoding string, body io.Reader) {
	tb.Helper()
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		tb.Fatalf("content type %q: %v", ctype, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		r := multipart.NewReader(body, params["boundary"])
		for {
			p, err := r.NextRawPart()
			if err == io.EOF {
				return
			}
			if err != nil {
				tb.Fatal(err)
			}
			decodePart(tb, b, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)
		}
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	text, err := io.ReadAll(body)
	if err != nil {
		tb.Fatal(err)
	}
	fmt.Fprintf(b, "--- %s\n%s\n", mt, text)
}
