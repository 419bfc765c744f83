package mail

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/apperr"
)

// fakeSMTP is a one-connection SMTP server speaking just enough of the
// protocol for net/smtp: no STARTTLS, AUTH PLAIN when auth is set.
type fakeSMTP struct {
	ln   net.Listener
	auth bool
	done chan fakeSession
}

// fakeSession is what the fake server received.
type fakeSession struct {
	commands []string // as sent, AUTH included
	data     string   // the DATA payload, dot-unstuffed, CRLF kept
	err      error
}

func startFakeSMTP(t *testing.T, auth bool) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeSMTP{ln: ln, auth: auth, done: make(chan fakeSession, 1)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			s.done <- fakeSession{err: err}
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		s.done <- s.serve(conn)
	}()
	return s
}

func (s *fakeSMTP) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *fakeSMTP) serve(conn net.Conn) fakeSession {
	var got fakeSession
	r := bufio.NewReader(conn)
	reply := func(lines ...string) { fmt.Fprint(conn, strings.Join(lines, "\r\n")+"\r\n") }
	reply("220 fake.test ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			got.err = err
			return got
		}
		line = strings.TrimRight(line, "\r\n")
		got.commands = append(got.commands, line)
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch verb {
		case "EHLO":
			if s.auth {
				reply("250-fake.test", "250-8BITMIME", "250 AUTH PLAIN")
			} else {
				reply("250-fake.test", "250 8BITMIME")
			}
		case "AUTH":
			reply("235 2.7.0 authenticated")
		case "MAIL", "RCPT":
			reply("250 2.1.0 ok")
		case "DATA":
			reply("354 go ahead")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					got.err = err
					return got
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			got.data = b.String()
			reply("250 2.0.0 queued")
		case "QUIT":
			reply("221 2.0.0 bye")
			return got
		default:
			reply("502 5.5.2 not implemented")
		}
	}
}

func (s *fakeSMTP) session(t *testing.T) fakeSession {
	t.Helper()
	select {
	case got := <-s.done:
		return got
	case <-time.After(10 * time.Second):
		t.Fatal("the fake SMTP server saw no session")
		return fakeSession{}
	}
}

func TestSMTPSendsMessage(t *testing.T) {
	srv := startFakeSMTP(t, true)
	s, err := NewSMTP(fmt.Sprintf("smtp://mailer%%40livemall:p%%40ss@127.0.0.1:%d", srv.port()), "livemall <noreply@livemall.example>")
	if err != nil {
		t.Fatal(err)
	}
	text := "Hello Ana,\n.leading dot\nhttps://livemall.example/phone/?verify=abc\n"
	if err := s.Send(context.Background(), Message{To: "ana@example.com", Subject: "Confirm your email for livemall", Text: text}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.session(t)
	if got.err != nil {
		t.Fatalf("fake server: %v", got.err)
	}
	wantAuth := "AUTH PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00mailer@livemall\x00p@ss"))
	want := []string{"EHLO localhost", wantAuth, "MAIL FROM:<noreply@livemall.example> BODY=8BITMIME", "RCPT TO:<ana@example.com>", "DATA", "QUIT"}
	if strings.Join(got.commands, "|") != strings.Join(want, "|") {
		t.Fatalf("commands:\n%q\nwant\n%q", got.commands, want)
	}
	p := parseComposed(t, []byte(got.data))
	if p.header.Get("To") != "ana@example.com" || p.header.Get("Subject") != "Confirm your email for livemall" || p.header.Get("From") != `"livemall" <noreply@livemall.example>` {
		t.Errorf("headers: %v", p.header)
	}
	if strings.ReplaceAll(p.body, "\r\n", "\n") != text {
		t.Errorf("body = %q, want %q", p.body, text)
	}
}

