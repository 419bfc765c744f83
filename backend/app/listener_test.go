package app_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/fasthttp/websocket"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/media"
)

func TestWebSocketUpgradeChecksOriginAndSession(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	wsURL := "ws" + strings.TrimPrefix(base, "http") + "/api/v1/ws"
	c := apptest.NewClient(t, a)
	c.SignUp("Wes", "wes@example.com", "1991-03-03")
	cookie := "lm_session=" + c.Cookies["lm_session"]

	dial := func(origin, cookie string) (*websocket.Conn, int) {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		if cookie != "" {
			h.Set("Cookie", cookie)
		}
		conn, res, err := websocket.DefaultDialer.Dial(wsURL, h)
		if err != nil {
			if res == nil {
				t.Fatalf("dial: %v", err)
			}
			return nil, res.StatusCode
		}
		return conn, res.StatusCode
	}
	if _, status := dial("https://evil.example", cookie); status != 403 {
		t.Fatalf("foreign origin: %d, want 403", status)
	}
	if _, status := dial("", cookie); status != 403 {
		t.Fatalf("no origin: %d, want 403", status)
	}
	if _, status := dial(apptest.Origin, ""); status != 401 {
		t.Fatalf("no session: %d, want 401", status)
	}
	conn, status := dial(apptest.Origin, cookie)
	if conn == nil {
		t.Fatalf("same origin with session: %d", status)
	}
	defer conn.Close()
	var hello media.Message
	if err := conn.ReadJSON(&hello); err != nil || hello.Type != "hello" || hello.V != 1 {
		t.Fatalf("hello = %+v, %v", hello, err)
	}
	for _, tt := range []struct{ send, wantType, wantText string }{
		{`{"type":"ping","v":1}`, "pong", ""},
		{`{"type":"ping","v":7}`, "error", "version 7"},
		{`{"type":"dance","v":1}`, "error", "unknown message type"},
		{`{"type":`, "error", "malformed JSON"},
		{`{"type":"ping","v":1,"extra":1}`, "error", "unknown field"},
	} {
		if err := conn.WriteMessage(websocket.TextMessage, []byte(tt.send)); err != nil {
			t.Fatal(err)
		}
		var m media.Message
		if err := conn.ReadJSON(&m); err != nil {
			t.Fatalf("%s: %v", tt.send, err)
		}
		if m.Type != tt.wantType || !strings.Contains(string(m.Data), tt.wantText) {
			t.Fatalf("%s: got %s %s, want %s %q", tt.send, m.Type, m.Data, tt.wantType, tt.wantText)
		}
	}
	// A message over the size limit closes the connection, saying why.
	conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping","v":1,"data":"`+strings.Repeat("x", 70<<10)+`"}`))
	var m media.Message
	err := conn.ReadJSON(&m)
	if err == nil {
		t.Fatalf("oversized message answered with %+v", m)
	}
	if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Fatalf("oversized message: %v, want close 1009", err)
	}
}

// TestWebSocketHandshakeRefusesBadUpgrades sends handshakes by hand: each
// malformed one is refused with a status and no socket; a good one gets
// RFC 6455's answer.
func TestWebSocketHandshakeRefusesBadUpgrades(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	c := apptest.NewClient(t, a)
	c.SignUp("Hank", "hank@example.com", "1990-04-04")
	const goodKey = "dGhlIHNhbXBsZSBub25jZQ=="
	tests := []struct {
		name, method, version, key, upgrade string
		status                              int
	}{
		{"no version", "GET", "", goodKey, "websocket", 426},
		{"old version", "GET", "8", goodKey, "websocket", 426},
		{"no key", "GET", "13", "", "websocket", 400},
		{"key not base64", "GET", "13", "not base64!", "websocket", 400},
		{"key of 8 bytes", "GET", "13", "c2hvcnRrZXk=", "websocket", 400},
		{"not a websocket upgrade", "GET", "13", goodKey, "h2c", 400},
		{"HEAD", "HEAD", "13", goodKey, "websocket", 400},
		{"good", "GET", "13", goodKey, "websocket", 101},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			req := tt.method + " /api/v1/ws HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: " + tt.upgrade +
				"\r\nOrigin: " + apptest.Origin + "\r\nCookie: lm_session=" + c.Cookies["lm_session"] + "\r\n"
			if tt.version != "" {
				req += "Sec-WebSocket-Version: " + tt.version + "\r\n"
			}
			if tt.key != "" {
				req += "Sec-WebSocket-Key: " + tt.key + "\r\n"
			}
			fmt.Fprint(conn, req+"\r\n")
			res, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: tt.method})
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.status)
			}
			if tt.status == 101 && res.Header.Get("Sec-WebSocket-Accept") != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
				t.Fatalf("accept %q", res.Header.Get("Sec-WebSocket-Accept"))
			}
			if tt.status == 426 && res.Header.Get("Sec-WebSocket-Version") != "13" {
				t.Fatalf("426 without Sec-WebSocket-Version: 13: %v", res.Header)
			}
		})
	}
}

func TestBodyOverTheLimitIs413(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	c := apptest.NewClient(t, a)
	c.Do("GET", "/api/v1/csrf", nil)
	// Announce a 2 MiB body and send only the headers: the server must refuse
	// on the length alone, without reading (or waiting for) the body.
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/auth/signup/begin HTTP/1.1\r\nHost: localhost:8080\r\nContent-Type: application/json\r\n"+
		"Content-Length: %d\r\nX-CSRF-Token: %s\r\nCookie: lm_csrf=%s\r\n\r\n{\"name\":\"", 2<<20, c.Cookies["lm_csrf"], c.Cookies["lm_csrf"])
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 413 || !strings.Contains(string(body), `"code":"too_large"`) {
		t.Fatalf("oversized body: %d %s", res.StatusCode, body)
	}
}
