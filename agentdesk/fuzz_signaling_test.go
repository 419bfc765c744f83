package agentdesk

import (
	"context"
	"encoding/json"
	"math"
	"net"
	"net/http"
	"strings"
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

// fuzzRelay is a co-browse relay node with the shopper's and the agent's
// connections of engagement "qe_live" open (their sockets drained), for
// calling the handlers directly.
type fuzzRelay struct {
	cb             *Cobrowse
	shopper, agent *media.Conn
}

func newFuzzRelay(tb testing.TB) *fuzzRelay {
	tb.Helper()
	b, err := bus.Open(context.Background(), bus.Config{DataDir: tb.TempDir(), Name: "cobrowse-fuzz"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(b.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	sig := &media.Signaling{PublicURL: base, Node: "fuzz", Bus: b.Conn}
	// No rate limit: the fuzzer sends far more than a browser may.
	cb := NewCobrowse(sig, twoParties{sig}, CobrowseLimits{Rate: 1e12, Burst: 1 << 40})
	cb.Signals()
	app := fiber.New(fiber.Config{ErrorHandler: web.ErrorHandler, DisableStartupMessage: true})
	app.Use(func(c *fiber.Ctx) error {
		if id := c.Get("X-Account"); id != "" {
			c.Locals("auth.account", &auth.Account{ID: id})
		}
		return c.Next()
	})
	sig.Routes(app.Group("/api/v1"))
	go app.Listener(ln)
	tb.Cleanup(func() { app.Shutdown() })
	r := &fuzzRelay{cb: cb}
	for _, account := range []string{"shopper", "agent"} {
		h := http.Header{}
		h.Set("Origin", base)
		h.Set("X-Account", account)
		conn, res, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/api/v1/ws", h)
		if err != nil {
			tb.Fatalf("dial signaling as %s: %v (%v)", account, err, res)
		}
		tb.Cleanup(func() { conn.Close() })
		go func() { // what the relay sends the peer is not the point here
			for {
				if _, _, err := conn.ReadMessage(); err != nil {
					return
				}
			}
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for r.shopper == nil || r.agent == nil {
		if time.Now().After(deadline) {
			tb.Fatal("the relay did not register both connections")
		}
		sig.Conns(func(c *media.Conn) bool {
			switch c.AccountID {
			case "shopper":
				r.shopper = c
			case "agent":
				r.agent = c
			}
			return true
		})
		time.Sleep(10 * time.Millisecond)
	}
	return r
}

// FuzzCobrowseSignalingData feeds arbitrary data to the co-browse
// handlers the fuzz targets of the sanitizer and the path check do not
// reach whole (cobrowse.start, cobrowse.point, cobrowse.stop, and
// navigate and events end to end), from either party: each answers nil or
// a refusal with a code other than internal, and a pointer it relays lies
// on the screen.
func FuzzCobrowseSignalingData(f *testing.F) {
	r := newFuzzRelay(f)
	for _, s := range []string{`{"entryId":"qe_live"}`, `{"entryId":"qe_live","x":0.5,"y":1}`, `{"entryId":"qe_live","x":-1,"y":2}`,
		`{"entryId":"qe_live","x":1e309,"y":0}`, `{"entryId":"qe_live","path":"/cart"}`, `{"entryId":"qe_live","events":[{"type":4,"timestamp":1,"data":{"href":"http://x/","width":1,"height":1}}]}`,
		`{"entryId":"qe_other"}`, `{"entryId":"` + strings.Repeat("q", 70) + `"}`, `{"entryId":"qe_live","x":"0.5","y":0}`, `{"x":0.5,"y":0.5}`, `null`, ``} {
		f.Add([]byte(s), uint8(0), false)
		f.Add([]byte(s), uint8(1), true)
	}
	type handler struct {
		typ string
		h   media.HandlerFunc
	}
	handlers := []handler{{"cobrowse.start", r.cb.handleStart}, {"cobrowse.point", r.cb.handlePoint}, {"cobrowse.stop", r.cb.handleStop},
		{"cobrowse.navigate", r.cb.handleNavigate}, {"cobrowse.events", r.cb.handleEvents}}
	f.Fuzz(func(t *testing.T, data []byte, which uint8, fromAgent bool) {
		h := handlers[int(which)%len(handlers)]
		from := r.shopper
		if fromAgent {
			from = r.agent
		}
		err := h.h(context.Background(), from, media.Message{Type: h.typ, V: media.ProtocolVersion, Data: data})
		if err != nil {
			if apperr.Code(err) == apperr.Internal || apperr.Message(err) == "" {
				t.Fatalf("%s %q: unclear refusal %v", h.typ, data, err)
			}
			return
		}
		if h.typ == "cobrowse.point" {
			var p cobrowsePoint
			if json.Unmarshal(data, &p) != nil || p.X == nil || p.Y == nil {
				t.Fatalf("point %q relayed without a position", data)
			}
			for _, v := range []float64{*p.X, *p.Y} {
				if math.IsNaN(v) || v < 0 || v > 1 {
					t.Fatalf("point %q relayed off the screen", data)
				}
			}
		}
	})
}

// FuzzSuggestRequest feeds arbitrary bodies to the decoding of an agent's
// cart suggestion (POST …/cart/suggest): refused as invalid, or a request
// that names a SKU.
func FuzzSuggestRequest(f *testing.F) {
	for _, s := range []string{`{"sku":"VR-DECANT","quantity":2,"reason":"goes with it"}`, `{"sku":""}`, `{"quantity":1}`, `{"sku":"A","extra":1}`,
		`{"sku":"A","quantity":"2"}`, `{"sku":"A"} {}`, `[]`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req suggestRequest
		err := web.DecodeJSONBytes(body, &req)
		if err != nil {
			if apperr.Code(err) != apperr.Invalid {
				t.Fatalf("%q: %v is not invalid", body, err)
			}
			return
		}
		if req.SKU == "" {
			t.Fatalf("%q: accepted without a SKU", body)
		}
	})
}