func TestSMTPWithoutCredentialsSkipsAuth(t *testing.T) {
	srv := startFakeSMTP(t, false)
	s, err := NewSMTP(fmt.Sprintf("smtp://127.0.0.1:%d", srv.port()), "noreply@livemall.example")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), Message{To: "ben@example.com", Subject: "Hi", Text: "x"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.session(t)
	for _, c := range got.commands {
		if strings.HasPrefix(c, "AUTH") {
			t.Fatalf("sent %q without credentials configured", c)
		}
	}
}

func TestSMTPCredentialsWithoutAuthFail(t *testing.T) {
	srv := startFakeSMTP(t, false)
	s, err := NewSMTP(fmt.Sprintf("smtp://u:p@127.0.0.1:%d", srv.port()), "noreply@livemall.example")
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(context.Background(), Message{To: "ben@example.com", Subject: "Hi", Text: "x"})
	if err == nil || !strings.Contains(err.Error(), "offers no AUTH") {
		t.Fatalf("Send = %v, want an error saying the server offers no AUTH", err)
	}
}

func TestSMTPRefusesHeaderInjectionBeforeConnecting(t *testing.T) {
	s, err := NewSMTP("smtp://127.0.0.1:1", "noreply@livemall.example")
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(context.Background(), Message{To: "ana@example.com\r\nRCPT TO:<eve@example.com>", Subject: "Hi", Text: "x"})
	if !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("Send = %v, want invalid", err)
	}
}

func TestSMTPGivesUpWhenContextEnds(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // accept and say nothing
		conn, err := ln.Accept()
		if err == nil {
			defer conn.Close()
			buf := make([]byte, 1)
			conn.Read(buf)
		}
	}()
	s, err := NewSMTP(fmt.Sprintf("smtp://127.0.0.1:%d", ln.Addr().(*net.TCPAddr).Port), "noreply@livemall.example")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.Send(ctx, Message{To: "ana@example.com", Subject: "Hi", Text: "x"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send = %v, want a deadline error", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("Send took %v after its context ended", time.Since(start))
	}
}

func TestSMTPURL(t *testing.T) {
	tests := []struct {
		url, addr, user, pass string
		tls                   bool
		wantErr               string
	}{
		{url: "smtp://mail.example.com", addr: "mail.example.com:587"},
		{url: "smtp://u:p@mail.example.com:2525", addr: "mail.example.com:2525", user: "u", pass: "p"},
		{url: "smtps://u@mail.example.com", addr: "mail.example.com:465", user: "u", tls: true},
		{url: "smtp://[::1]:25/", addr: "[::1]:25"},
		{url: "http://mail.example.com", wantErr: "must start with smtp:// or smtps://"},
		{url: "mail.example.com:587", wantErr: "must start with smtp://"},
		{url: "", wantErr: "must start with smtp://"},
		{url: "smtp://", wantErr: "names no host"},
		{url: "smtp:mail.example.com", wantErr: "names no host"},
		{url: "smtp://mail.example.com:0", wantErr: "want 1 to 65535"},
		{url: "smtp://mail.example.com:70000", wantErr: "want 1 to 65535"},
		{url: "smtp://mail.example.com:x", wantErr: "not a URL"},
		{url: "smtp://mail.example.com/inbox", wantErr: "path, query or fragment"},
		{url: "smtp://mail.example.com?tls=1", wantErr: "path, query or fragment"},
		{url: "smtp://u:secret@mail.example.com/x", wantErr: "path, query or fragment"},
		{url: "smtp://u:secret@mail example.com", wantErr: "not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			s, err := NewSMTP(tt.url, "noreply@livemall.example")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("NewSMTP(%q) = %v, want an error containing %q", tt.url, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Fatalf("error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewSMTP(%q): %v", tt.url, err)
			}
			if s.addr != tt.addr || s.user != tt.user || s.pass != tt.pass || s.implicitTLS != tt.tls {
				t.Fatalf("NewSMTP(%q) = addr %q user %q pass %q tls %v", tt.url, s.addr, s.user, s.pass, s.implicitTLS)
			}
		})
	}
	if _, err := NewSMTP("smtp://mail.example.com", "nobody"); err == nil {
		t.Fatal("NewSMTP with a bad from address succeeded")
	}
}
