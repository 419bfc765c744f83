package agentdesk

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/bus"
	"github.com/livemall/livemall/backend/web"
	"github.com/livemall/livemall/media"
)

// twoParties stands in for the router in the relay test only: entry
// "qe_live" is served by the accounts "shopper" and "agent", and each
// party's connection is found among the node's open connections.
type twoParties struct{ sig *media.Signaling }

func (p twoParties) Peer(_ context.Context, entryID string, from *media.Conn) (string, string, error) {
	roles := map[string]string{"shopper": "agent", "agent": "shopper"}
	other, ok := roles[from.AccountID]
	if entryID != "qe_live" || !ok {
		return "", "", apperr.New(apperr.NotFound, "no live engagement %s", entryID)
	}
	peer := ""
	p.sig.Conns(func(c *media.Conn) bool {
		if c.AccountID == other {
			peer = c.ID
		}
		return peer == ""
	})
	if peer == "" {
		return "", "", apperr.New(apperr.NotFound, "the other party has left")
	}
	return peer, from.AccountID, nil
}

// relayNode is one signaling node with the co-browse relay, on a random
// port; X-Account names the signed-in account of each socket.
type relayNode struct {
	t    *testing.T
	base string
}

func newRelayNode(t *testing.T, limits CobrowseLimits) *relayNode {
	t.Helper()
	b, err := bus.Open(context.Background(), bus.Config{DataDir: t.TempDir(), Name: "cobrowse-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	sig := &media.Signaling{PublicURL: base, Node: "test", Bus: b.Conn}
	NewCobrowse(sig, twoParties{sig}, limits).Signals()
	app := fiber.New(fiber.Config{ErrorHandler: web.ErrorHandler, DisableStartupMessage: true})
	app.Use(func(c *fiber.Ctx) error {
		if id := c.Get("X-Account"); id != "" {
			c.Locals("auth.account", &auth.Account{ID: id})
		}
		return c.Next()
	})
	sig.Routes(app.Group("/api/v1"))
	go app.Listener(ln)
	t.Cleanup(func() { app.Shutdown() })
	return &relayNode{t: t, base: base}
}

// relaySocket is one party's signaling connection.
type relaySocket struct {
	t    *testing.T
	conn *websocket.Conn
}

func (n *relayNode) open(account string) *relaySocket {
	n.t.Helper()
	h := http.Header{}
	h.Set("Origin", n.base)
	h.Set("X-Account", account)
	conn, res, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(n.base, "http")+"/api/v1/ws", h)
	if err != nil {
		n.t.Fatalf("dial signaling as %s: %v (%v)", account, err, res)
	}
	n.t.Cleanup(func() { conn.Close() })
	s := &relaySocket{t: n.t, conn: conn}
	if m := s.next(); m.Type != "hello" {
		n.t.Fatalf("first message %+v, want hello", m)
	}
	return s
}

func (s *relaySocket) send(typ, data string) {
	s.t.Helper()
	msg := `{"type":"` + typ + `","v":1,"data":` + data + `}`
	if err := s.conn.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		s.t.Fatal(err)
	}
}

// next reads one message, failing after 5 s.
func (s *relaySocket) next() media.Message {
	s.t.Helper()
	s.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var m media.Message
	if err := s.conn.ReadJSON(&m); err != nil {
		s.t.Fatalf("read signaling: %v", err)
	}
	return m
}

// expect reads the next message and checks its type and a fragment of its
// data.
func (s *relaySocket) expect(typ, fragment string) string {
	s.t.Helper()
	m := s.next()
	if m.Type != typ || !strings.Contains(string(m.Data), fragment) {
		s.t.Fatalf("got %s %s, want %s with %s", m.Type, m.Data, typ, fragment)
	}
	return string(m.Data)
}

