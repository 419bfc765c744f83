package media

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// liteTCPOnLoopback is an ICE-TCP port on loopback, with these bounds,
// feeding a mux with one registered transport.
func liteTCPOnLoopback(t *testing.T, maxConns int32, firstFrame time.Duration) (*liteTCP, *liteTransport) {
	t.Helper()
	m, tr := newTestLiteMux(t)
	tcp, err := listenLiteTCPBounded(0, m, maxConns, firstFrame)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tcp.Close() })
	return tcp, tr
}

// dialLiteTCP connects to the port on loopback.
func dialLiteTCP(t *testing.T, tcp *liteTCP) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(int(tcp.port()))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// frame is b with its RFC 4571 length.
func frame(b []byte) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(b))), b...)
}

// closedByNode waits for the node to close c and reports whether it did
// within 5 s.
func closedByNode(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := io.ReadAll(c)
	return err == nil || errors.Is(err, net.ErrClosed) || isReset(err)
}

// isReset is a connection the other side reset.
func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && !op.Timeout()
}

// TestALiteTCPConnectionMustOpenWithACheck: an ICE-TCP connection is
// closed when its first frame is not a signed ICE check for one of the
// node's transports, when a frame is longer than a datagram, or when it
// sends nothing in time; one that opens with a signed check stays open,
// answered over TCP, until its transport closes.
func TestALiteTCPConnectionMustOpenWithACheck(t *testing.T) {
	tcp, tr := liteTCPOnLoopback(t, maxLiteTCPConns, liteTCPFirstFrame)
	for _, c := range []struct {
		name  string
		bytes func() []byte
	}{
		{"RTP first", func() []byte { return frame(append([]byte{0x80, 96}, make([]byte, 30)...)) }},
		{"DTLS first", func() []byte { return frame(append([]byte{22, 254, 253}, make([]byte, 30)...)) }},
		{"a check for no transport", func() []byte { return frame(bindingRequest(t, "nobody:x", "password")) }},
		{"a check not signed", func() []byte { return frame(bindingRequest(t, tr.ufrag+":x", "")) }},
		{"a check signed with another password", func() []byte { return frame(bindingRequest(t, tr.ufrag+":x", "not-the-password")) }},
		{"a frame longer than a datagram", func() []byte { return append([]byte{0xff, 0xff}, make([]byte, 0xffff)...) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn := dialLiteTCP(t, tcp)
			if _, err := conn.Write(c.bytes()); err != nil {
				t.Fatal(err)
			}
			if !closedByNode(conn) {
				t.Fatal("the node kept the connection open")
			}
		})
	}

	t.Run("silent", func(t *testing.T) {
		quick, _ := liteTCPOnLoopback(t, maxLiteTCPConns, 200*time.Millisecond)
		conn := dialLiteTCP(t, quick)
		if !closedByNode(conn) {
			t.Fatal("the node kept a silent connection open")
		}
	})

	t.Run("signed check", func(t *testing.T) {
		conn := dialLiteTCP(t, tcp)
		if _, err := conn.Write(frame(bindingRequest(t, tr.ufrag+":x", tr.pwd))); err != nil {
			t.Fatal(err)
		}
		// The agent is not gathering (no Connect) and answers nothing;
		// the connection is the transport's route now.
		local := conn.LocalAddr().(*net.TCPAddr).AddrPort()
		deadline := time.Now().Add(5 * time.Second)
		for tcp.mux.socketFor(local) == nil {
			if time.Now().After(deadline) {
				t.Fatal("the signed check did not claim the connection's address")
			}
			time.Sleep(10 * time.Millisecond)
		}
		_ = conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if _, err := conn.Read(make([]byte, 1)); !isTimeout(err) {
			t.Fatalf("the claimed connection ended: %v", err)
		}
		tr.Close()
		if !closedByNode(conn) {
			t.Fatal("the transport closed and its ICE-TCP connection stayed open")
		}
		if tcp.mux.socketFor(local) != nil {
			t.Fatal("the closed transport's address still has a route")
		}
	})
}

