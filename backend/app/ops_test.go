package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
	"github.com/livemall/livemall/backend/limits"
)

// TestMetricsOnlyOnTheirOwnListener: the public port answers /metrics with
// the JSON 404 of any unknown path, and the metrics listener serves the
// counters, including the requests the public port answered.
func TestMetricsOnlyOnTheirOwnListener(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go a.ServeMetrics(ctx, ln)

	get := func(url string) (int, string) {
		t.Helper()
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	if st, body := get(base + "/healthz"); st != 200 {
		t.Fatalf("healthz: %d %s", st, body)
	}
	st, body := get(base + "/metrics")
	if st != 404 || !strings.Contains(body, `"code":"not_found"`) || strings.Contains(body, "livemall_") {
		t.Fatalf("public /metrics: %d %.300s, want the JSON 404", st, body)
	}
	st, body = get("http://" + ln.Addr().String() + "/metrics")
	if st != 200 || !strings.Contains(body, `livemall_http_requests_total{method="GET",route="/healthz",status="200"} 1`) {
		t.Fatalf("metrics listener: %d %.500s", st, body)
	}
	for _, want := range []string{"livemall_queue_length{store=", "go_goroutines"} {
		if !strings.Contains(body, want) {
			t.Fatalf("metrics listener lacks %s: %.500s", want, body)
		}
	}
}

// smallLimits lowers every abuse limit to max, so that a test reaches them
// in a few requests.
func smallLimits(max int) func(*config.Config) {
	return func(c *config.Config) {
		for _, r := range []*limits.Rule{&c.Limits.NewGuests, &c.Limits.AccountSockets, &c.Limits.GuestSockets,
			&c.Limits.GuestDials, &c.Limits.CartStreams, &c.Limits.NumberLookups} {
			r.Max = max
		}
	}
}

// attempt is the outcome of one limited action: the HTTP status (101 for a
// socket upgrade, 429 for a signaling rate_limited error), the
// Retry-After header or the seconds the message names, and the body.
type attempt struct {
	status int
	retry  string
	body   string
}

// dialSocket opens the signaling socket of a client at base, returning the
// connection, or the refusal.
func dialSocket(t *testing.T, c *apptest.Client, base string) (*apptest.Socket, attempt) {
	t.Helper()
	h := http.Header{}
	h.Set("Origin", apptest.Origin)
	var cookies []string
	for k, v := range c.Cookies {
		cookies = append(cookies, k+"="+v)
	}
	h.Set("Cookie", strings.Join(cookies, "; "))
	conn, res, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/api/v1/ws", h)
	if err != nil {
		if res == nil {
			t.Fatalf("dial signaling: %v", err)
		}
		body, _ := io.ReadAll(res.Body)
		return nil, attempt{res.StatusCode, res.Header.Get("Retry-After"), string(body)}
	}
	t.Cleanup(func() { conn.Close() })
	s := &apptest.Socket{T: t, Conn: conn}
	if m := s.Next(); m.Type != "hello" {
		t.Fatalf("first message %+v, want hello", m)
	}
	return s, attempt{status: 101}
}

// openCartStream opens GET /api/v1/cart/events at base with the client's
// cookies and reads the first event; a refusal is returned as is.
func openCartStream(t *testing.T, c *apptest.Client, base string) (io.Closer, attempt) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/v1/cart/events", nil)
	for k, v := range c.Cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 {
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return nil, attempt{res.StatusCode, res.Header.Get("Retry-After"), string(body)}
	}
	line, err := bufio.NewReader(res.Body).ReadString('\n')
	if err != nil || line != "event: cart\n" {
		t.Fatalf("cart stream: %q %v", line, err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res.Body, attempt{status: 200}
}

// fromAddress sends a request without cookies through the node's trusted
// proxy (the in-process test peer) for the client address xff, with the
// CSRF token of nobody's session on a POST.
func fromAddress(t *testing.T, node *app.App, method, path, xff string) attempt {
	t.Helper()
	send := func(method string, token string) *http.Response {
		var body io.Reader
		if method == "POST" {
			body = strings.NewReader("{}")
		}
		req := httptest.NewRequest(method, path, body)
		req.Host = "localhost:8080"
		req.Header.Set("X-Forwarded-For", xff)
		if token != "" {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Origin", apptest.Origin)
			req.Header.Set("X-CSRF-Token", token)
		}
		res, err := node.Fiber.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	token := ""
	if method == "POST" {
		for _, ck := range send("GET", "").Cookies() {
			if ck.Name == "lm_csrf" {
				token = ck.Value
			}
		}
	}
	res := send(method, token)
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return attempt{res.StatusCode, res.Header.Get("Retry-After"), string(body)}
}

var waitSeconds = regexp.MustCompile(`wait (\d+) s`)

// limitCase is one row of TestAbuseLimitsHoldAcrossNodes.
type limitCase struct {
	name string
	// try makes one attempt on node n (0 or 1); what it opens stays open.
	try func(t *testing.T, n int) attempt
	// release closes the oldest thing try opened (concurrent limits only).
	release func()
}

// TestAbuseLimitsHoldAcrossNodes runs every abuse limit against two nodes
// on one NATS, alternating between them: the count is shared, so the
// refusal comes after max actions in all, not max per node; it is a 429
// (or, for call.dial, a rate_limited signaling error) with Retry-After and
// the JSON error. For the concurrent limits, closing one frees its slot.
// The nodes trust the in-process test peer as a proxy, so the client
// address of the per-address limits is the X-Forwarded-For the test sends.
func TestAbuseLimitsHoldAcrossNodes(t *testing.T) {
	const max = 3
	nodeA, nodeB := twoNodes(t, smallLimits(max), func(c *config.Config) { c.TrustedProxies = []string{"0.0.0.0/32"} })
	nodes := []*app.App{nodeA, nodeB}
	bases := []string{apptest.ServeOnLoopback(t, nodeA), apptest.ServeOnLoopback(t, nodeB)}

	member := apptest.NewClient(t, nodeA)
	member.SignUp("Lim Its", "limits@example.com", "1980-01-01")
	guestOn := func(node *app.App, addr string) *apptest.Client {
		g := apptest.NewClient(t, node)
		if r := g.Do("POST", "/api/v1/guest", map[string]any{}, "X-Forwarded-For", addr); r.Status != 200 {
			t.Fatalf("new guest: %d %s", r.Status, r.Body)
		}
		return g
	}
	sockGuest, dialGuest, cartGuest := guestOn(nodeA, "198.51.100.7"), guestOn(nodeB, "198.51.100.8"), guestOn(nodeA, "198.51.100.9")
	var dialSockets []*apptest.Socket
	for i := range nodes {
		s, a := dialSocket(t, dialGuest, bases[i])
		if a.status != 101 {
			t.Fatalf("guest socket: %+v", a)
		}
		dialSockets = append(dialSockets, s)
	}
	var held []io.Closer
	release := func() { held[0].Close(); held = held[1:] }
	hold := func(c io.Closer, a attempt) attempt {
		if c != nil {
			held = append(held, c)
		}
		return a
	}
	socketOf := func(c *apptest.Client) func(t *testing.T, n int) attempt {
		return func(t *testing.T, n int) attempt {
			s, a := dialSocket(t, c, bases[n])
			if s == nil {
				return a
			}
			return hold(s.Conn, a)
		}
	}

	tests := []limitCase{
		{name: "new guests per client address", try: func(t *testing.T, n int) attempt {
			return fromAddress(t, nodes[n], "POST", "/api/v1/guest", "203.0.113.1, 198.51.100.1")
		}},
		{name: "number availability look-ups per client address", try: func(t *testing.T, n int) attempt {
			return fromAddress(t, nodes[n], "GET", "/api/v1/numbers/987654321098/availability", "198.51.100.1")
		}},
		{name: "sockets per account", try: socketOf(member), release: release},
		{name: "sockets per guest", try: socketOf(sockGuest), release: release},
		{name: "cart event streams per guest", try: func(t *testing.T, n int) attempt {
			body, a := openCartStream(t, cartGuest, bases[n])
			if body == nil {
				return a
			}
			return hold(body, a)
		}}, // a stream learns that its reader left only when a keep-alive write fails, 15-30 s later
		{name: "call.dial per minute per guest", try: func(t *testing.T, n int) attempt {
			s := dialSockets[n]
			s.Send("call.dial", `{"number":"987654321098","video":false}`)
			for {
				m := s.Next()
				var e struct{ Code, Message, For string }
				if m.Type != "error" || json.Unmarshal(m.Data, &e) != nil || e.For != "call.dial" {
					continue // presence and the like
				}
				if e.Code != "rate_limited" {
					return attempt{200, "", string(m.Data)} // refused for its number, but it counted
				}
				secs := ""
				if m := waitSeconds.FindStringSubmatch(e.Message); m != nil {
					secs = m[1]
				}
				return attempt{429, secs, `{"error":{"code":"rate_limited","message":"` + e.Message + `"}}`}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			held = nil
			for i := 0; i <= max; i++ {
				a := tt.try(t, i%2)
				if i < max {
					if a.status != 200 && a.status != 101 {
						t.Fatalf("attempt %d of %d (node %d) refused: %+v", i+1, max, i%2, a)
					}
					continue
				}
				if a.status != 429 || !strings.Contains(a.body, `"code":"rate_limited"`) {
					t.Fatalf("attempt %d (node %d), over the limit of %d across both nodes: %+v, want 429 rate_limited", i+1, i%2, max, a)
				}
				if secs, err := strconv.Atoi(a.retry); err != nil || secs < 1 {
					t.Fatalf("refusal without a usable Retry-After: %+v", a)
				}
			}
			if tt.release == nil {
				return
			}
			tt.release()
			apptest.WaitFor(t, 5*time.Second, "a closed slot to free up", func() bool {
				a := tt.try(t, 1)
				return a.status == 200 || a.status == 101
			})
		})
	}
}
