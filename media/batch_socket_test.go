package media

import (
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestBatchSocketDeliversEveryPacketInOrder: eight writers send to eight
// receivers through one batched socket, in bursts smaller than a batch
// (so the late flush, which sends every shard's batch in one sendmmsg,
// carries them) and in bursts larger than one; every receiver gets every
// packet of its writer, in order, and packets read through the socket
// keep their sender's address.
func TestBatchSocketDeliversEveryPacketInOrder(t *testing.T) {
	s, err := listenBatchSocket(&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const receivers, perReceiver = 8, 400
	conns := make([]*net.UDPConn, receivers)
	for i := range conns {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		c.SetReadBuffer(1 << 20)
		defer c.Close()
		conns[i] = c
	}
	got := make([][]uint32, receivers)
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 1500)
			for len(got[i]) < perReceiver {
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				if n != 1000 {
					t.Errorf("receiver %d: a packet of %d bytes, want 1000", i, n)
					return
				}
				got[i] = append(got[i], binary.BigEndian.Uint32(buf))
			}
		}()
	}
	var writers sync.WaitGroup
	for _, c := range conns {
		writers.Add(1)
		go func() {
			defer writers.Done()
			to := c.LocalAddr().(*net.UDPAddr).AddrPort()
			pkt := make([]byte, 1000)
			for seq := range perReceiver {
				binary.BigEndian.PutUint32(pkt, uint32(seq))
				if _, err := s.WriteToAddrPort(pkt, to); err != nil {
					t.Errorf("write to %v: %v", to, err)
					return
				}
				// Bursts of 3, then of 50: late flushes and full batches.
				if (seq < perReceiver/2 && seq%3 == 2) || seq%50 == 49 {
					time.Sleep(3 * time.Millisecond)
				}
			}
		}()
	}
	writers.Wait()
	wg.Wait()
	for i := range got {
		if len(got[i]) != perReceiver {
			t.Fatalf("receiver %d got %d of %d packets", i, len(got[i]), perReceiver)
		}
		for j, seq := range got[i] {
			if seq != uint32(j) {
				t.Fatalf("receiver %d: packet %d is number %d: out of order", i, j, seq)
			}
		}
	}

	// Reading: a packet sent to the socket comes back with its sender.
	from := conns[0]
	if _, err := from.WriteToUDP([]byte("hello"), s.LocalAddr().(*net.UDPAddr)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	n, addr, err := s.ReadFromAddrPort(buf)
	want := from.LocalAddr().(*net.UDPAddr).AddrPort()
	if err != nil || string(buf[:n]) != "hello" || addr != netip.AddrPortFrom(want.Addr().Unmap(), want.Port()) {
		t.Fatalf("read %q from %v (%v), want hello from %v", buf[:n], addr, err, want)
	}
}

// TestBatchSocketAsksForLargeKernelBuffers: the media socket's receive and
// send buffers are what socketBufferBytes asks for, as far as the
// machine's limits (net.core.rmem_max, wmem_max) allow, not the default
// of about 200 KiB that a node short of CPU for a moment overflows.
func TestBatchSocketAsksForLargeKernelBuffers(t *testing.T) {
	s, err := listenBatchSocket(&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	raw, err := s.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		opt   int
		limit string
	}{{unix.SO_RCVBUF, "rmem_max"}, {unix.SO_SNDBUF, "wmem_max"}} {
		b, err := os.ReadFile("/proc/sys/net/core/" + c.limit)
		if err != nil {
			t.Fatal(err)
		}
		max, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		var got int
		var gerr error
		raw.Control(func(fd uintptr) { got, gerr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, c.opt) })
		if gerr != nil {
			t.Fatal(gerr)
		}
		// The kernel doubles what it grants, for its own bookkeeping.
		if want := 2 * min(socketBufferBytes, max); got < want {
			t.Errorf("%s: %d bytes, want %d (%s %d)", c.limit, got, want, c.limit, max)
		}
	}
}
