package media

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/pion/stun/v4"
)

// The node's own media transport, first part (issue #14): the socket's
// reader hands each datagram to the participant it belongs to, by the
// address it came from. STUN and DTLS go to that participant's ICE agent
// (liteMux is the agents' ice.UDPMux), and SRTP is handled on the reader
// itself, with no goroutine between the socket and the forwarding. Calls
// do not use it yet: pion's PeerConnection still carries them.

// Datagram kinds by their first byte (RFC 7983).
const (
	firstSTUNMax = 3
	firstDTLSMin = 20
	firstDTLSMax = 63
	firstRTPMin  = 128
	firstRTPMax  = 191
)

// liteMux routes the node's media datagrams to lite transports. It reads
// one socket per local address (the media port on each); an address
// that reaches the node is answered from the socket it came in on.
type liteMux struct {
	socks []liteSocket

	mu      sync.RWMutex
	byUfrag map[string]*liteTransport
	byAddr  map[netip.AddrPort]liteRoute
	closed  bool
}

// liteSocket is one of the node's media sockets: a plain UDP socket
// (udpSocket), the batch socket, or one ICE-TCP connection (tcpSocket).
type liteSocket interface {
	ReadFromAddrPort(b []byte) (int, netip.AddrPort, error)
	WriteToAddrPort(b []byte, to netip.AddrPort) (int, error)
	LocalAddr() net.Addr
}

// liteRoute is where datagrams from one remote address go, and the socket
// they came in on (and answers go out of).
type liteRoute struct {
	t    *liteTransport
	sock liteSocket
}

// newLiteMux returns a mux for the sockets; serve reads each.
func newLiteMux(socks ...liteSocket) *liteMux {
	return &liteMux{socks: socks, byUfrag: map[string]*liteTransport{}, byAddr: map[netip.AddrPort]liteRoute{}}
}

// udpSocket is a plain UDP socket as a liteSocket.
type udpSocket struct{ *net.UDPConn }

// ReadFromAddrPort reads a datagram and its sender, as IPv4.
func (s udpSocket) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	n, from, err := s.ReadFromUDPAddrPort(b)
	return n, netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), err
}

// WriteToAddrPort sends a datagram.
func (s udpSocket) WriteToAddrPort(b []byte, to netip.AddrPort) (int, error) {
	return s.WriteToUDPAddrPort(b, to)
}

// socketFor is the socket an address reached the node on, or nil.
func (m *liteMux) socketFor(addr netip.AddrPort) liteSocket {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.byAddr[addr].sock
}

// errLiteMuxClosed is what a transport opened on a closed mux gets.
var errLiteMuxClosed = errors.New("the media port is closed")

// add registers a transport under its local ICE user fragment.
func (m *liteMux) add(t *liteTransport) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errLiteMuxClosed
	}
	if _, taken := m.byUfrag[t.ufrag]; taken {
		return errors.New("that ICE user fragment is taken")
	}
	m.byUfrag[t.ufrag] = t
	return nil
}

// remove forgets a transport and every address it was reached from, and
// closes the ICE-TCP connections it was reached on.
func (m *liteMux) remove(t *liteTransport) {
	var conns []*tcpSocket
	m.mu.Lock()
	if m.byUfrag[t.ufrag] == t {
		delete(m.byUfrag, t.ufrag)
	}
	for a, r := range m.byAddr {
		if r.t == t {
			delete(m.byAddr, a)
			if c, ok := r.sock.(*tcpSocket); ok {
				conns = append(conns, c)
			}
		}
	}
	m.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// forget drops the route of an ICE-TCP connection that ended, so that
// its address no longer reaches a transport through it.
func (m *liteMux) forget(s *tcpSocket) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.byAddr[s.remote]; ok && r.sock == liteSocket(s) {
		delete(m.byAddr, s.remote)
	}
}

// route hands one datagram from an address to its transport and reports
// whether one took it. A STUN request from an address not seen yet names
// its transport in its USERNAME ("ours:theirs"); the address then belongs
// to that transport. Anything else from an unknown address is dropped.
// route runs on the reader of sock, which b came in on; b is only
// borrowed.
func (m *liteMux) route(b []byte, from netip.AddrPort, sock liteSocket) bool {
	if len(b) == 0 {
		return false
	}
	m.mu.RLock()
	t := m.byAddr[from].t
	m.mu.RUnlock()
	switch first := b[0]; {
	case first <= firstSTUNMax:
		if t == nil {
			if t = m.claim(b, from, sock); t == nil {
				return false
			}
		}
		return t.toAgent(b, from, sock)
	case first >= firstDTLSMin && first <= firstDTLSMax:
		return t != nil && t.toAgent(b, from, sock)
	case first >= firstRTPMin && first <= firstRTPMax:
		return t != nil && t.onSRTP(b)
	}
	return false
}

// claim finds the transport a STUN message from a new address is for,
// and gives it the address. The message must carry the transport's
// MESSAGE-INTEGRITY (its ICE password): a user fragment alone is no proof,
// and every address claimed is kept until the transport closes.
func (m *liteMux) claim(b []byte, from netip.AddrPort, sock liteSocket) *liteTransport {
	if !stun.IsMessage(b) {
		return nil
	}
	msg := &stun.Message{Raw: append([]byte(nil), b...)}
	if err := msg.Decode(); err != nil {
		return nil
	}
	var user stun.Username
	if err := user.GetFrom(msg); err != nil {
		return nil
	}
	ours, _, ok := strings.Cut(string(user), ":")
	if !ok {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.byUfrag[ours]
	if t == nil || stun.NewShortTermIntegrity(t.pwd).Check(msg) != nil {
		return nil
	}
	m.byAddr[from] = liteRoute{t: t, sock: sock}
	return t
}

// GetConn is ice.UDPMux's: the agent of the transport with this user
// fragment reads the STUN and DTLS that come in on the socket at addr
// from the returned conn.
func (m *liteMux) GetConn(ufrag string, addr net.Addr) (net.PacketConn, error) {
	m.mu.RLock()
	t := m.byUfrag[ufrag]
	m.mu.RUnlock()
	if t == nil {
		return nil, errors.New("no transport has that ICE user fragment")
	}
	for _, c := range t.agentConns {
		if c.sock.LocalAddr().String() == addr.String() {
			return c, nil
		}
	}
	return nil, fmt.Errorf("the node has no media socket at %s", addr)
}

// RemoveConnByUfrag is ice.UDPMux's; a transport removes itself on Close.
func (m *liteMux) RemoveConnByUfrag(string) {}

// GetListenAddresses is ice.UDPMux's: the media port on each address.
func (m *liteMux) GetListenAddresses() []net.Addr {
	addrs := make([]net.Addr, len(m.socks))
	for i, s := range m.socks {
		addrs[i] = s.LocalAddr()
	}
	return addrs
}

// Close refuses new transports; the socket is its owner's to close.
func (m *liteMux) Close() error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	return nil
}

// serve reads sock until it closes and routes every datagram.
func (m *liteMux) serve(sock liteSocket) {
	buf := make([]byte, maxDatagram)
	for {
		n, from, err := sock.ReadFromAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(time.Millisecond) // a transient error (ICMP): read on
			continue
		}
		m.route(buf[:n], from, sock)
	}
}
