package apptest

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/livemall/livemall/backend/config"
	"github.com/livemall/livemall/directory"
	"github.com/livemall/livemall/media"
)

// ShortPresence makes devices expire a second after their last heartbeat.
func ShortPresence(c *config.Config) {
	c.PresenceTTL = time.Second
	c.Heartbeat = 500 * time.Millisecond
}

// MyNumber returns the client's primary number.
func (c *Client) MyNumber() string {
	c.T.Helper()
	var me struct {
		Numbers []struct {
			Number  string
			Primary bool
		}
	}
	c.Must(200, "GET", "/api/v1/directory/me", nil).JSON(c.T, &me)
	if len(me.Numbers) == 0 || !me.Numbers[0].Primary {
		c.T.Fatalf("no primary number: %+v", me)
	}
	return me.Numbers[0].Number
}

// Socket is a signaling connection of a test device.
type Socket struct {
	T    *testing.T
	Conn *websocket.Conn
	// ConnID is the connection's id as its hello names it (OpenSocket).
	ConnID string
}

// OpenSocket connects the client's browser to the signaling socket of the
// app served at base; the server attaches it to the device bound to the
// browser's session (or guest cookie), whose id the hello names.
func (c *Client) OpenSocket(base string) *Socket {
	c.T.Helper()
	s, hello := c.DialSocket(base, "")
	if hello.Type != "hello" {
		c.T.Fatalf("first message %+v, want hello", hello)
	}
	var h struct{ DeviceID, ConnID string }
	if err := json.Unmarshal(hello.Data, &h); err != nil {
		c.T.Fatalf("hello %s: %v", hello.Data, err)
	}
	c.Device, s.ConnID = h.DeviceID, h.ConnID
	return s
}

// DialSocket opens the signaling socket with the browser's cookies, asking
// for device (none when ""), and returns it with its first message. A
// refused upgrade fails the test; DialSocketStatus tells the status.
func (c *Client) DialSocket(base, device string) (*Socket, media.Message) {
	c.T.Helper()
	conn, status := c.DialSocketStatus(base, device)
	if conn == nil {
		c.T.Fatalf("dial signaling: status %d", status)
	}
	s := &Socket{T: c.T, Conn: conn}
	return s, s.Next()
}

// DialSocketStatus opens the signaling socket asking for device (none when
// ""); it returns the connection, or nil and the status of the refused
// upgrade.
func (c *Client) DialSocketStatus(base, device string) (*websocket.Conn, int) {
	c.T.Helper()
	h := http.Header{}
	h.Set("Origin", Origin)
	h.Set("User-Agent", c.UA)
	var cookies []string
	for k, v := range c.Cookies {
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
		c.T.Fatalf("dial signaling: %v", err)
	}
	c.T.Cleanup(func() { conn.Close() })
	return conn, 101
}

// Next reads one message, failing after 30 s.
func (s *Socket) Next() media.Message {
	s.T.Helper()
	// A deadline for a server that makes no progress, not a speed: under
	// load (two busy loops beside forty pion phones under -race) a hello
	// took longer than 5 s.
	s.Conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	var m media.Message
	if err := s.Conn.ReadJSON(&m); err != nil {
		s.T.Fatalf("read signaling: %v", err)
	}
	return m
}

// Send writes a message of the given type.
func (s *Socket) Send(typ string, data string) {
	s.T.Helper()
	msg := `{"type":"` + typ + `","v":1`
	if data != "" {
		msg += `,"data":` + data
	}
	if err := s.Conn.WriteMessage(websocket.TextMessage, []byte(msg+"}")); err != nil {
		s.T.Fatal(err)
	}
}

// Resolve resolves a number as the client.
func (c *Client) Resolve(number string) directory.Resolution {
	c.T.Helper()
	var r directory.Resolution
	c.Must(200, "GET", "/api/v1/numbers/"+number, nil).JSON(c.T, &r)
	return r
}

// Devices lists the labels of the devices a resolution rings, sorted.
func Devices(r directory.Resolution) string {
	var labels []string
	for _, t := range r.Ring {
		labels = append(labels, t.Label)
	}
	sort.Strings(labels)
	return strings.Join(labels, ",")
}

// Listing is the answer of GET /directory.
type Listing struct {
	Members []struct {
		AccountID, Name, Number, Display, State string
		Interests                               []string
	}
	NextCursor *string
}

// List reads the member directory with the query string query.
func (c *Client) List(query string) Listing {
	c.T.Helper()
	var l Listing
	c.Must(200, "GET", "/api/v1/directory?"+query, nil).JSON(c.T, &l)
	return l
}
