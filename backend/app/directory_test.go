package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/livemall/livemall/backend/config"
	"github.com/livemall/livemall/directory"
	"github.com/livemall/livemall/media"
)

// shortPresence makes devices expire a second after their last heartbeat.
func shortPresence(c *config.Config) {
	c.PresenceTTL = time.Second
	c.Heartbeat = 500 * time.Millisecond
}

// myNumber returns the client's primary number.
func (c *client) myNumber() string {
	c.t.Helper()
	var me struct {
		Numbers []struct {
			Number  string
			Primary bool
		}
	}
	c.must(200, "GET", "/api/v1/directory/me", nil).json(c.t, &me)
	if len(me.Numbers) == 0 || !me.Numbers[0].Primary {
		c.t.Fatalf("no primary number: %+v", me)
	}
	return me.Numbers[0].Number
}

// socket is a signaling connection of a test device.
type socket struct {
	t    *testing.T
	conn *websocket.Conn
}

// openSocket connects the client's browser to the signaling socket of the
// app served at base; the server attaches it to the device bound to the
// browser's session (or guest cookie), whose id the hello names.
func (c *client) openSocket(base string) *socket {
	c.t.Helper()
	s, hello := c.dialSocket(base, "")
	if hello.Type != "hello" {
		c.t.Fatalf("first message %+v, want hello", hello)
	}
	var h struct{ DeviceID string }
	if err := json.Unmarshal(hello.Data, &h); err != nil {
		c.t.Fatalf("hello %s: %v", hello.Data, err)
	}
	c.device = h.DeviceID
	return s
}

// dialSocket opens the signaling socket with the browser's cookies, asking
// for device (none when ""), and returns it with its first message. A
// refused upgrade fails the test; dialSocketStatus tells the status.
func (c *client) dialSocket(base, device string) (*socket, media.Message) {
	c.t.Helper()
	conn, status := c.dialSocketStatus(base, device)
	if conn == nil {
		c.t.Fatalf("dial signaling: status %d", status)
	}
	s := &socket{t: c.t, conn: conn}
	return s, s.next()
}

// dialSocketStatus opens the signaling socket asking for device (none when
// ""); it returns the connection, or nil and the status of the refused
// upgrade.
func (c *client) dialSocketStatus(base, device string) (*websocket.Conn, int) {
	c.t.Helper()
	h := http.Header{}
	h.Set("Origin", testOrigin)
	h.Set("User-Agent", c.ua)
	var cookies []string
	for k, v := range c.cookies {
		cookies = append(cookies, k+"="+v)
	}
	h.Set("Cookie", strings.Join(cookies, "; "))
	url := "ws" + strings.TrimPrefix(base, "http") + "/api/v1/ws"
	if device != "" {
		url += "?device=" + device
	}
	conn, res, err := websocket.DefaultDialer.Dial(url, h)
	if err != nil {
		if res != nil {
			return nil, res.StatusCode
		}
		c.t.Fatalf("dial signaling: %v", err)
	}
	c.t.Cleanup(func() { conn.Close() })
	return conn, 101
}

// next reads one message, failing after 30 s.
func (s *socket) next() media.Message {
	s.t.Helper()
	// A deadline for a server that makes no progress, not a speed: under
	// load (two busy loops beside forty pion phones under -race) a hello
	// took longer than 5 s.
	s.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	var m media.Message
	if err := s.conn.ReadJSON(&m); err != nil {
		s.t.Fatalf("read signaling: %v", err)
	}
	return m
}

// send writes a message of the given type.
func (s *socket) send(typ string, data string) {
	s.t.Helper()
	msg := `{"type":"` + typ + `","v":1`
	if data != "" {
		msg += `,"data":` + data
	}
	if err := s.conn.WriteMessage(websocket.TextMessage, []byte(msg+"}")); err != nil {
		s.t.Fatal(err)
	}
}

// resolve resolves a number as the client.
func (c *client) resolve(number string) directory.Resolution {
	c.t.Helper()
	var r directory.Resolution
	c.must(200, "GET", "/api/v1/numbers/"+number, nil).json(c.t, &r)
	return r
}

// devices lists the labels of the devices a resolution rings, sorted.
func devices(r directory.Resolution) string {
	var labels []string
	for _, t := range r.Ring {
		labels = append(labels, t.Label)
	}
	sort.Strings(labels)
	return strings.Join(labels, ",")
}

