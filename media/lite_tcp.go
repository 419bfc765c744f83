package media

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// ICE-TCP on the lite engine (RFC 6544, passive; frames of RFC 4571): a
// device whose UDP is blocked connects to the node's media TCP port and
// sends its ICE checks, DTLS and SRTP as frames, each a 16-bit length and
// a datagram. Each connection is one more liteSocket of the lite mux, so
// it is claimed by the STUN check it opens with, exactly as a new UDP
// address is (liteMux.claim), and the ICE agent and the forwarding see it
// as the address it comes from. A connection that does not open with a
// check for a transport of this node is closed.

// Bounds of ICE-TCP connections.
const (
	// maxLiteTCPConns bounds the node's ICE-TCP connections at once;
	// beyond it new ones are closed as they come.
	maxLiteTCPConns = 2048
	// liteTCPFirstFrame is how long a new connection has to send its
	// first frame.
	liteTCPFirstFrame = 10 * time.Second
	// liteTCPIdle ends a connection silent for longer than this: a device
	// sends consent checks every few seconds, and the transport fails at
	// 15 s of silence anyway.
	liteTCPIdle = 30 * time.Second
	// liteTCPQueue bounds the frames waiting to be written to one
	// connection; beyond it frames are dropped, as a full UDP socket
	// would, so that a device that reads slowly never holds up the
	// forwarding to the others.
	liteTCPQueue = 512
	// liteTCPWriteTimeout ends a connection whose device stops reading.
	liteTCPWriteTimeout = 5 * time.Second
)

// tcpSocket is one ICE-TCP connection as a liteSocket. Its reader is
// serveTCP's; frames written go through a queue to a writer of its own.
type tcpSocket struct {
	conn   *net.TCPConn
	r      *bufio.Reader
	remote netip.AddrPort
	out    chan []byte
	done   chan struct{}
	once   sync.Once
}

// newTCPSocket wraps an accepted connection and starts its writer.
func newTCPSocket(conn *net.TCPConn) *tcpSocket {
	remote := conn.RemoteAddr().(*net.TCPAddr).AddrPort()
	s := &tcpSocket{conn: conn, r: bufio.NewReaderSize(conn, 8<<10),
		remote: netip.AddrPortFrom(remote.Addr().Unmap(), remote.Port()),
		out:    make(chan []byte, liteTCPQueue), done: make(chan struct{})}
	go s.write()
	return s
}

// errLiteTCPFrame is a frame larger than a datagram the node reads.
var errLiteTCPFrame = errors.New("ICE-TCP frame longer than a datagram")

// ReadFromAddrPort reads the next frame into b; the sender is always the
// connection's remote address.
func (s *tcpSocket) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	var size [2]byte
	if _, err := io.ReadFull(s.r, size[:]); err != nil {
		return 0, s.remote, err
	}
	n := int(binary.BigEndian.Uint16(size[:]))
	if n > len(b) {
		return 0, s.remote, errLiteTCPFrame
	}
	_, err := io.ReadFull(s.r, b[:n])
	return n, s.remote, err
}

// WriteToAddrPort queues b as a frame; it never blocks. A frame for
// another address than the connection's is refused.
func (s *tcpSocket) WriteToAddrPort(b []byte, to netip.AddrPort) (int, error) {
	if to != s.remote {
		return 0, fmt.Errorf("ICE-TCP connection from %s cannot write to %s", s.remote, to)
	}
	if len(b) > 0xffff {
		return 0, errLiteTCPFrame
	}
	frame := make([]byte, 2+len(b))
	binary.BigEndian.PutUint16(frame, uint16(len(b)))
	copy(frame[2:], b)
	select {
	case <-s.done:
		return 0, net.ErrClosed
	case s.out <- frame:
	default: // dropped, as a full socket drops
	}
	return len(b), nil
}