func TestCobrowseRelaysBetweenThePartiesOnly(t *testing.T) {
	node := newRelayNode(t, CobrowseLimits{})
	shopper, agent, stranger := node.open("shopper"), node.open("agent"), node.open("stranger")

	shopper.send("cobrowse.start", `{"entryId":"qe_live"}`)
	agent.expect("cobrowse.start", `"entryId":"qe_live"`)

	shopper.send("cobrowse.events", `{"entryId":"qe_live","events":[`+snapshot(
		`{"type":2,"id":6,"tagName":"input","attributes":{"type":"password","value":"hunter2"}},`+
			`{"type":2,"id":7,"tagName":"script","attributes":{},"childNodes":[{"type":3,"id":8,"textContent":"window.__pwned=1"}]},`+
			`{"type":2,"id":9,"tagName":"img","attributes":{"src":"/boot.png","onerror":"window.__pwned=1"}}`)+
		`,{"type":3,"timestamp":1700000000200,"data":{"source":5,"id":6,"text":"hunter22","isChecked":false}}]}`)
	relayed := agent.expect("cobrowse.events", `"src":"/boot.png"`)
	for _, leak := range []string{"hunter2", "__pwned", "script", "onerror"} {
		if strings.Contains(relayed, leak) {
			t.Fatalf("%q relayed to the agent: %s", leak, relayed)
		}
	}
	var got cobrowseEvents
	if err := json.Unmarshal([]byte(relayed), &got); err != nil || got.EntryID != "qe_live" || len(got.Events) != 2 {
		t.Fatalf("relayed %s (%v)", relayed, err)
	}

	// Refused messages reach nobody: each party's next message is the
	// answer to what comes after.
	tests := []struct {
		name     string
		from     *relaySocket
		typ      string
		data     string
		code     string
		fragment string
	}{
		{"agent shares a page", agent, "cobrowse.events", `{"entryId":"qe_live","events":[{"type":0,"data":{},"timestamp":1}]}`, apperr.Forbidden, "only the shopper"},
		{"shopper points", shopper, "cobrowse.point", `{"entryId":"qe_live","x":0.5,"y":0.5}`, apperr.Forbidden, "only the agent"},
		{"shopper navigates the agent", shopper, "cobrowse.navigate", `{"entryId":"qe_live","path":"/cart"}`, apperr.Forbidden, "only the agent"},
		{"stranger sends events", stranger, "cobrowse.events", `{"entryId":"qe_live","events":[{"type":0,"data":{},"timestamp":1}]}`, apperr.NotFound, "no live engagement"},
		{"stranger stops", stranger, "cobrowse.stop", `{"entryId":"qe_live"}`, apperr.NotFound, "no live engagement"},
		{"unknown engagement", shopper, "cobrowse.start", `{"entryId":"qe_other"}`, apperr.NotFound, "no live engagement"},
		{"no entry", shopper, "cobrowse.start", `{}`, apperr.Invalid, `"entryId" is required`},
		{"long entry", shopper, "cobrowse.start", `{"entryId":"` + strings.Repeat("q", 65) + `"}`, apperr.Invalid, "too long"},
		{"unknown field", shopper, "cobrowse.stop", `{"entryId":"qe_live","why":"x"}`, apperr.Invalid, `unknown field "why"`},
		{"events not a list", shopper, "cobrowse.events", `{"entryId":"qe_live","events":{}}`, apperr.Invalid, `"events" must be an array`},
		{"no events", shopper, "cobrowse.events", `{"entryId":"qe_live","events":[]}`, apperr.Invalid, "at least one event"},
		{"bad event", shopper, "cobrowse.events", `{"entryId":"qe_live","events":[{"type":42,"data":{},"timestamp":1}]}`, apperr.Invalid, "event types"},
		{"too many events", shopper, "cobrowse.events", `{"entryId":"qe_live","events":[` + strings.Repeat(`{"type":0,"data":{},"timestamp":1},`, 200) + `{"type":0,"data":{},"timestamp":1}]}`, apperr.Invalid, "at most 200 events"},
		{"too large", shopper, "cobrowse.events", `{"entryId":"qe_live","events":[{"type":5,"data":{"tag":"x","payload":"` + strings.Repeat("x", 49<<10) + `"},"timestamp":1}]}`, apperr.TooLarge, "at most 48 KiB"},
		{"navigate elsewhere", agent, "cobrowse.navigate", `{"entryId":"qe_live","path":"https://evil.example/"}`, apperr.Invalid, "only a page of the mall"},
		{"point off screen", agent, "cobrowse.point", `{"entryId":"qe_live","x":1.5,"y":0.5}`, apperr.Invalid, "from 0 to 1"},
		{"point without y", agent, "cobrowse.point", `{"entryId":"qe_live","x":0.5}`, apperr.Invalid, `"y" is required`},
		{"point as text", agent, "cobrowse.point", `{"entryId":"qe_live","x":"left","y":0}`, apperr.Invalid, `"x" must be a number`},
		{"no data", agent, "cobrowse.stop", `null`, apperr.Invalid, "needs data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.from.t = t
			tt.from.send(tt.typ, tt.data)
			var e struct{ Code, Message string }
			if err := json.Unmarshal([]byte(tt.from.expect("error", "")), &e); err != nil {
				t.Fatal(err)
			}
			if e.Code != tt.code || !strings.Contains(e.Message, tt.fragment) {
				t.Fatalf("error %+v, want %s with %q", e, tt.code, tt.fragment)
			}
		})
	}
	shopper.t, agent.t = t, t

	agent.send("cobrowse.point", `{"entryId":"qe_live","x":0.25,"y":1}`)
	shopper.expect("cobrowse.point", `"x":0.25,"y":1`)
	agent.send("cobrowse.navigate", `{"entryId":"qe_live","path":"/store/north-peak/product/NP-TENT-2"}`)
	shopper.expect("cobrowse.navigate", `"path":"/store/north-peak/product/NP-TENT-2"`)
	agent.send("cobrowse.stop", `{"entryId":"qe_live"}`)
	shopper.expect("cobrowse.stop", `"entryId":"qe_live"`)
	shopper.send("cobrowse.stop", `{"entryId":"qe_live"}`)
	agent.expect("cobrowse.stop", `"entryId":"qe_live"`)
}

