// Package media carries livemall's real-time plane: the signaling
// WebSocket every device keeps open, and, as it grows, calls, the SFU and
// TURN. Slices plug their message types into Signaling.
package media

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/nats-io/nats.go"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/limits"
	"github.com/livemall/livemall/backend/web"
)

// ProtocolVersion is the version of the signaling protocol; every message
// carries it in "v".
const ProtocolVersion = 1

// MaxMessageSize is the largest signaling message accepted, in bytes.
const MaxMessageSize = 64 << 10

// Message is the envelope of every signaling message.
type Message struct {
	Type string          `json:"type"`
	V    int             `json:"v"`
	Data json.RawMessage `json:"data,omitempty"`
}

// HandlerFunc handles one message type from a device. An error is sent back
// to the device as an "error" message; the connection stays open.
type HandlerFunc func(ctx context.Context, c *Conn, m Message) error

// Signaling serves the signaling WebSocket and dispatches messages to the
// handlers the slices registered. Register everything before serving.
type Signaling struct {
	// PublicURL is the origin upgrades must come from.
	PublicURL string
	// Node names this node in hello messages.
	Node string
	// Bus carries messages to connections held by any node: every
	// connection listens on lm.conn.<id> and lm.dev.<device>.
	Bus *nats.Conn
	// Guest names the mall guest of a request without a session ("" when
	// there is none); nil refuses every guest.
	Guest func(c *fiber.Ctx) string
	// Limits bounds the sockets one account or guest holds open, across
	// nodes; nil limits nothing.
	Limits *limits.Counter
	// Device returns the device bound to the request's session, or to the
	// guest's cookie when guest is set: the only device a connection may
	// attach to ("" for none). nil means connections have no device.
	Device func(c *fiber.Ctx, guest string) (string, error)

	handlers map[string]HandlerFunc
	onReader map[string]Message // known frames handled on the reader's stack, by their bytes
	guests   map[string]bool
	onOpen   []func(ctx context.Context, c *Conn) error
	onClose  []func(c *Conn)
	hello    []func(c *Conn, h *HelloData)
	conns    sync.Map // conn id -> *Conn

	relayOnce sync.Once
	relay     *relay // NATS to this node's sockets (relay.go)
}

// Handle routes messages of type typ to h.
func (s *Signaling) Handle(typ string, h HandlerFunc) {
	if s.handlers == nil {
		s.handlers = map[string]HandlerFunc{}
	}
	s.handlers[typ] = h
}

// HandleOnReader routes messages of type typ to h, like Handle. A message
// of that type without data, as the clients encode it, is known by its
// bytes and handled on the socket's reader goroutine: no JSON decoding, no
// fresh goroutine (see onFreshStack). It is for a message every idle
// device sends often, whose handler is shallow and returns at once: the
// heartbeat.
func (s *Signaling) HandleOnReader(typ string, h HandlerFunc) {
	s.Handle(typ, h)
	if s.onReader == nil {
		s.onReader = map[string]Message{}
	}
	m := Message{Type: typ, V: ProtocolVersion}
	for _, raw := range knownFrames(typ) {
		s.onReader[raw] = m
	}
}

// knownFrames are the bytes the clients send for a message of type typ
// without data: the browser's {"v":…,"type":…} and Go's {"type":…,"v":…}.
func knownFrames(typ string) []string {
	t, _ := json.Marshal(typ)
	v := strconv.Itoa(ProtocolVersion)
	return []string{
		`{"v":` + v + `,"type":` + string(t) + `}`,
		`{"type":` + string(t) + `,"v":` + v + `}`,
	}
}

// AllowGuests lets guests' connections send the given message types; every
// other type from a guest is refused as Unauthorized.
func (s *Signaling) AllowGuests(types ...string) {
	if s.guests == nil {
		s.guests = map[string]bool{}
	}
	for _, t := range types {
		s.guests[t] = true
	}
}

