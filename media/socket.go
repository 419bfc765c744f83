package media

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/gofiber/fiber/v2"

	"github.com/livemall/livemall/backend/apperr"
)

// A signaling socket costs an idle device as little as it can: gobwas/ws
// reads frames from the connection through a 64-byte read-ahead (a frame
// header is read into a 12-byte array, a message's payload into a slice
// made for it), so a socket waiting for its next message holds no read
// buffer beyond those 64 bytes, and frames
// are written from a shared pool, so it holds no write buffer either. The
// handshake hands the raw connection to a goroutine of its own and lets
// fasthttp's handler return: fasthttp's request context, its 4 KiB read
// buffer and the request's headers go back to their pools at once instead
// of living as long as the socket (gorilla's fasthttp port keeps them all,
// plus a read buffer of its own).

// socket is one upgraded signaling WebSocket. Reads happen on one
// goroutine; writes (messages and control replies) take wmu.
type socket struct {
	conn net.Conn
	// in reads the connection ahead by readAhead bytes, so that a small
	// message (a heartbeat: its header, mask and payload) takes one read
	// instead of three; a bigger read goes straight to the connection.
	in  *bufio.Reader
	wmu sync.Mutex
}

// readAhead is how much a socket reads ahead: a heartbeat's frame whole.
const readAhead = 64

// newSocket wraps an upgraded connection.
func newSocket(conn net.Conn) *socket {
	return &socket{conn: conn, in: bufio.NewReaderSize(conn, readAhead)}
}

// errMessageTooBig says a message exceeded MaxMessageSize.
var errMessageTooBig = errors.New("signaling message larger than MaxMessageSize")

// frameBuffers holds the buffers frames are composed in, so that a frame
// leaves in one write and no socket keeps a buffer between messages.
var frameBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// websocketGUID is RFC 6455's constant for Sec-WebSocket-Accept.
const websocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// acceptKey checks the client's Sec-WebSocket-Key (base64 of 16 bytes,
// RFC 6455 §4.1) and returns the Sec-WebSocket-Accept that answers it.
// Errors carry apperr.Invalid.
func acceptKey(key string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(key)
	if err != nil || len(raw) != 16 {
		return "", apperr.New(apperr.Invalid, "Sec-WebSocket-Key must be 16 bytes in base64")
	}
	sum := sha1.Sum([]byte(key + websocketGUID))
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}

// upgradeSocket answers the WebSocket handshake of a request that gate
// let through and runs serve on the connection in a goroutine of its own.
// fasthttp's handler returns at once, so nothing of the HTTP request stays
// alive under the socket; this needs the server to keep hijacked
// connections open (web.NewApp sets fasthttp's KeepHijackedConns). On a
// server that does not, serve runs in fasthttp's hijack handler instead.
func upgradeSocket(c *fiber.Ctx, serve func(*socket)) error {
	if c.Method() != fiber.MethodGet {
		return apperr.New(apperr.Invalid, "a WebSocket upgrade is a GET")
	}
	if c.Get("Sec-WebSocket-Version") != "13" {
		c.Set("Sec-WebSocket-Version", "13")
		return fiber.NewError(fiber.StatusUpgradeRequired, "WebSocket version 13 only")
	}
	accept, err := acceptKey(c.Get("Sec-WebSocket-Key"))
	if err != nil {
		return err
	}
	fc := c.Context()
	fc.SetStatusCode(fiber.StatusSwitchingProtocols)
	fc.HijackSetNoResponse(true)
	keep := c.App().Server().KeepHijackedConns
	fc.Hijack(func(hc net.Conn) {
		if !keep {
			// fasthttp closes the connection when this returns: serve it
			// here, through fasthttp's wrapper (the request's memory stays
			// with the socket, as it did with the WebSocket middleware).
			if writeSwitchingProtocols(hc, accept) == nil {
				serve(newSocket(hc))
			}
			return
		}
		// fasthttp's wrapper reads through its pooled bufio.Reader, which
		// goes back to the pool when this returns: the socket must read
		// the connection itself. Nothing is buffered there: a client sends
		// nothing before it has our 101 (RFC 6455 §4.1), and the 101 is
		// written below.
		u, ok := hc.(interface{ UnsafeConn() net.Conn })
		if !ok {
			slog.Error("signaling: the hijacked connection does not expose its net.Conn")
			hc.Close()
			return
		}
		conn := u.UnsafeConn()
		go func() {
			if writeSwitchingProtocols(conn, accept) != nil {
				conn.Close()
				return
			}
			serve(newSocket(conn))
		}()
	})
	return nil
}

