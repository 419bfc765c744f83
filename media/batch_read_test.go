package media

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"golang.org/x/net/ipv4"
)

// sockaddr4 is a kernel sockaddr_in for addr.
func sockaddr4(family uint16, addr netip.AddrPort) []byte {
	b := make([]byte, sizeSockaddrIn4)
	binary.NativeEndian.PutUint16(b, family)
	binary.BigEndian.PutUint16(b[2:], addr.Port())
	a := addr.Addr().As4()
	copy(b[4:8], a[:])
	return b
}

// sockaddr6 is a kernel sockaddr_in6 for addr.
func sockaddr6(addr netip.AddrPort) []byte {
	b := make([]byte, sizeSockaddrIn6)
	binary.NativeEndian.PutUint16(b, familyInet6)
	binary.BigEndian.PutUint16(b[2:], addr.Port())
	a := addr.Addr().As16()
	copy(b[8:24], a[:])
	return b
}

func TestAddrPortOfSockaddrReadsTheSender(t *testing.T) {
	v4 := netip.MustParseAddrPort("192.0.2.7:50000")
	v6 := netip.MustParseAddrPort("[2001:db8::1]:443")
	for _, c := range []struct {
		name string
		raw  []byte
		want netip.AddrPort
	}{
		{"IPv4", sockaddr4(familyInet4, v4), v4},
		{"IPv6", sockaddr6(v6), v6},
		{"IPv4-mapped IPv6 comes back as IPv4", sockaddr6(netip.AddrPortFrom(netip.AddrFrom16(v4.Addr().As16()), v4.Port())), v4},
		{"IPv4 with room to spare", append(sockaddr4(familyInet4, v4), 0, 0, 0, 0), v4},
	} {
		got, ok := addrPortOfSockaddr(c.raw)
		if !ok || got != c.want {
			t.Errorf("%s: got %v %v, want %v", c.name, got, ok, c.want)
		}
	}
}

func TestAddrPortOfSockaddrRefusesBadAddresses(t *testing.T) {
	v4 := netip.MustParseAddrPort("192.0.2.7:50000")
	v6 := netip.MustParseAddrPort("[2001:db8::1]:443")
	for _, c := range []struct {
		name string
		raw  []byte
	}{
		{"nothing", nil},
		{"one byte", []byte{familyInet4}},
		{"family only", sockaddr4(familyInet4, v4)[:2]},
		{"IPv4 cut short", sockaddr4(familyInet4, v4)[:7]},
		{"IPv4 without its padding", sockaddr4(familyInet4, v4)[:8]},
		{"IPv6 cut short", sockaddr6(v6)[:24]},
		{"IPv6 family with an IPv4 length", sockaddr6(v6)[:sizeSockaddrIn4]},
		{"unix family", sockaddr4(1, v4)},
		{"unknown family", sockaddr4(0xffff, v4)},
		{"family 0", sockaddr4(0, v4)},
		{"port 0", sockaddr4(familyInet4, netip.AddrPortFrom(v4.Addr(), 0))},
		{"IPv6 port 0", sockaddr6(netip.AddrPortFrom(v6.Addr(), 0))},
	} {
		if got, ok := addrPortOfSockaddr(c.raw); ok {
			t.Errorf("%s: accepted as %v", c.name, got)
		}
	}
}

func FuzzAddrPortOfSockaddr(f *testing.F) {
	f.Add(sockaddr4(familyInet4, netip.MustParseAddrPort("127.0.0.1:9")))
	f.Add(sockaddr6(netip.MustParseAddrPort("[::1]:9")))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		ap, ok := addrPortOfSockaddr(raw)
		if !ok {
			return
		}
		if !ap.IsValid() || ap.Port() == 0 || ap.Addr().Is4In6() {
			t.Fatalf("accepted %v from %x", ap, raw)
		}
		if binary.BigEndian.Uint16(raw[2:4]) != ap.Port() {
			t.Fatalf("port %d from %x", ap.Port(), raw)
		}
	})
}