func TestConcurrentSignUpsGetDistinctContiguousNumbers(t *testing.T) {
	a := newTestApp(t)
	const n = 200
	numbers := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	// 32 sign-ups in flight at any moment: enough to race every step of
	// allocation; 200 at once under -race on two cores only measures how
	// long SQLite's busy handler lets a writer starve.
	inFlight := make(chan struct{}, 32)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			inFlight <- struct{}{}
			defer func() { <-inFlight }()
			c := newClient(t, a)
			var b begun
			r := c.do("POST", "/api/v1/auth/signup/begin", map[string]string{"name": fmt.Sprintf("Signer %03d", i), "email": fmt.Sprintf("signer%03d@example.com", i), "birthDate": "1990-01-01", "address": "x"})
			if r.Status != 200 {
				errs <- fmt.Errorf("begin %d: %d %s", i, r.Status, r.Body)
				return
			}
			r.json(t, &b)
			r = c.do("POST", "/api/v1/auth/signup/finish", map[string]any{"ceremony": b.Ceremony, "credential": c.register(b)})
			if r.Status != 201 {
				errs <- fmt.Errorf("finish %d: %d %s", i, r.Status, r.Body)
				return
			}
			numbers[i] = c.myNumber()
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, num := range numbers {
		if _, err := directory.ParseNumber(num); err != nil || seen[num] {
			t.Fatalf("number %q invalid or given twice", num)
		}
		seen[num] = true
	}
	sort.Strings(numbers)
	first, last := directory.Number(numbers[0]).Value(), directory.Number(numbers[n-1]).Value()
	if last-first != n-1 {
		t.Fatalf("numbers %s … %s are not contiguous", numbers[0], numbers[n-1])
	}
}

func TestPresenceExpiresWithoutHeartbeats(t *testing.T) {
	a := newTestApp(t, shortPresence)
	base := serveOnLoopback(t, a)
	caller := newClient(t, a)
	caller.signUp("Caller", "caller@example.com", "1980-01-01")
	m := newClient(t, a)
	m.signUp("Quiet", "quiet@example.com", "1980-01-01")
	num := m.myNumber()
	s := m.openSocket(base)
	waitFor(t, 3*time.Second, "the device to be online", func() bool { return caller.resolve(num).State == directory.StateAvailable })
	// Keep heartbeating for a while: the device stays online past the TTL.
	for i := 0; i < 6; i++ {
		s.send("heartbeat", "")
		time.Sleep(300 * time.Millisecond)
		if st := caller.resolve(num).State; st != directory.StateAvailable {
			t.Fatalf("heartbeating device went %s", st)
		}
	}
	// Stop heartbeating but keep the socket open: the record expires.
	start := time.Now()
	waitFor(t, 10*time.Second, "the silent device to go offline", func() bool { return caller.resolve(num).State == directory.StateOffline })
	if time.Since(start) < 500*time.Millisecond {
		t.Fatalf("went offline after %v, before its TTL", time.Since(start))
	}
	if r := caller.resolve(num); len(r.Ring) != 0 {
		t.Fatalf("an offline member still rings %v", r.Ring)
	}
}

