package media

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
)

// liteEngine is the node's own media transport (issue #14) as the SFU
// uses it: the media port on each local address, read by one lite mux,
// and the addresses the node announces as its ICE candidates. Its
// sockets are plain: each packet is read and written with one system
// call on the reader. At a call's packet rates the batch socket's
// recvmmsg mostly returns one packet, and its late flush costs a wake-up
// a millisecond: `bench sfu` at 20 calls measured 23 µs a packet on
// plain sockets, 26 with batched reads and 27 with both batched.
type liteEngine struct {
	mux   *liteMux
	socks []udpSocket
	certs *liteCert
	// candidates are the UDP host candidates of every offer: each
	// socket's address, and the public IPs on the port of the first.
	candidates []netip.AddrPort
	// tcp is the ICE-TCP port, nil when none is offered; tcpCandidates
	// are the passive TCP candidates of every offer, on the addresses of
	// candidates.
	tcp           *liteTCP
	tcpCandidates []netip.AddrPort
	// stats are the SFU's media counters, which every link adds to.
	stats *sfuStats
}

// openLiteEngine opens the media port (0: one the system picks) on each
// local IPv4 address, and on loopback when asked, and reads them all; and
// the ICE-TCP port when tcpPort is not 0. Its transports' DTLS
// certificates come from certs.
func openLiteEngine(port, tcpPort int, loopback bool, publicIPs []string, certs *liteCert) (*liteEngine, error) {
	addrs := localIPv4s()
	if loopback {
		addrs = append(addrs, "127.0.0.1")
	}
	e := &liteEngine{certs: certs}
	var socks []liteSocket
	for _, a := range addrs {
		conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(a), Port: port})
		if err != nil {
			e.Close()
			return nil, fmt.Errorf("media UDP port %d on %s: %w", port, a, err)
		}
		// Best effort: a smaller buffer than asked for still works.
		_ = conn.SetReadBuffer(socketBufferBytes)
		_ = conn.SetWriteBuffer(socketBufferBytes)
		sock := udpSocket{conn}
		e.socks = append(e.socks, sock)
		socks = append(socks, sock)
		e.candidates = append(e.candidates, sock.LocalAddr().(*net.UDPAddr).AddrPort())
	}
	if len(e.socks) == 0 {
		return nil, errors.New("media UDP: the node has no IPv4 address to listen on")
	}
	first := e.candidates[0].Port()
	for _, ip := range publicIPs {
		a, err := netip.ParseAddr(ip)
		if err != nil || !a.Is4() {
			e.Close()
			return nil, fmt.Errorf("public IPs: %q is not an IPv4 address", ip)
		}
		if ap := netip.AddrPortFrom(a, first); !slices.Contains(e.candidates, ap) {
			e.candidates = append(e.candidates, ap)
		}
	}
	e.mux = newLiteMux(socks...)
	if tcpPort != 0 {
		tcp, err := listenLiteTCP(tcpPort, e.mux)
		if err != nil {
			e.Close()
			return nil, err
		}
		e.tcp = tcp
		for _, c := range e.candidates {
			e.tcpCandidates = append(e.tcpCandidates, netip.AddrPortFrom(c.Addr(), tcp.port()))
		}
	}
	for _, s := range socks {
		go e.mux.serve(s)
	}
	return e, nil
}

// newTransport opens a transport for one participant.
func (e *liteEngine) newTransport() (*liteTransport, error) {
	return newLiteTransport(e.mux, e.certs.current())
}

// Close closes the mux, the sockets and the ICE-TCP port.
func (e *liteEngine) Close() error {
	if e.mux != nil {
		e.mux.Close()
	}
	if e.tcp != nil {
		e.tcp.Close()
	}
	for _, s := range e.socks {
		s.Close()
	}
	return nil
}