func TestCobrowseRelaysNothingBeforeTheShopperAllows(t *testing.T) {
	node := newRelayNode(t, CobrowseLimits{})
	shopper, agent := node.open("shopper"), node.open("agent")
	page := `{"entryId":"qe_live","events":[` + snapshot(`{"type":3,"id":6,"textContent":"BEFORE-ALLOW-SENTINEL"}`) + `]}`

	// The agent asks; the shopper's page is told, nothing more.
	agent.send("cobrowse.request", `{"entryId":"qe_live"}`)
	shopper.expect("cobrowse.request", `"entryId":"qe_live"`)

	// Before Allow the shopper's events are refused and reach nobody.
	shopper.send("cobrowse.events", page)
	shopper.expect("error", "has not allowed")
	// "Not now": the agent hears the shopper stopped before starting.
	shopper.send("cobrowse.stop", `{"entryId":"qe_live"}`)
	agent.expect("cobrowse.stop", `"entryId":"qe_live"`)
	shopper.send("cobrowse.events", page)
	shopper.expect("error", "has not allowed")

	// Only the agent asks.
	shopper.send("cobrowse.request", `{"entryId":"qe_live"}`)
	shopper.expect("error", "only the agent")
	// Only the shopper allows.
	agent.send("cobrowse.start", `{"entryId":"qe_live"}`)
	agent.expect("error", "only the shopper")

	// Asked again, the shopper allows: now the page goes through.
	agent.send("cobrowse.request", `{"entryId":"qe_live"}`)
	shopper.expect("cobrowse.request", `"entryId":"qe_live"`)
	shopper.send("cobrowse.start", `{"entryId":"qe_live"}`)
	agent.expect("cobrowse.start", `"entryId":"qe_live"`)
	shopper.send("cobrowse.events", page)
	agent.expect("cobrowse.events", "BEFORE-ALLOW-SENTINEL")

	// The consent is the connection's: another socket of the same shopper
	// has not allowed anything.
	second := node.open("shopper")
	second.send("cobrowse.events", page)
	second.expect("error", "has not allowed")

	// Stopping withdraws it.
	shopper.send("cobrowse.stop", `{"entryId":"qe_live"}`)
	agent.expect("cobrowse.stop", `"entryId":"qe_live"`)
	shopper.send("cobrowse.events", page)
	shopper.expect("error", "has not allowed")
	// The agent's next message is its own answer: nothing leaked in between.
	agent.send("cobrowse.point", `{"entryId":"qe_other","x":0,"y":0}`)
	agent.expect("error", "no live engagement")
}

