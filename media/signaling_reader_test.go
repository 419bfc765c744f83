package media

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/gofiber/fiber/v2"

	"github.com/livemall/livemall/backend/web"
)

// TestMessagesHandledOnTheReaderKeepTheirChecks shows a type registered
// with HandleOnReader handled whatever its encoding (the two known frames
// on the reader, any other on a fresh goroutine), in order with the
// messages around it, while the checks every message passes still hold:
// a guest may send only what guests may, a wrong version is refused.
func TestMessagesHandledOnTheReaderKeepTheirChecks(t *testing.T) {
	var beats, secrets atomic.Int64
	s := &Signaling{Guest: func(*fiber.Ctx) string { return "guest-1" }}
	s.HandleOnReader("beat", func(context.Context, *Conn, Message) error { beats.Add(1); return nil })
	s.HandleOnReader("secret", func(context.Context, *Conn, Message) error { secrets.Add(1); return nil })
	s.AllowGuests("beat", "ping")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.PublicURL = "http://" + ln.Addr().String()
	app := web.NewApp(web.Options{PublicURL: s.PublicURL, CSRFKey: make([]byte, 32)})
	s.Routes(app.Group("/api/v1"))
	go app.Listener(ln)
	t.Cleanup(func() { app.Shutdown() })

	d := ws.Dialer{Header: ws.HandshakeHeaderHTTP(http.Header{"Origin": {s.PublicURL}})}
	conn, br, _, err := d.Dial(context.Background(), "ws://"+ln.Addr().String()+"/api/v1/ws")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var in io.Reader = conn // what the handshake's reader took of the first frames, then the connection
	if br != nil {
		in = io.MultiReader(br, conn)
	}
	next := func() Message {
		t.Helper()
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		raw, err := wsutil.ReadServerText(struct {
			io.Reader
			io.Writer
		}{in, conn})
		if err != nil {
			t.Fatal(err)
		}
		var m Message
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := next(); m.Type != "hello" {
		t.Fatalf("first message %q, want hello", m.Type)
	}
	send := func(raw string) {
		t.Helper()
		if err := wsutil.WriteClientText(conn, []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	for _, raw := range []string{`{"v":1,"type":"beat"}`, `{"type":"beat","v":1}`, `{ "type": "beat", "v": 1 }`, `{"type":"beat","v":1,"data":{}}`} {
		send(raw)
	}
	send(`{"type":"ping","v":1}`) // answered after every message before it
	if m := next(); m.Type != "pong" {
		t.Fatalf("after four beats: %q, want pong", m.Type)
	}
	if n := beats.Load(); n != 4 {
		t.Fatalf("%d beats handled, want 4", n)
	}

	tests := []struct{ raw, wantCode string }{
		{`{"v":1,"type":"secret"}`, "unauthorized"}, // a known frame, but not a guest's
		{`{"type":"secret","v":1}`, "unauthorized"},
		{`{"v":2,"type":"beat"}`, "invalid"},
		{`{"v":1,"type":"beat","x":1}`, "invalid"},
		{`{"v":1,"type":"beat"`, "invalid"},
	}
	for _, tc := range tests {
		send(tc.raw)
		m := next()
		var e ErrorData
		json.Unmarshal(m.Data, &e)
		if m.Type != "error" || e.Code != tc.wantCode {
			t.Errorf("%s: got %s %s, want an error %q", tc.raw, m.Type, m.Data, tc.wantCode)
		}
	}
	if n, b := secrets.Load(), beats.Load(); n != 0 || b != 4 {
		t.Fatalf("after the refused messages: %d secrets and %d beats handled, want 0 and 4", n, b)
	}
}

// TestASocketReadsAheadWithoutLosingTheNextMessage sends small messages
// back to back in one write (the read-ahead takes more than one frame at
// once) and one far bigger than the read-ahead: each arrives whole, in
// order.
func TestASocketReadsAheadWithoutLosingTheNextMessage(t *testing.T) {
	server, client := net.Pipe()
	defer server.Close()
	defer client.Close()
	sock := newSocket(server)
	big := `{"type":"rtc.offer","v":1,"data":{"sdp":"` + strings.Repeat("a=x\\r\\n", 2000) + `"}}`
	want := []string{`{"type":"heartbeat","v":1}`, `{"v":1,"type":"heartbeat"}`, big, `{"type":"ping","v":1}`}
	go func() {
		var all []byte
		for _, m := range want {
			all = append(all, clientFrame(ws.OpText, true, []byte(m))...)
		}
		client.Write(all)
	}()
	go func() { // the socket answers nothing here; drain what it might
		buf := make([]byte, 512)
		for {
			if _, err := client.Read(buf); err != nil {
				return
			}
		}
	}()
	for i, w := range want {
		got, err := sock.readMessage(time.Now().Add(5 * time.Second))
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if string(got) != w {
			t.Fatalf("message %d: got %d bytes, want %d: %.60q", i, len(got), len(w), got)
		}
	}
}