// TestBatchSocketReadsBatchesWithoutAllocating: packets from two senders
// wait in the socket and are read back with one recvmmsg, each with its
// bytes and its sender's address; a packet larger than the reader's
// buffer is dropped rather than handed out cut short, and reading a
// batch allocates nothing.
func TestBatchSocketReadsBatchesWithoutAllocating(t *testing.T) {
	s, err := listenBatchSocket(&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var senders [2]*net.UDPConn
	for i := range senders {
		c, err := net.DialUDP("udp4", nil, s.LocalAddr().(*net.UDPAddr))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		senders[i] = c
	}
	const rounds = 20
	var packets [rounds][]byte
	for i := range packets {
		packets[i] = bytes.Repeat([]byte{byte(i)}, 100+i)
	}
	packet := func(i int) []byte { return packets[i] }
	large := make([]byte, 400)
	var from [2]netip.AddrPort
	for i, c := range senders {
		from[i] = c.LocalAddr().(*net.UDPAddr).AddrPort()
	}
	send := func() {
		for i := range rounds {
			if _, err := senders[i%2].Write(packet(i)); err != nil {
				t.Fatal(err)
			}
			if i == 3 {
				// too large for the reader's buffer below
				if _, err := senders[0].Write(large); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	buf := make([]byte, 300)
	check := func() {
		for i := range rounds {
			n, got, err := s.ReadFromAddrPort(buf)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf[:n], packet(i)) {
				t.Fatalf("packet %d: got %d bytes %x…", i, n, buf[:min(n, 4)])
			}
			if got != from[i%2] {
				t.Fatalf("packet %d from %v, want %v", i, got, from[i%2])
			}
		}
	}
	send()
	check()
	allocs := testing.AllocsPerRun(5, func() {
		send()
		check()
	})
	// The senders' writes allocate nothing either on Linux; the reads must not.
	if allocs != 0 {
		t.Fatalf("%v allocations per batch of %d packets sent and read", allocs, rounds)
	}
}

// BenchmarkBatchSocketRead reads bursts of 8 packets from 4 senders: one
// op is one packet read with its sender's address, by this socket's
// recvmmsg and by x/net's ReadBatch (what the socket used before).
func BenchmarkBatchSocketRead(b *testing.B) {
	const burst = 8
	run := func(b *testing.B, read func(conn *net.UDPConn) func([]byte) (int, netip.AddrPort, error)) {
		conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		conn.SetReadBuffer(1 << 22)
		var senders [4]*net.UDPConn
		for i := range senders {
			if senders[i], err = net.DialUDP("udp4", nil, conn.LocalAddr().(*net.UDPAddr)); err != nil {
				b.Fatal(err)
			}
			defer senders[i].Close()
		}
		next := read(conn)
		pkt, buf := make([]byte, 1200), make([]byte, 8192)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i += burst {
			b.StopTimer()
			for j := range burst {
				senders[j%len(senders)].Write(pkt)
			}
			b.StartTimer()
			for range burst {
				if n, _, err := next(buf); err != nil || n != len(pkt) {
					b.Fatal(n, err)
				}
			}
		}
	}
	b.Run("recvmmsg", func(b *testing.B) {
		run(b, func(conn *net.UDPConn) func([]byte) (int, netip.AddrPort, error) {
			in, err := newInBatch(conn)
			if err != nil {
				b.Fatal(err)
			}
			return in.read
		})
	})
	b.Run("x-net-ReadBatch", func(b *testing.B) {
		run(b, func(conn *net.UDPConn) func([]byte) (int, netip.AddrPort, error) {
			pc := ipv4.NewPacketConn(conn)
			msgs := make([]ipv4.Message, batchSize)
			for i := range msgs {
				msgs[i].Buffers = [][]byte{make([]byte, maxDatagram)}
			}
			var n, at int
			return func(buf []byte) (int, netip.AddrPort, error) {
				for at >= n {
					var err error
					if n, err = pc.ReadBatch(msgs, 0); err != nil {
						return 0, netip.AddrPort{}, err
					}
					at = 0
				}
				m := &msgs[at]
				at++
				ap := m.Addr.(*net.UDPAddr).AddrPort()
				return copy(buf, m.Buffers[0][:m.N]), netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
			}
		})
	})
}