// clock is a settable time for the token bucket.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestCobrowseRateLimitDropsWhatIsOverTheLimit(t *testing.T) {
	clk := &clock{now: time.Unix(1_700_000_000, 0)}
	node := newRelayNode(t, CobrowseLimits{Rate: 2, Burst: 3, Now: clk.Now})
	shopper, agent := node.open("shopper"), node.open("agent")
	event := func(n int) string {
		return `{"entryId":"qe_live","events":[{"type":5,"data":{"tag":"n","payload":` + string(rune('0'+n)) + `},"timestamp":1}]}`
	}
	shopper.send("cobrowse.start", `{"entryId":"qe_live"}`)
	agent.expect("cobrowse.start", `"entryId":"qe_live"`)
	clk.advance(time.Second / 2) // the bucket is full again
	for n := 1; n <= 3; n++ {
		shopper.send("cobrowse.events", event(n))
	}
	shopper.send("cobrowse.events", event(4))
	shopper.expect("error", `"code":"rate_limited"`)
	clk.advance(time.Second) // two more tokens
	shopper.send("cobrowse.events", event(5))
	shopper.send("cobrowse.events", event(6))
	shopper.send("cobrowse.events", event(7))
	shopper.expect("error", "at most 2 a second")
	for _, n := range []string{"1", "2", "3", "5", "6"} {
		agent.expect("cobrowse.events", `"payload":`+n+`,`)
	}
	// The bucket is the connection's, whatever the message type; the
	// agent's own connection has its own.
	clk.advance(time.Second / 2)
	shopper.send("cobrowse.stop", `{"entryId":"qe_live"}`)
	agent.expect("cobrowse.stop", `"entryId":"qe_live"`)
	shopper.send("cobrowse.start", `{"entryId":"qe_live"}`)
	shopper.expect("error", `"code":"rate_limited"`)
	agent.send("cobrowse.point", `{"entryId":"qe_live","x":0,"y":0}`)
	shopper.expect("cobrowse.point", `"x":0`)
}

func TestCobrowseNavigateAcceptsOnlyMallPages(t *testing.T) {
	good := []string{"/", "/store/north-peak", "/store/north-peak/product/NP-TENT-2", "/store/caf%C3%A9", "/cart", "/orders", "/orders/ord_123"}
	for _, p := range good {
		if err := checkMallPath(p); err != nil {
			t.Errorf("%q refused: %v", p, err)
		}
	}
	bad := []string{
		"", "store/x", "https://evil.example/", "//evil.example/store/x", "/\\evil.example", "javascript:alert(1)",
		" /cart", "/cart ", "/cart\n", "/cart?x=1", "/cart#top", "/store/../desk", "/store/%2e%2e", "/store/x/../../desk/",
		"/desk/", "/phone/", "/api/v1/ws", "/store/", "/store/x/product/", "/store/x/y", "/orders/a/b", "/" + strings.Repeat("a", 600),
		"/store/x%2Fproduct%2Fy/z", "/store/\x00",
	}
	for _, p := range bad {
		if err := checkMallPath(p); apperr.Code(err) != apperr.Invalid {
			t.Errorf("%q accepted (%v)", p, err)
		}
	}
}

func FuzzCobrowseNavigatePath(f *testing.F) {
	for _, s := range []string{"/", "/store/x/product/y", "//x", "/cart?x", "/store/%2e%2e", "javascript:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if checkMallPath(p) != nil {
			return
		}
		if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\?# \t\r\n") {
			t.Fatalf("accepted %q", p)
		}
		for _, seg := range strings.Split(p, "/") {
			if seg == ".." || seg == "." {
				t.Fatalf("accepted %q", p)
			}
		}
	})
}