// write writes queued frames, as many as are waiting in one call, until
// the socket closes or a write fails.
func (s *tcpSocket) write() {
	defer s.Close()
	var batch net.Buffers
	for {
		select {
		case <-s.done:
			return
		case f := <-s.out:
			batch = append(batch[:0], f)
		}
		for more := true; more && len(batch) < 64; {
			select {
			case f := <-s.out:
				batch = append(batch, f)
			default:
				more = false
			}
		}
		_ = s.conn.SetWriteDeadline(time.Now().Add(liteTCPWriteTimeout))
		if _, err := batch.WriteTo(s.conn); err != nil {
			return
		}
	}
}

// LocalAddr is the node's end of the connection.
func (s *tcpSocket) LocalAddr() net.Addr { return s.conn.LocalAddr() }

// Close closes the connection; its reader and writer end.
func (s *tcpSocket) Close() error {
	s.once.Do(func() {
		close(s.done)
		s.conn.Close()
	})
	return nil
}

// liteTCP is the lite engine's ICE-TCP port: its listener and the
// connections it accepted.
type liteTCP struct {
	mux *liteMux
	l   *net.TCPListener
	n   atomic.Int32
	// maxConns and firstFrame are maxLiteTCPConns and liteTCPFirstFrame,
	// or a test's.
	maxConns   int32
	firstFrame time.Duration

	mu     sync.Mutex
	conns  map[*tcpSocket]struct{}
	closed bool
}

// listenLiteTCP opens the ICE-TCP port on every IPv4 address and accepts
// connections into the mux.
func listenLiteTCP(port int, mux *liteMux) (*liteTCP, error) {
	return listenLiteTCPBounded(port, mux, maxLiteTCPConns, liteTCPFirstFrame)
}

// listenLiteTCPBounded is listenLiteTCP with bounds of its own.
func listenLiteTCPBounded(port int, mux *liteMux, maxConns int32, firstFrame time.Duration) (*liteTCP, error) {
	l, err := net.ListenTCP("tcp4", &net.TCPAddr{Port: port})
	if err != nil {
		return nil, fmt.Errorf("media TCP port %d: %w", port, err)
	}
	t := &liteTCP{mux: mux, l: l, maxConns: maxConns, firstFrame: firstFrame, conns: map[*tcpSocket]struct{}{}}
	go t.accept()
	return t, nil
}

// port is the port the listener has.
func (t *liteTCP) port() uint16 { return t.l.Addr().(*net.TCPAddr).AddrPort().Port() }

// accept accepts connections until the listener closes.
func (t *liteTCP) accept() {
	for {
		conn, err := t.l.AcceptTCP()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // out of descriptors: a moment
			continue
		}
		if t.n.Add(1) > t.maxConns {
			t.n.Add(-1)
			conn.Close()
			continue
		}
		s := newTCPSocket(conn)
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			s.Close()
			t.n.Add(-1)
			continue
		}
		t.conns[s] = struct{}{}
		t.mu.Unlock()
		go t.serve(s)
	}
}

// serve reads a connection's frames into the mux until it ends. The
// first must be an ICE check that claims the connection for a transport
// (route takes it); otherwise the connection is closed.
func (t *liteTCP) serve(s *tcpSocket) {
	defer func() {
		s.Close()
		t.mux.forget(s)
		t.mu.Lock()
		delete(t.conns, s)
		t.mu.Unlock()
		t.n.Add(-1)
	}()
	buf := make([]byte, maxDatagram)
	deadline := t.firstFrame
	for claimed := false; ; claimed = true {
		_ = s.conn.SetReadDeadline(time.Now().Add(deadline))
		n, from, err := s.ReadFromAddrPort(buf)
		if err != nil {
			return
		}
		if !t.mux.route(buf[:n], from, s) && !claimed {
			return
		}
		deadline = liteTCPIdle
	}
}

// Close closes the listener and every connection.
func (t *liteTCP) Close() error {
	err := t.l.Close()
	t.mu.Lock()
	t.closed = true
	conns := make([]*tcpSocket, 0, len(t.conns))
	for s := range t.conns {
		conns = append(conns, s)
	}
	t.mu.Unlock()
	for _, s := range conns {
		s.Close()
	}
	return err
}
