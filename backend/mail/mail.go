// Package mail sends livemall's outgoing email: plain-text messages to one
// recipient each, either written as .eml files to an outbox directory (for
// development and tests: the server log shows the link in each message) or
// handed to an SMTP server.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/livemall/livemall/backend/apperr"
)

// Message is one plain-text email to one recipient.
type Message struct {
	// To is a bare address such as ana@example.com, without a display name.
	To string
	// Subject is one line of text, any Unicode; it is encoded as needed.
	Subject string
	// Text is the UTF-8 body; line breaks may be \n or \r\n.
	Text string
}

// Sender delivers messages. Send returns once the message is handed over
// (written to the outbox, accepted by the SMTP server), not delivered; a
// message whose To or Subject is unsafe in a header is refused with an
// apperr.Invalid error before anything is sent.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// maxSubjectRunes bounds the subject so that a header stays readable.
const maxSubjectRunes = 200

// ValidateAddress accepts a bare address like ana@example.com (no display
// name, no line breaks, a dot in the domain, at most 254 bytes) and refuses
// anything else with an apperr.Invalid error naming the address.
func ValidateAddress(addr string) error {
	if addr == "" {
		return apperr.New(apperr.Invalid, "email is required")
	}
	if len(addr) > 254 {
		return apperr.New(apperr.Invalid, "email is longer than 254 characters")
	}
	if strings.ContainsAny(addr, "\r\n") {
		return apperr.New(apperr.Invalid, "email %q must not contain line breaks", addr)
	}
	a, err := netmail.ParseAddress(addr)
	if err != nil || a.Address != addr || a.Name != "" ||
		!strings.Contains(addr[strings.LastIndex(addr, "@"):], ".") ||
		strings.ContainsFunc(addr, func(r rune) bool { return r < 0x21 || r == 0x7f }) {
		return apperr.New(apperr.Invalid, "email %q is not a valid address like name@example.com", addr)
	}
	return nil
}

// Validate checks that m can be put into headers safely: To is a valid bare
// address and Subject is one line. The errors carry apperr.Invalid.
func (m Message) Validate() error {
	if err := ValidateAddress(m.To); err != nil {
		return err
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return apperr.New(apperr.Invalid, "subject must be one line, without line breaks")
	}
	if strings.TrimSpace(m.Subject) == "" {
		return apperr.New(apperr.Invalid, "subject is required")
	}
	if len([]rune(m.Subject)) > maxSubjectRunes {
		return apperr.New(apperr.Invalid, "subject is longer than %d characters", maxSubjectRunes)
	}
	return nil
}

// parseFrom parses the sender address, which may carry a display name
// ("livemall <noreply@example.com>").
func parseFrom(from string) (*netmail.Address, error) {
	if strings.ContainsAny(from, "\r\n") {
		return nil, fmt.Errorf("mail: from address %q contains a line break", from)
	}
	a, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("mail: from address %q is not an address like livemall <noreply@example.com>: %v", from, err)
	}
	return a, nil
}

// compose returns m as an RFC 5322 message with CRLF line endings and a
// quoted-printable UTF-8 body. m must have passed Validate.
func compose(from *netmail.Address, m Message, now time.Time) []byte {
	var b bytes.Buffer
	header := func(name, value string) { fmt.Fprintf(&b, "%s: %s\r\n", name, value) }
	header("Date", now.Format(time.RFC1123Z))
	header("From", from.String())
	header("To", m.To)
	header("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	header("Message-ID", messageID(from.Address))
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(m.Text)) // writes to a bytes.Buffer do not fail
	qp.Close()
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

// messageID returns a unique Message-ID in the sender's domain.
func messageID(from string) string {
	domain := "livemall.invalid"
	if i := strings.LastIndex(from, "@"); i >= 0 && i < len(from)-1 {
		domain = from[i+1:]
	}
	return "<" + randomHex(16) + "@" + domain + ">"
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
