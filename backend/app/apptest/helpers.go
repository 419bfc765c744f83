package apptest

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livemall/livemall/agentdesk"
	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/auth"
)

// AgentdeskMember describes an agent of the store to add.
func AgentdeskMember(store, email string) agentdesk.NewStaffMember {
	return agentdesk.NewStaffMember{StoreSlug: store, Email: email}
}

// SignedInAs returns a client signed in with a fresh account of the role.
func SignedInAs(t *testing.T, a *app.App, role auth.Role, store string) *Client {
	t.Helper()
	c := NewClient(t, a)
	email := string(role) + "." + store + ".x@test.example"
	switch role {
	case auth.RoleMember:
		c.SignUp("Member", email, "1990-01-01")
		return c
	case auth.RoleAgent, auth.RoleSupervisor:
		added, err := a.Staff.AddStaffMember(t.Context(), agentdesk.NewStaffMember{StoreSlug: store, Email: email, Supervisor: role == auth.RoleSupervisor})
		if err != nil {
			t.Fatal(err)
		}
		if r := c.Enroll(added.EnrollmentToken); r.Status != 200 {
			t.Fatalf("enroll %s: %d %s", role, r.Status, r.Body)
		}
		return c
	}
	acc, err := a.Auth.CreateAccount(t.Context(), auth.NewAccount{Role: auth.RoleAdmin, Name: "Admin", Email: email})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := a.Auth.IssueEnrollment(t.Context(), acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Enroll(tok); r.Status != 200 {
		t.Fatalf("enroll admin: %d %s", r.Status, r.Body)
	}
	return c
}

// remoteHTTP carries the requests of clients of a server in another process.
var remoteHTTP = &http.Client{Timeout: 30 * time.Second}

// sendRemote sends a request built for the in-process app to the server at
// c.remote instead, keeping its Host (the public origin's) and headers.
func (c *Client) sendRemote(req *http.Request) (*http.Response, error) {
	u, err := url.Parse(c.Remote + req.URL.RequestURI())
	if err != nil {
		return nil, err
	}
	req.URL, req.RequestURI = u, ""
	return remoteHTTP.Do(req)
}

// LockedBuffer collects log lines written from other goroutines (the
// server's, a child process's reader) while the test reads them.
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p to the buffer.
func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns what was written so far.
func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// CaptureLog sends the warnings logged until the test ends to the returned
// buffer as well as to stderr.
func CaptureLog(t *testing.T) *LockedBuffer {
	buf := &LockedBuffer{}
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(io.MultiWriter(buf, os.Stderr), &slog.HandlerOptions{Level: slog.LevelWarn})))
	t.Cleanup(func() { slog.SetDefault(old) })
	return buf
}

// ServeOnLoopback serves a on a random loopback port and returns its base URL.
func ServeOnLoopback(t *testing.T, a *app.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go a.Serve(ln)
	return "http://" + ln.Addr().String()
}

// APIError is the JSON error body every refusal carries.
type APIError struct {
	Error struct{ Code, Message string }
}

// Refused fails the test unless r is the error want/code with a message
// containing message.
func Refused(t *testing.T, what string, r Response, want int, code, message string) {
	t.Helper()
	var e APIError
	if r.Status != want {
		t.Fatalf("%s: status %d, want %d; body %s", what, r.Status, want, r.Body)
	}
	r.JSON(t, &e)
	if e.Error.Code != code || !strings.Contains(e.Error.Message, message) {
		t.Fatalf("%s: error %+v, want code %q with %q", what, e.Error, code, message)
	}
}

// FreePort returns a port of network ("tcp4" or "udp4") on which nothing
// listens now, for a node told to listen on a fixed port.
func FreePort(t *testing.T, network string) int {
	t.Helper()
	if network == "tcp4" {
		l, err := net.Listen(network, "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	}
	c, err := net.ListenPacket(network, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}
