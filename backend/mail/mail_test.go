package mail

import (
	"bytes"
	"io"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/apperr"
)

func TestMailValidateRefusesBadHeaders(t *testing.T) {
	tests := []struct {
		name, to, subject, want string
	}{
		{"empty address", "", "Hi", "email is required"},
		{"no at", "ana.example.com", "Hi", "not a valid address"},
		{"no dot in domain", "ana@localhost", "Hi", "not a valid address"},
		{"display name", "Ana <ana@example.com>", "Hi", "not a valid address"},
		{"two addresses", "ana@example.com, ben@example.com", "Hi", "not a valid address"},
		{"CRLF header injection", "ana@example.com\r\nBcc: eve@example.com", "Hi", "line breaks"},
		{"LF in address", "ana@example.com\nBcc: eve@example.com", "Hi", "line breaks"},
		{"CR in address", "ana@example.com\r", "Hi", "line breaks"},
		{"space inside", "ana @example.com", "Hi", "not a valid address"},
		{"surrounding spaces", " ana@example.com ", "Hi", "not a valid address"},
		{"comment", "ana@example.com (Ana)", "Hi", "not a valid address"},
		{"too long", strings.Repeat("a", 250) + "@example.com", "Hi", "longer than 254"},
		{"tab", "ana\t@example.com", "Hi", "not a valid address"},
		{"CRLF in subject", "ana@example.com", "Hi\r\nBcc: eve@example.com", "one line"},
		{"LF in subject", "ana@example.com", "Hi\nthere", "one line"},
		{"empty subject", "ana@example.com", " ", "subject is required"},
		{"long subject", "ana@example.com", strings.Repeat("é", 201), "longer than 200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Message{To: tt.to, Subject: tt.subject, Text: "x"}.Validate()
			if !apperr.Is(err, apperr.Invalid) || !strings.Contains(apperr.Message(err), tt.want) {
				t.Fatalf("Validate(%q, %q) = %v, want invalid containing %q", tt.to, tt.subject, err, tt.want)
			}
		})
	}
	for _, ok := range []string{"ana@example.com", "ana.souza+shop@mail.example.co.uk", "o'neil@example.ie"} {
		if err := (Message{To: ok, Subject: "Hi", Text: "x"}).Validate(); err != nil {
			t.Errorf("Validate(%q) = %v, want nil", ok, err)
		}
	}
}

// parsed is a composed message read back with net/mail.
type parsed struct {
	header netmail.Header
	body   string
}

// parseComposed reads raw back as a mail reader would and decodes the body.
func parseComposed(t testing.TB, raw []byte) parsed {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read composed message: %v\n%s", err, raw)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatalf("decode quoted-printable body: %v\n%s", err, raw)
	}
	return parsed{header: msg.Header, body: string(body)}
}

func TestMailComposeHeaders(t *testing.T) {
	from, err := parseFrom("livemall <noreply@livemall.example>")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	text := "Olá Ana,\n\nopen https://livemall.example/phone/?verify=abc_DEF-123 within 48 hours.\n" + strings.Repeat("long line ", 20) + "\n.\n"
	raw := compose(from, Message{To: "ana@example.com", Subject: "Confirmação — livemall", Text: text}, now)
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) || bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\r")) {
		t.Fatalf("message has bare CR or LF line endings:\n%q", raw)
	}
	p := parseComposed(t, raw)
	h := p.header
	want := map[string]string{
		"Date":                      "Wed, 04 Mar 2026 05:06:07 +0000",
		"From":                      `"livemall" <noreply@livemall.example>`,
		"To":                        "ana@example.com",
		"Mime-Version":              "1.0",
		"Content-Type":              "text/plain; charset=utf-8",
		"Content-Transfer-Encoding": "quoted-printable",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil || subject != "Confirmação — livemall" {
		t.Errorf("Subject decodes to %q (%v), want %q", subject, err, "Confirmação — livemall")
	}
	if id := h.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@livemall.example>") {
		t.Errorf("Message-ID = %q, want <random@livemall.example>", id)
	}
	if got := strings.ReplaceAll(p.body, "\r\n", "\n"); got != text {
		t.Errorf("body = %q, want %q", got, text)
	}
	if len(h) != 8 {
		t.Errorf("message has %d headers, want 8: %v", len(h), h)
	}
}

func TestMailParseFromRefusesBadSender(t *testing.T) {
	for _, from := range []string{"", "noreply", "livemall <noreply@example.com>\r\nBcc: eve@example.com"} {
		if _, err := parseFrom(from); err == nil {
			t.Errorf("parseFrom(%q) succeeded, want an error", from)
		}
	}
}

// FuzzMailHeaders checks that whatever To and Subject pass Validate come
// back from a mail reader exactly as given, with no header added.
func FuzzMailHeaders(f *testing.F) {
	f.Add("ana@example.com", "Confirm your email for livemall", "hello https://x.example/?a=1")
	f.Add("ana@example.com\r\nBcc: eve@example.com", "Hi", "x")
	f.Add("ana@example.com", "Hi\r\nBcc: eve@example.com", "x")
	f.Add("ana@example.com", "Hi\nX-Evil: 1", "x")
	f.Add("\"a\r\nb\"@example.com", "Hi", "x")
	f.Add("ana@example.com", "=?utf-8?q?=0D=0ABcc:_eve@example.com?=", "x")
	f.Add("ana@example.com", "Olá — 日本語 ✓", "é\r\n.\r\n")
	f.Add("ana@exa\x00mple.com", "\x00", "\x00")
	from, err := parseFrom("livemall <noreply@livemall.example>")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, to, subject, text string) {
		m := Message{To: to, Subject: subject, Text: text}
		if err := m.Validate(); err != nil {
			if !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("Validate error %v is not invalid", err)
			}
			return
		}
		if strings.ContainsAny(to+subject, "\r\n") {
			t.Fatalf("Validate accepted a line break in %q / %q", to, subject)
		}
		p := parseComposed(t, compose(from, m, time.Now()))
		if len(p.header) != 8 {
			t.Fatalf("composed message has %d headers, want 8: %v", len(p.header), p.header)
		}
		if got := p.header.Get("To"); got != to {
			t.Fatalf("To reads back as %q, want %q", got, to)
		}
		list, err := p.header.AddressList("To")
		if err != nil || len(list) != 1 || list[0].Address != to {
			t.Fatalf("To parses as %v (%v), want exactly %q", list, err, to)
		}
	})
}
