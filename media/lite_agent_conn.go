package media

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"
)

// agentConn is a net.PacketConn a lite transport's ICE agent reads, one
// for each of the node's UDP sockets (the agent's host candidate on it):
// the STUN and DTLS datagrams that came in on that socket, copied, and
// those of the transport's ICE-TCP connections on the first. Its writes
// go out of that socket, or of the ICE-TCP connection the address
// reached the node on, so that a device hears each answer from the
// address it sent its check to.
type agentConn struct {
	mux  *liteMux
	sock liteSocket
	// sent, when set, is told of each datagram written, after it went.
	sent func(b []byte, to netip.AddrPort, sock liteSocket)
	in   chan agentDatagram
	done chan struct{}
	once sync.Once
}

// agentDatagram is one datagram waiting for the agent, with its sender.
type agentDatagram struct {
	b    []byte
	from net.Addr
}

// agentQueue bounds the datagrams waiting for the agent; beyond it they
// are dropped, as a full socket would.
const agentQueue = 64

func newAgentConn(m *liteMux, sock liteSocket) *agentConn {
	return &agentConn{mux: m, sock: sock, in: make(chan agentDatagram, agentQueue), done: make(chan struct{})}
}

// deliver queues a copy of b for the agent, or drops it when the queue is
// full or the conn closed.
func (c *agentConn) deliver(b []byte, from netip.AddrPort) {
	select {
	case <-c.done:
		return
	default:
	}
	select {
	case c.in <- agentDatagram{b: append([]byte(nil), b...), from: net.UDPAddrFromAddrPort(from)}:
	default:
	}
}

// ReadFrom returns the next datagram routed to the agent.
func (c *agentConn) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case d := <-c.in:
		return copy(b, d.b), d.from, nil
	case <-c.done:
		return 0, nil, net.ErrClosed
	}
}

// WriteTo sends through the conn's socket, or the ICE-TCP connection addr
// reached the node on; to an address that never reached the node,
// nothing goes (a lite agent only answers).
func (c *agentConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	u, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, errors.New("not a UDP address")
	}
	ap := u.AddrPort()
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	sock := c.mux.socketFor(ap)
	if sock == nil {
		return len(b), nil
	}
	if _, tcp := sock.(*tcpSocket); !tcp {
		sock = c.sock
	}
	n, err := sock.WriteToAddrPort(b, ap)
	if err == nil && c.sent != nil {
		c.sent(b, ap, sock)
	}
	return n, err
}

// Close ends reads; the socket stays open for the others.
func (c *agentConn) Close() error {
	c.once.Do(func() { close(c.done) })
	return nil
}

// LocalAddr is the address of the conn's socket.
func (c *agentConn) LocalAddr() net.Addr { return c.sock.LocalAddr() }

// SetDeadline and the two below are accepted and not kept: the agent
// closes the conn to stop reading.
func (c *agentConn) SetDeadline(time.Time) error      { return nil }
func (c *agentConn) SetReadDeadline(time.Time) error  { return nil }
func (c *agentConn) SetWriteDeadline(time.Time) error { return nil }