// OnOpen runs f when a connection opens, after the hello; an error closes it.
func (s *Signaling) OnOpen(f func(ctx context.Context, c *Conn) error) {
	s.onOpen = append(s.onOpen, f)
}

// OnClose runs f when a connection closes, however it closed.
func (s *Signaling) OnClose(f func(c *Conn)) { s.onClose = append(s.onClose, f) }

// HelloField lets f fill in its part of the hello message.
func (s *Signaling) HelloField(f func(c *Conn, h *HelloData)) { s.hello = append(s.hello, f) }

// Conn returns this node's open connection with the id, if there is one.
func (s *Signaling) Conn(id string) (*Conn, bool) {
	c, ok := s.conns.Load(id)
	if !ok {
		return nil, false
	}
	return c.(*Conn), true
}

// Conns calls f for each open connection on this node until f returns false.
func (s *Signaling) Conns(f func(c *Conn) bool) {
	s.conns.Range(func(_, v any) bool { return f(v.(*Conn)) })
}

// Routes registers GET /api/v1/ws on api. The upgrade needs a session (or
// a guest cookie) and a same-site Origin; a foreign Origin gets 403 before
// any upgrade. The connection attaches to the device bound to the session
// or guest; an optional ?device=ID must name that device, else 403.
func (s *Signaling) Routes(api fiber.Router) {
	s.Handle("ping", func(_ context.Context, c *Conn, _ Message) error {
		c.Send(Message{Type: "pong"})
		return nil
	})
	api.Get("/ws", s.gate, s.upgrade)
}

// upgrade answers the handshake and serves the socket with what gate
// found (socket.go says why it does not use a WebSocket middleware).
func (s *Signaling) upgrade(c *fiber.Ctx) error {
	var who connOwner
	who.accountID, _ = c.Locals("ws.account").(string)
	who.guest, _ = c.Locals("ws.guest").(string)
	who.deviceID, _ = c.Locals("ws.device").(string)
	who.role, _ = c.Locals("ws.role").(auth.Role)
	who.storeID, _ = c.Locals("ws.store").(int64)
	lease, _ := c.Locals("ws.lease").(*limits.Lease)
	return upgradeSocket(c, func(ws *socket) {
		s.serve(ws, who, lease)
	})
}

// gate refuses upgrades that are not WebSocket, cross-site, not signed in,
// or name a device that is not bound to the session or guest cookie.
func (s *Signaling) gate(c *fiber.Ctx) error {
	if !isWebSocketUpgrade(c) {
		return apperr.New(apperr.Invalid, "this endpoint speaks WebSocket only")
	}
	if c.Get(fiber.HeaderOrigin) == "" || !web.SameOrigin(c, s.PublicURL) {
		return apperr.New(apperr.Forbidden, "WebSocket upgrade from a foreign origin refused")
	}
	asked, err := auth.ParseDeviceID(c.Query("device"))
	a, authErr := auth.RequireAccount(c)
	guest := ""
	if authErr != nil {
		if s.Guest != nil {
			guest = s.Guest(c)
		}
		if guest == "" {
			return authErr
		}
	}
	if err != nil {
		return err
	}
	device := ""
	if s.Device != nil {
		if device, err = s.Device(c, guest); err != nil {
			return err
		}
	}
	if asked != "" && asked != device {
		who := "guest"
		if a != nil {
			who = a.ID
		}
		slog.Warn("signaling: socket refused for a device not bound to its session", "account", who, "ip", c.IP())
		return apperr.New(apperr.Forbidden, "this browser is not that device: connect without ?device= to use your own")
	}
	if a != nil {
		c.Locals("ws.account", a.ID)
		c.Locals("ws.role", a.Role)
		if a.StoreID != nil {
			c.Locals("ws.store", *a.StoreID)
		}
	} else {
		c.Locals("ws.guest", guest)
	}
	c.Locals("ws.device", device)
	accountID := ""
	if a != nil {
		accountID = a.ID
	}
	if err := s.holdSocket(c, accountID, guest); err != nil {
		return err
	}
	return c.Next()
}

