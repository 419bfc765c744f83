// Package media carries livemall's real-time plane. For now it holds the
// signaling WebSocket's gate (session and Origin checks, message limits) and
// the hello/ping protocol; calls, the SFU and TURN build on it.
package media

import (
	"encoding/json"
	"log/slog"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
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

// Signaling serves the signaling WebSocket.
type Signaling struct {
	// PublicURL is the origin upgrades must come from.
	PublicURL string
}

// Routes registers GET /api/v1/ws on api. The upgrade needs a session and
// a same-site Origin; a foreign Origin gets 403 before any upgrade.
func (s *Signaling) Routes(api fiber.Router) {
	api.Get("/ws", s.gate, websocket.New(s.serve, websocket.Config{
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   4096,
		WriteBufferSize:  4096,
	}))
}

// gate refuses upgrades that are not WebSocket, not signed in or cross-site.
func (s *Signaling) gate(c *fiber.Ctx) error {
	if !websocket.IsWebSocketUpgrade(c) {
		return apperr.New(apperr.Invalid, "this endpoint speaks WebSocket only")
	}
	if c.Get(fiber.HeaderOrigin) == "" || !web.SameOrigin(c, s.PublicURL) {
		return apperr.New(apperr.Forbidden, "WebSocket upgrade from a foreign origin refused")
	}
	a, err := auth.RequireAccount(c)
	if err != nil {
		return err
	}
	c.Locals("ws.account", a.ID)
	return c.Next()
}

// serve greets the device and answers pings until it goes away.
func (s *Signaling) serve(conn *websocket.Conn) {
	accountID, _ := conn.Locals("ws.account").(string)
	conn.SetReadLimit(MaxMessageSize)
	send := func(m Message) error {
		m.V = ProtocolVersion
		conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		return conn.WriteJSON(m)
	}
	hello, _ := json.Marshal(map[string]string{"accountId": accountID})
	if err := send(Message{Type: "hello", Data: hello}); err != nil {
		return
	}
	for {
		conn.SetReadDeadline(time.Now().Add(90 * time.Second))
		_, raw, err := conn.ReadMessage()
		if err != nil {
			return
		}
		m, err := ParseMessage(raw)
		switch {
		case err != nil:
		case m.Type == "ping":
			err = send(Message{Type: "pong"})
			if err != nil {
				return
			}
			continue
		default:
			err = apperr.New(apperr.Invalid, "unknown message type %q", m.Type)
		}
		if send(errorMessage(err)) != nil {
			slog.Debug("signaling closed", "account", accountID)
			return
		}
	}
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

// errorMessage wraps an error as a signaling "error" message.
func errorMessage(err error) Message {
	_, body := web.Describe(err)
	data, _ := json.Marshal(body.Error)
	return Message{Type: "error", Data: data}
}