// isTimeout is a read that timed out.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestLiteTCPConnectionsAreBounded: beyond maxLiteTCPConns, a new
// connection is closed at once; when one ends, there is room again.
func TestLiteTCPConnectionsAreBounded(t *testing.T) {
	tcp, _ := liteTCPOnLoopback(t, 2, liteTCPFirstFrame)
	a, _ := dialLiteTCP(t, tcp), dialLiteTCP(t, tcp)
	deadline := time.Now().Add(5 * time.Second)
	for tcp.n.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the node did not accept two connections")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !closedByNode(dialLiteTCP(t, tcp)) {
		t.Fatal("a third connection was kept beyond the bound of two")
	}
	a.Close()
	for tcp.n.Load() > 1 {
		if time.Now().After(deadline) {
			t.Fatal("a closed connection still counts")
		}
		time.Sleep(10 * time.Millisecond)
	}
	c := dialLiteTCP(t, tcp)
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := c.Read(make([]byte, 1)); !isTimeout(err) {
		t.Fatalf("a connection within the bound ended: %v", err)
	}
}

// FuzzLiteTCPFrames: reading ICE-TCP frames from any bytes never panics,
// never returns more than the buffer holds, and gives back exactly the
// frames that were whole, in order, up to the first one too long.
func FuzzLiteTCPFrames(f *testing.F) {
	f.Add(frame([]byte{1, 2, 3}))
	f.Add(append(frame([]byte{0, 1}), frame(nil)...))
	f.Add([]byte{0x05, 0xdd})
	f.Add([]byte{0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &tcpSocket{r: bufio.NewReader(bytes.NewReader(data))}
		buf := make([]byte, maxDatagram)
		rest := data
		for {
			n, _, err := s.ReadFromAddrPort(buf)
			if err != nil {
				if len(rest) >= 2 && int(binary.BigEndian.Uint16(rest)) <= maxDatagram && len(rest)-2 >= int(binary.BigEndian.Uint16(rest)) {
					t.Fatalf("a whole frame was refused: %v", err)
				}
				return
			}
			want := int(binary.BigEndian.Uint16(rest))
			if n != want || !bytes.Equal(buf[:n], rest[2:2+want]) {
				t.Fatalf("read %d bytes, the frame has %d", n, want)
			}
			rest = rest[2+want:]
		}
	})
}

// TestALiteOfferAnnouncesTheMediaPorts: with a UDP port, a TCP port and a
// public IP, every UDP candidate of a lite participant's offer is on the
// UDP port, the public IP is among them, and each address is offered as
// a passive ICE-TCP candidate on the TCP port, below every UDP candidate.
func TestALiteOfferAnnouncesTheMediaPorts(t *testing.T) {
	certs, err := newLiteCert(time.Now)
	if err != nil {
		t.Fatal(err)
	}
	udpPort, tcpPort := freeLitePort(t, "udp4"), freeLitePort(t, "tcp4")
	e, err := openLiteEngine(udpPort, tcpPort, true, []string{"203.0.113.7"}, certs)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	p, err := buildLiteParticipant(e, "a", func(string, any) {})
	if err != nil {
		t.Fatal(err)
	}
	defer p.lite.close()
	var udpPriorities, tcpPriorities []int
	udpIPs, tcpIPs := map[string]bool{}, map[string]bool{}
	for _, l := range strings.Split(p.lite.offer.SDP(), "\r\n") {
		c, ok := strings.CutPrefix(l, "a=candidate:")
		if !ok {
			continue
		}
		// <foundation> <component> <protocol> <priority> <ip> <port> typ host [tcptype passive]
		f := strings.Fields(c)
		priority, _ := strconv.Atoi(f[3])
		port, _ := strconv.Atoi(f[5])
		switch {
		case f[2] == "udp" && port == udpPort:
			udpPriorities, udpIPs[f[4]] = append(udpPriorities, priority), true
		case f[2] == "tcp" && port == tcpPort && strings.HasSuffix(c, "typ host tcptype passive"):
			tcpPriorities, tcpIPs[f[4]] = append(tcpPriorities, priority), true
		default:
			t.Fatalf("a candidate on neither media port: %q", l)
		}
	}
	if !udpIPs["203.0.113.7"] || !udpIPs["127.0.0.1"] {
		t.Fatalf("UDP candidates on %v, want the public IP and loopback among them", udpIPs)
	}
	if !maps.Equal(udpIPs, tcpIPs) {
		t.Fatalf("TCP candidates on %v, want the UDP ones' addresses %v", tcpIPs, udpIPs)
	}
	if slices.Max(tcpPriorities) >= slices.Min(udpPriorities) {
		t.Fatalf("TCP priorities %v are not all below UDP's %v", tcpPriorities, udpPriorities)
	}
}

// freeLitePort is a port free on network now.
func freeLitePort(t *testing.T, network string) int {
	t.Helper()
	if network == "tcp4" {
		l, err := net.Listen(network, "0.0.0.0:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	}
	c, err := net.ListenPacket(network, "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}