// connOwner is who opened a socket, as gate found them.
type connOwner struct {
	accountID, guest, deviceID string
	role                       auth.Role
	storeID                    int64
}

// serve runs one connection on the goroutine that reads it: hello, the
// open hooks, then a loop dispatching messages. Messages to the device
// are written by a goroutine that runs only while some wait (Conn.Send).
func (s *Signaling) serve(ws *socket, who connOwner, lease *limits.Lease) {
	id := newConnID()
	if s.Bus != nil {
		id = s.relayOf().newConnID()
	}
	accountID := who.accountID
	c := newConn(id, accountID, who.deviceID)
	c.Guest, c.Role, c.StoreID = who.guest, who.role, who.storeID
	// The writer starts with the hello (startWriting): what the bus
	// delivers before it waits in the queue.
	out := func(m Message) error {
		raw, err := json.Marshal(m)
		if err != nil {
			return err
		}
		return ws.writeText(raw, time.Now().Add(10*time.Second))
	}
	s.conns.Store(c.ID, c)
	keepSocket(c.ctx, lease)
	// However the connection ends (the reader's error, a full send queue,
	// a failed write), the socket closes and the reader returns.
	context.AfterFunc(c.ctx, ws.close)
	defer func() {
		c.cancel()
		s.conns.Delete(c.ID)
		for _, f := range s.onClose {
			f(c)
		}
	}()
	if s.Bus != nil {
		unsubscribe, err := s.listen(c)
		if err != nil {
			slog.Error("signaling subscribe", "err", err)
			return
		}
		defer unsubscribe()
	}

	opened := false
	onFreshStack(func() {
		hello := HelloData{AccountID: accountID, DeviceID: who.deviceID, Node: s.Node, ConnID: c.ID, Guest: c.Guest != ""}
		for _, f := range s.hello {
			f(c, &hello)
		}
		raw, err := json.Marshal(hello)
		if err != nil {
			slog.Error("signaling hello", "err", err)
			return
		}
		c.startWriting(Message{Type: "hello", Data: raw}, out)
		for _, f := range s.onOpen {
			if err := f(c.ctx, c); err != nil {
				slog.Warn("signaling open hook", "account", accountID, "err", err)
				c.Send(errorMessage(err, ""))
				return
			}
		}
		opened = true
	})
	if !opened {
		return
	}
	for {
		raw, err := ws.readMessage(time.Now().Add(90 * time.Second))
		if err != nil {
			ws.fail(err)
			return
		}
		if c.ctx.Err() != nil {
			return
		}
		if m, ok := s.onReader[string(raw)]; ok {
			recovering(func() { s.dispatch(c, m, nil) })
			continue
		}
		onFreshStack(func() {
			m, err := ParseMessage(raw)
			s.dispatch(c, m, err)
		})
	}
}

// dispatch hands one message from the device, parsed (err says why it
// could not be), to its handler and answers an error as an "error"
// message.
func (s *Signaling) dispatch(c *Conn, m Message, err error) {
	if err == nil && c.Guest != "" && !s.guests[m.Type] {
		err = apperr.New(apperr.Unauthorized, "sign in to use %s", m.Type)
	} else if err == nil {
		if h, ok := s.handlers[m.Type]; ok {
			err = h(c.ctx, c, m)
		} else {
			err = apperr.New(apperr.Invalid, "unknown message type %q", m.Type)
		}
	}
	if err != nil {
		if apperr.Code(err) == apperr.Internal {
			slog.Error("signaling handler", "type", m.Type, "account", c.AccountID, "err", err)
		}
		c.Send(errorMessage(err, m.Type))
	}
}

