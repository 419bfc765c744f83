package mail

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	netmail "net/mail"
	"net/smtp"
	"net/url"
	"strconv"
	"time"
)

// SMTP is a Sender that hands each message to an SMTP server (a relay such
// as the provider's submission port), one connection per message.
type SMTP struct {
	addr        string // host:port
	host        string
	implicitTLS bool // smtps://: TLS from the first byte
	user, pass  string
	from        *netmail.Address
	timeout     time.Duration // for a whole message, unless ctx ends sooner
	now         func() time.Time
}

// NewSMTP returns an SMTP sender for rawURL, smtp://user:pass@host:port
// (port 587 by default; STARTTLS is used when the server offers it) or
// smtps://user:pass@host:port (TLS from the start, port 465 by default).
// User and password are optional; when given they are sent with AUTH PLAIN,
// which is refused over an unencrypted connection to anything but
// localhost. from is the From header, with or without a display name. The
// error names what is wrong with the URL, never its password.
func NewSMTP(rawURL, from string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("mail: SMTP URL is not a URL like smtp://user:password@host:587: %v", redactedURLError(err))
	}
	shown := u.Redacted()
	var port int
	switch u.Scheme {
	case "smtp":
		port = 587
	case "smtps":
		port = 465
	default:
		return nil, fmt.Errorf("mail: SMTP URL %q must start with smtp:// or smtps://", shown)
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return nil, fmt.Errorf("mail: SMTP URL %q names no host (want smtp://user:password@host:587)", shown)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("mail: SMTP URL %q has port %q, want 1 to 65535", shown, p)
		}
		port = n
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("mail: SMTP URL %q has a path, query or fragment, which mean nothing here", shown)
	}
	f, err := parseFrom(from)
	if err != nil {
		return nil, err
	}
	s := &SMTP{
		addr:        net.JoinHostPort(u.Hostname(), strconv.Itoa(port)),
		host:        u.Hostname(),
		implicitTLS: u.Scheme == "smtps",
		from:        f,
		timeout:     30 * time.Second,
		now:         time.Now,
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	return s, nil
}

// redactedURLError returns the error of url.Parse without the URL, which
// may hold a password.
func redactedURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// Send delivers m in one SMTP session. It gives up when ctx ends or after
// 30 seconds.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	raw := compose(s.from, m, s.now().UTC())
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	conn, err := s.dial(ctx)
	if err != nil {
		return fmt.Errorf("mail: connect to SMTP server %s: %w", s.addr, err)
	}
	defer conn.Close()
	// Unblock reads and writes once ctx ends (the caller gives up or the
	// timeout passes); ctx.Err() is then set, so the error says why.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := s.session(conn, m.To, raw); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("mail: send via %s: %w (%v)", s.addr, ctx.Err(), err)
		}
		return fmt.Errorf("mail: send via %s: %w", s.addr, err)
	}
	return nil
}

// dial opens the connection, in TLS for smtps://.
func (s *SMTP) dial(ctx context.Context) (net.Conn, error) {
	if s.implicitTLS {
		d := &tls.Dialer{Config: &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}}
		return d.DialContext(ctx, "tcp", s.addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", s.addr)
}

// session speaks SMTP on conn: EHLO, STARTTLS if offered, AUTH if
// configured, then one message to one recipient.
func (s *SMTP) session(conn net.Conn, to string, raw []byte) error {
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return err
	}
	defer c.Close()
	encrypted := s.implicitTLS
	if !encrypted {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(&tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}); err != nil {
				return fmt.Errorf("STARTTLS: %w", err)
			}
			encrypted = true
		}
	}
	if s.user != "" {
		if !encrypted && !isLocalHost(s.host) {
			return fmt.Errorf("the server offers no STARTTLS: refusing to send the password unencrypted (use smtps:// or a server with STARTTLS)")
		}
		if ok, _ := c.Extension("AUTH"); !ok {
			return fmt.Errorf("credentials are configured but the server offers no AUTH")
		}
		if err := c.Auth(smtp.PlainAuth("", s.user, s.pass, s.host)); err != nil {
			return fmt.Errorf("AUTH: %w", err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(raw); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	return c.Quit()
}

// isLocalHost reports whether host is the loopback, where net/smtp allows
// AUTH PLAIN without TLS.
func isLocalHost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}
