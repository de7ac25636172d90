package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"esp/lifecycle"
	"esp/lifecycle/webhook"
)

// Config is how notices are sent.
type Config struct {
	// SMTPURL is smtp://[USER:PASS@]HOST[:PORT] (STARTTLS whenever the
	// server offers it; port 25 by default) or smtps://… (TLS from the
	// first byte; port 465 by default). A user and password turn on SMTP
	// AUTH, with the best mechanism the server offers.
	SMTPURL string
	From    string // the From address
	// PublicURL, when set, is where ESP is served: messages link to the
	// API Credentials window there.
	PublicURL string
	Timeout   time.Duration // of each SMTP conversation's steps (30s)
	// TLS, when set, is the TLS configuration (its ServerName is set to
	// the server's host); nil verifies the server against the system's
	// roots.
	TLS *tls.Config
}

// Sender sends notices through one SMTP server, one connection a message.
type Sender struct {
	cfg   Config
	host  string // the Message-IDs' right-hand side: the From address's domain
	opts  []gomail.Option
	shown string // the server's URL as errors name it, without its password
	addr  string
}

// New checks cfg and returns its sender. Errors name the SMTP URL without
// its user, password and query.
func New(cfg Config) (*Sender, error) {
	u, err := url.Parse(cfg.SMTPURL)
	if err != nil {
		return nil, errors.New("mail: the SMTP URL does not parse") // the error would quote the password
	}
	s := &Sender{cfg: cfg, shown: webhook.Redact(u), addr: u.Hostname()}
	from, err := netmail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("mail: the From address %q: %w", cfg.From, err)
	}
	s.host = from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if s.opts, err = clientOptions(u, cfg); err != nil {
		return nil, fmt.Errorf("mail: SMTP URL %s: %w", s.shown, err)
	}
	return s, nil
}

// clientOptions are go-mail's options for the server of u.
func clientOptions(u *url.URL, cfg Config) ([]gomail.Option, error) {
	if u.Hostname() == "" {
		return nil, errors.New("no host")
	}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLS != nil {
		tlsConf = cfg.TLS.Clone()
	}
	tlsConf.ServerName = u.Hostname()
	opts := []gomail.Option{gomail.WithTimeout(cfg.Timeout), gomail.WithTLSConfig(tlsConf)}
	port := 25
	switch u.Scheme {
	case "smtp":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case "smtps":
		port = 465
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, errors.New("the scheme must be smtp or smtps")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return nil, errors.New("bad port")
		}
		port = n
	}
	opts = append(opts, gomail.WithPort(port))
	if u.User != nil {
		pass, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pass))
	}
	return opts, nil
}

// String is the server as logs name it: no user, password or query.
func (s *Sender) String() string { return s.shown }

// Send composes n and sends it. A permanent refusal of the recipient (a
// 5xx answer to RCPT TO) wraps lifecycle.ErrPermanent: that address will
// never take it. Every other failure, 5xx answers to the other commands
// included (a sender's configuration an operator can fix), is for a retry.
func (s *Sender) Send(ctx context.Context, n lifecycle.Notice) error {
	m, err := Compose(n, s.cfg.PublicURL, s.host)
	if err != nil {
		return err
	}
	msg, err := s.message(n, m)
	if err != nil {
		return err
	}
	client, err := gomail.NewClient(s.addr, s.opts...)
	if err != nil {
		return fmt.Errorf("mail: client for %s: %w", s.shown, err)
	}
	err = client.DialAndSendWithContext(ctx, msg)
	if err == nil {
		return nil
	}
	var se *gomail.SendError
	if errors.As(err, &se) && se.Reason == gomail.ErrSMTPRcptTo && !se.IsTemp() {
		return fmt.Errorf("mail: %s refused %s: %w: %w", s.shown, n.To, lifecycle.ErrPermanent, err)
	}
	return fmt.Errorf("mail: send through %s: %w", s.shown, err)
}

// message is m addressed to n's recipient, with the headers of an
// automatic message.
func (s *Sender) message(n lifecycle.Notice, m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(s.cfg.From); err != nil {
		return nil, fmt.Errorf("mail: From: %w", err)
	}
	if err := msg.To(n.To); err != nil {
		return nil, fmt.Errorf("mail: recipient %q: %w", n.To, lifecycle.ErrPermanent)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.MessageID)
	msg.SetDate()
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	return msg, nil
}