// onFreshStack runs f on a goroutine of its own and waits for it. The
// work of a message (database queries, JSON, SDP) may need a deep stack;
// run on the reader's goroutine, which lives as long as the socket, the
// grown stack would stay with every idle socket until the garbage
// collector shrinks it, half at a time. A panic in f is logged with its
// stack and ends only f.
func onFreshStack(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		recovering(f)
	}()
	<-done
}

// recovering runs f; a panic in f is logged with its stack and ends only f.
func recovering(f func()) {
	defer func() {
		if p := recover(); p != nil {
			slog.Error("signaling: panic in a handler", "panic", p, "stack", string(debug.Stack()))
		}
	}()
	f()
}

// listen relays messages published for the connection or its device.
func (s *Signaling) listen(c *Conn) (func(), error) {
	subjects := []string{connSubject(c.ID)}
	if c.DeviceID != "" {
		subjects = append(subjects, deviceSubject(c.DeviceID))
	}
	return s.relayOf().listen(c, subjects...)
}

// relayOf returns the node's relay, made on first use.
func (s *Signaling) relayOf() *relay {
	s.relayOnce.Do(func() { s.relay = &relay{bus: s.Bus} })
	return s.relay
}

// connSubject is where messages for a connection go: lm.conn.<tag>.<rest>
// for an id made by a relay (its node listens on lm.conn.<tag>.*), else
// lm.conn.<id>.
func connSubject(id string) string {
	if len(id) == connIDLen {
		return "lm.conn." + id[:connIDTag] + "." + id[connIDTag:]
	}
	return "lm.conn." + id
}
func deviceSubject(device string) string { return "lm.dev." + device }

// SendToConn delivers a message to one connection, on whichever node holds
// it.
func (s *Signaling) SendToConn(connID, typ string, data any) error {
	return s.publish(connSubject(connID), typ, data)
}

// SendToDevice delivers a message to every connection of a device, on
// whichever nodes hold them.
func (s *Signaling) SendToDevice(deviceID, typ string, data any) error {
	return s.publish(deviceSubject(deviceID), typ, data)
}

func (s *Signaling) publish(subject, typ string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	msg, err := json.Marshal(Message{Type: typ, V: ProtocolVersion, Data: raw})
	if err != nil {
		return err
	}
	return s.Bus.Publish(subject, msg)
}

// ParseMessage decodes one signaling message strictly: one JSON object with
// a type, the supported version and nothing unknown. Errors carry
// apperr.Invalid and say what was wrong.
func ParseMessage(raw []byte) (Message, error) {
	var m Message
	if err := web.DecodeJSONBytes(raw, &m); err != nil {
		return m, err
	}
	if m.Type == "" {
		return m, apperr.New(apperr.Invalid, "message has no type")
	}
	if m.V != ProtocolVersion {
		return m, apperr.New(apperr.Invalid, "protocol version %d is not supported: use %d", m.V, ProtocolVersion)
	}
	return m, nil
}

// errorMessage wraps an error answering a message of type forType ("" for
// none) as a signaling "error" message.
func errorMessage(err error, forType string) Message {
	_, body := web.Describe(err)
	data, _ := json.Marshal(ErrorData{ErrorDetail: body.Error, For: forType})
	return Message{Type: "error", Data: data}
}

// isWebSocketUpgrade says the request asks for a WebSocket: a Connection
// header naming upgrade and Upgrade: websocket.
func isWebSocketUpgrade(c *fiber.Ctx) bool {
	return headerHasToken(c.Get(fiber.HeaderConnection), "upgrade") && headerHasToken(c.Get(fiber.HeaderUpgrade), "websocket")
}

// headerHasToken says the comma-separated header value holds token,
// ignoring case and spaces.
func headerHasToken(value, token string) bool {
	for part := range strings.SplitSeq(value, ",") {
		if strings.EqualFold(strings.TrimSpace(part), token) {
			return true
		}
	}
	return false
}

func newConnID() string {
	b := make([]byte, 9)
	rand.Read(b)
	return hex.EncodeToString(b)
}
