package media

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/net/ipv4"
)

// The node's media port: one UDP socket per local address, shared by every
// connection through pion's ICE UDP mux. Sending a packet is one system
// call per packet with a plain socket; here writes wait in a batch that
// goes out with one sendmmsg when it is full or at most batchFlushDelay
// after its first packet, and reads take up to batchSize packets with one
// recvmmsg. This is how LiveKit's batch IO saves most of its syscalls.

const (
	// batchSize is how many packets one sendmmsg or recvmmsg carries at most.
	batchSize = 64
	// batchFlushDelay is the longest a packet waits for its batch to fill.
	batchFlushDelay = time.Millisecond
	// maxDatagram is the largest packet the socket reads or batches.
	maxDatagram = 1500
	// maxCachedAddrs bounds the destination addresses kept converted.
	maxCachedAddrs = 4096
)

// batchSocket wraps one UDP socket with batched reads and writes. It is a
// net.PacketConn and pion's ice.AddrPortReaderWriter, so the ICE UDP mux
// uses it without allocating addresses. One goroutine reads (the mux's).
type batchSocket struct {
	*net.UDPConn
	pc *ipv4.PacketConn

	// read side: the last recvmmsg's packets, handed out one at a time.
	in        []ipv4.Message
	inN, inAt int

	// write side: cur fills; full batches go out and come back to free,
	// which has room for every batch so that returning one never blocks.
	mu    sync.Mutex
	cur   *outBatch
	free  chan *outBatch
	kick  chan struct{}
	addrs map[netip.AddrPort]*net.UDPAddr
	done  chan struct{}
	once  sync.Once
}

// outBatch is packets waiting to go out in one sendmmsg.
type outBatch struct {
	msgs []ipv4.Message
	n    int
}

func newOutBatch() *outBatch {
	b := &outBatch{msgs: make([]ipv4.Message, batchSize)}
	for i := range b.msgs {
		b.msgs[i].Buffers = [][]byte{make([]byte, maxDatagram)}
	}
	return b
}

// listenBatchSocket opens a batched UDP socket on addr.
func listenBatchSocket(addr *net.UDPAddr) (*batchSocket, error) {
	conn, err := net.ListenUDP("udp4", addr)
	if err != nil {
		return nil, err
	}
	s := &batchSocket{UDPConn: conn, pc: ipv4.NewPacketConn(conn), free: make(chan *outBatch, 3),
		kick: make(chan struct{}, 1), addrs: map[netip.AddrPort]*net.UDPAddr{}, done: make(chan struct{})}
	s.in = make([]ipv4.Message, batchSize)
	for i := range s.in {
		s.in[i].Buffers = [][]byte{make([]byte, maxDatagram)}
	}
	s.cur = newOutBatch()
	s.free <- newOutBatch()
	s.free <- newOutBatch()
	go s.flushLate()
	return s, nil
}

// ReadFromAddrPort returns the next packet, reading a batch when the last
// one is used up.
func (s *batchSocket) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	for s.inAt >= s.inN {
		n, err := s.pc.ReadBatch(s.in, 0)
		if err != nil {
			return 0, netip.AddrPort{}, err
		}
		s.inN, s.inAt = n, 0
	}
	m := &s.in[s.inAt]
	s.inAt++
	ua, ok := m.Addr.(*net.UDPAddr)
	if !ok {
		return 0, netip.AddrPort{}, errors.New("batch socket: a packet without a UDP address")
	}
	ap := ua.AddrPort()
	return copy(b, m.Buffers[0][:m.N]), netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}

// ReadFrom is ReadFromAddrPort with a net.Addr.
func (s *batchSocket) ReadFrom(b []byte) (int, net.Addr, error) {
	n, ap, err := s.ReadFromAddrPort(b)
	if err != nil {
		return 0, nil, err
	}
	return n, net.UDPAddrFromAddrPort(ap), nil
}

// WriteToAddrPort queues the packet for the next batch; it never blocks on
// the network. A packet larger than maxDatagram goes out at once.
func (s *batchSocket) WriteToAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	if len(b) > maxDatagram {
		return s.UDPConn.WriteToUDPAddrPort(b, addr)
	}
	s.mu.Lock()
	if s.cur == nil {
		s.mu.Unlock()
		return 0, net.ErrClosed
	}
	ua := s.addrs[addr]
	if ua == nil {
		if len(s.addrs) >= maxCachedAddrs {
			clear(s.addrs)
		}
		ua = net.UDPAddrFromAddrPort(addr)
		s.addrs[addr] = ua
	}
	bt := s.cur
	m := &bt.msgs[bt.n]
	m.Buffers[0] = m.Buffers[0][:cap(m.Buffers[0])]
	m.Buffers[0] = m.Buffers[0][:copy(m.Buffers[0], b)]
	m.Addr = ua
	bt.n++
	var full *outBatch
	if bt.n == len(bt.msgs) {
		full, s.cur = bt, <-s.free
	} else if bt.n == 1 {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
	s.mu.Unlock()
	if full != nil {
		s.send(full)
	}
	return len(b), nil
}

// WriteTo is WriteToAddrPort with a net.Addr.
func (s *batchSocket) WriteTo(b []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, errors.New("batch socket: not a UDP address")
	}
	return s.WriteToAddrPort(b, ua.AddrPort())
}

// flushLate sends a batch that did not fill batchFlushDelay after its
// first packet. It sleeps while nothing is queued.
func (s *batchSocket) flushLate() {
	for {
		select {
		case <-s.done:
			return
		case <-s.kick:
		}
		time.Sleep(batchFlushDelay)
		s.mu.Lock()
		if s.cur == nil || s.cur.n == 0 {
			s.mu.Unlock()
			continue
		}
		bt := s.cur
		s.cur = <-s.free
		s.mu.Unlock()
		s.send(bt)
	}
}

// send writes the batch with sendmmsg and returns it to the free list. A
// packet the kernel refuses is dropped, as a lost datagram would be.
func (s *batchSocket) send(bt *outBatch) {
	msgs := bt.msgs[:bt.n]
	for len(msgs) > 0 {
		n, err := s.pc.WriteBatch(msgs, 0)
		if err != nil && n <= 0 {
			if errors.Is(err, net.ErrClosed) {
				break
			}
			n = 1
		}
		msgs = msgs[n:]
	}
	bt.n = 0
	s.free <- bt
}

// Close flushes what waits and closes the socket.
func (s *batchSocket) Close() error {
	s.once.Do(func() {
		close(s.done)
		s.mu.Lock()
		bt := s.cur
		s.cur = nil
		s.mu.Unlock()
		if bt != nil && bt.n > 0 {
			s.send(bt)
		}
	})
	return s.UDPConn.Close()
}