// writeSwitchingProtocols answers the handshake with 101 and accept.
func writeSwitchingProtocols(conn net.Conn, accept string) error {
	conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "+accept+"\r\n\r\n")
	conn.SetWriteDeadline(time.Time{})
	return err
}

// Write writes p to the connection as it is (control frames composed by
// wsutil), one writer at a time.
func (s *socket) Write(p []byte) (int, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.conn.Write(p)
}

// writeText sends p as one text frame, in one write, giving up at
// deadline.
func (s *socket) writeText(p []byte, deadline time.Time) error {
	buf := frameBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	ws.WriteHeader(buf, ws.Header{Fin: true, OpCode: ws.OpText, Length: int64(len(p))})
	buf.Write(p)
	s.wmu.Lock()
	s.conn.SetWriteDeadline(deadline)
	_, err := s.conn.Write(buf.Bytes())
	s.wmu.Unlock()
	if buf.Cap() <= MaxMessageSize {
		frameBuffers.Put(buf)
	}
	return err
}

// readMessage returns the next data message, waiting until deadline.
func (s *socket) readMessage(deadline time.Time) ([]byte, error) {
	s.conn.SetReadDeadline(deadline)
	return readFrames(s.in, s)
}

// fail tells the device why its socket is closed, when the reason is its
// own (a protocol error, a message too big), and closes it.
func (s *socket) fail(err error) {
	code := ws.StatusCode(0)
	var perr ws.ProtocolError
	switch {
	case errors.Is(err, errMessageTooBig), errors.Is(err, wsutil.ErrFrameTooLarge):
		code = ws.StatusMessageTooBig
	case errors.Is(err, wsutil.ErrInvalidUTF8):
		code = ws.StatusInvalidFramePayloadData
	case errors.As(err, &perr):
		code = ws.StatusProtocolError
	}
	if code != 0 {
		s.wmu.Lock()
		s.conn.SetWriteDeadline(time.Now().Add(time.Second))
		ws.WriteFrame(s.conn, ws.NewCloseFrame(ws.NewCloseFrameBody(code, "")))
		s.wmu.Unlock()
	}
	s.conn.Close()
}

// close closes the connection; a read or write waiting on it returns.
func (s *socket) close() { s.conn.Close() }

// readFrames reads client frames from r until a whole text or binary
// message has arrived and returns its payload. Pings are answered and a
// close is echoed on w; a close, a frame that breaks RFC 6455 (unmasked,
// bad op code, bad UTF-8 in text) or a message above MaxMessageSize ends
// with an error.
func readFrames(r io.Reader, w io.Writer) ([]byte, error) {
	control := wsutil.ControlFrameHandler(w, ws.StateServerSide)
	rd := wsutil.Reader{Source: r, State: ws.StateServerSide, CheckUTF8: true, MaxFrameSize: MaxMessageSize, OnIntermediate: control}
	for {
		h, err := rd.NextFrame()
		if err != nil {
			return nil, err
		}
		if h.OpCode.IsControl() {
			if err := control(h, &rd); err != nil {
				return nil, err
			}
			continue
		}
		p, err := io.ReadAll(io.LimitReader(&rd, MaxMessageSize+1))
		if err != nil {
			return nil, err
		}
		if len(p) > MaxMessageSize {
			return nil, errMessageTooBig
		}
		return p, nil
	}
}