func TestNewestDeviceWinsAndRingAllListsBoth(t *testing.T) {
	a := newTestApp(t)
	base := serveOnLoopback(t, a)
	caller := newClient(t, a)
	caller.signUp("Caller", "caller2@example.com", "1980-01-01")

	m := newClient(t, a) // on the laptop
	m.signUp("Two Devices", "two@example.com", "1985-05-05")
	num := m.myNumber()
	m.openSocket(base)
	laptop := m.device
	waitFor(t, 3*time.Second, "the laptop to ring", func() bool { return devices(caller.resolve(num)) == labelComputer })

	// Signing in on the phone makes it the newest device: only it rings.
	m.useBrowser("phone", uaPhone)
	if r := m.signIn(); r.Status != 200 {
		t.Fatalf("sign in on the phone: %d %s", r.Status, r.Body)
	}
	m.openSocket(base)
	if m.device == laptop || len(m.device) != 32 {
		t.Fatalf("the phone got device %q, the laptop %q: want two issued ids", m.device, laptop)
	}
	waitFor(t, 3*time.Second, "the phone to ring instead", func() bool { return devices(caller.resolve(num)) == labelPhone })

	// Ring-all rings both.
	m.must(200, "PATCH", "/api/v1/directory/me", `{"ringMode":"all"}`)
	if got := devices(caller.resolve(num)); got != labelPhone+","+labelComputer {
		t.Fatalf("ring-all rings %q", got)
	}
	r := caller.resolve(num)
	if r.Party.Type != directory.PartyMember || r.Party.Name != "Two Devices" || r.State != directory.StateAvailable || r.Ring[0].Kind == "" {
		t.Fatalf("resolution %+v", r)
	}
	var me struct{ Account struct{ ID string } }
	m.must(200, "GET", "/api/v1/me", nil).json(t, &me)
	if targets, err := a.Directory.RingTargetsOf(t.Context(), me.Account.ID); err != nil || len(targets) != 2 || targets[0].Node == "" {
		t.Fatalf("ring targets %+v, %v: want two, with their node", targets, err)
	}
	m.must(200, "PATCH", "/api/v1/directory/me", `{"ringMode":"newest"}`)
	if got := devices(caller.resolve(num)); got != labelPhone {
		t.Fatalf("back to newest rings %q", got)
	}
	// Signing out on the phone takes it off: the laptop is the newest again.
	m.must(204, "POST", "/api/v1/auth/signout", nil)
	waitFor(t, 3*time.Second, "the laptop to ring after sign-out on the phone", func() bool { return devices(caller.resolve(num)) == labelComputer })
}

func TestSharedDeviceRingsForEveryMemberOnIt(t *testing.T) {
	a := newTestApp(t)
	base := serveOnLoopback(t, a)
	caller := newClient(t, a)
	caller.signUp("Caller", "caller3@example.com", "1980-01-01")
	mum := newClient(t, a)
	mum.ua = uaTablet // the family tablet
	mum.signUp("Mum", "mum@example.com", "1970-01-01")
	mumNum := mum.myNumber()
	kid := mum.sameBrowser()
	kid.signUp("Kid", "kid@example.com", "2000-01-01")
	kidNum := kid.myNumber()
	kid.openSocket(base) // one socket, opened by whoever is signed in now
	waitFor(t, 3*time.Second, "the tablet to ring for both", func() bool {
		return devices(caller.resolve(mumNum)) == labelTablet && devices(caller.resolve(kidNum)) == labelTablet
	})
}

func TestWatchersSeeLightsChange(t *testing.T) {
	a := newTestApp(t)
	base := serveOnLoopback(t, a)
	watcher := newClient(t, a)
	watcher.signUp("Watcher", "watcher@example.com", "1980-01-01")
	ws := watcher.openSocket(base)
	ws.send("directory.watch", "")

	b := newClient(t, a)
	b.signUp("Bea", "bea@example.com", "1990-01-01")
	var me struct{ Account struct{ ID string } }
	b.must(200, "GET", "/api/v1/me", nil).json(t, &me)

	expect := func(state directory.State) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			m := ws.next()
			if m.Type == "presence" && strings.Contains(string(m.Data), me.Account.ID) && strings.Contains(string(m.Data), `"state":"`+string(state)+`"`) {
				return
			}
		}
		t.Fatalf("no presence event %s for Bea", state)
	}
	bs := b.openSocket(base)
	expect(directory.StateAvailable)
	bs.send("presence.set", `{"state":"away"}`)
	expect(directory.StateAway)
	bs.send("presence.set", `{"state":"sleeping"}`)
	if m := bs.next(); m.Type != "error" || !strings.Contains(string(m.Data), "available") {
		t.Fatalf("bad presence state answered %+v", m)
	}
	bs.conn.Close()
	expect(directory.StateOffline)
}

// TestEveryDeviceMessageHasAHandler checks the node handles exactly the
// device-to-server types of the protocol.
func TestEveryDeviceMessageHasAHandler(t *testing.T) {
	a := newTestApp(t)
	handled := a.Signaling.Handled()
	sort.Strings(handled)
	var want []string
	for _, m := range media.Protocol {
		if m.Direction == media.ToServer {
			want = append(want, m.Type)
		}
	}
	sort.Strings(want)
	if strings.Join(handled, ",") != strings.Join(want, ",") {
		t.Fatalf("handlers %v, protocol %v", handled, want)
	}
}
