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
	batchSize = 32
	// batchFlushDelay is the longest a packet waits for its batch to fill.
	batchFlushDelay = time.Millisecond
	// maxDatagram is the largest packet the socket reads or batches.
	maxDatagram = 1500
	// maxCachedAddrs bounds the destination addresses a shard keeps
	// converted.
	maxCachedAddrs = 1024
	// socketBufferBytes is the kernel's receive and send buffer asked for
	// the media socket (capped by net.core.rmem_max and wmem_max): the
	// default, about 200 KiB, holds some 90 packets, which a node short of
	// CPU for a few milliseconds overflows. LiveKit asks for 16 MiB.
	socketBufferBytes = 4 << 20
	// writeShards spreads the writers of a socket over this many batches,
	// by destination (a destination's packets stay in order), so that the
	// senders of many calls do not queue on one lock.
	writeShards = 8
)

// batchSocket wraps one UDP socket with batched reads and writes. It is a
// net.PacketConn and pion's ice.AddrPortReaderWriter, so the ICE UDP mux
// uses it without allocating addresses. One goroutine reads (the mux's).
type batchSocket struct {
	*net.UDPConn
	pc *ipv4.PacketConn

	// read side: the last recvmmsg's packets, handed out one at a time
	// (batch_read_linux.go).
	in *inBatch

	// write side: each shard's batch fills and goes out; kick wakes
	// flushLate when a batch gets its first packet.
	shards [writeShards]writeShard
	kick   chan struct{}
	done   chan struct{}
	once   sync.Once
}

// writeShard is one batch being filled: cur fills; full batches go out and
// come back to free, which has room for every batch so that returning one
// never blocks.
type writeShard struct {
	mu sync.Mutex
	// sending is held from taking a batch (under mu) until it is written,
	// so that a shard's batches leave in the order they filled: a
	// destination's packets are never reordered.
	sending sync.Mutex
	cur     *outBatch
	free    chan *outBatch
	addrs   map[netip.AddrPort]*net.UDPAddr
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
	// Best effort: a smaller buffer than asked for still works.
	_ = conn.SetReadBuffer(socketBufferBytes)
	_ = conn.SetWriteBuffer(socketBufferBytes)
	s := &batchSocket{UDPConn: conn, pc: ipv4.NewPacketConn(conn), kick: make(chan struct{}, 1), done: make(chan struct{})}
	if s.in, err = newInBatch(conn); err != nil {
		conn.Close()
		return nil, err
	}
	for i := range s.shards {
		sh := &s.shards[i]
		sh.cur, sh.free, sh.addrs = newOutBatch(), make(chan *outBatch, 3), map[netip.AddrPort]*net.UDPAddr{}
		sh.free <- newOutBatch()
		sh.free <- newOutBatch()
	}
	go s.flushLate()
	return s, nil
}

// ReadFromAddrPort returns the next packet, reading a batch when the last
// one is used up.
func (s *batchSocket) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	return s.in.read(b)
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
	a16 := addr.Addr().As16()
	sh := &s.shards[(uint(addr.Port())^uint(a16[15])^uint(a16[14])<<3)%writeShards]
	sh.mu.Lock()
	if sh.cur == nil {
		sh.mu.Unlock()
		return 0, net.ErrClosed
	}
	ua := sh.addrs[addr]
	if ua == nil {
		if len(sh.addrs) >= maxCachedAddrs {
			clear(sh.addrs)
		}
		ua = net.UDPAddrFromAddrPort(addr)
		sh.addrs[addr] = ua
	}
	bt := sh.cur
	m := &bt.msgs[bt.n]
	m.Buffers[0] = m.Buffers[0][:cap(m.Buffers[0])]
	m.Buffers[0] = m.Buffers[0][:copy(m.Buffers[0], b)]
	m.Addr = ua
	bt.n++
	var full *outBatch
	if bt.n == len(bt.msgs) {
		full, sh.cur = bt, <-sh.free
		sh.sending.Lock()
	} else if bt.n == 1 {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
	sh.mu.Unlock()
	if full != nil {
		s.send(sh, full)
		sh.sending.Unlock()
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

// flushLate sends the batches that did not fill batchFlushDelay after
// their first packet, every shard's in one sendmmsg (each message carries
// its own address), so that a quiet moment costs one system call rather
// than one per shard. It sleeps while nothing is queued.
func (s *batchSocket) flushLate() {
	var late [writeShards]*outBatch
	all := make([]ipv4.Message, 0, writeShards*batchSize)
	for {
		select {
		case <-s.done:
			return
		case <-s.kick:
		}
		time.Sleep(batchFlushDelay)
		all = all[:0]
		for i := range s.shards {
			sh := &s.shards[i]
			late[i] = nil
			sh.mu.Lock()
			if sh.cur == nil || sh.cur.n == 0 {
				sh.mu.Unlock()
				continue
			}
			late[i] = sh.cur
			sh.cur = <-sh.free
			sh.sending.Lock()
			sh.mu.Unlock()
			all = append(all, late[i].msgs[:late[i].n]...)
		}
		s.writeAll(all)
		for i, bt := range late {
			if bt != nil {
				bt.n = 0
				s.shards[i].free <- bt
				s.shards[i].sending.Unlock()
			}
		}
	}
}

// send writes the batch with sendmmsg and returns it to the free list.
func (s *batchSocket) send(sh *writeShard, bt *outBatch) {
	s.writeAll(bt.msgs[:bt.n])
	bt.n = 0
	sh.free <- bt
}

// writeAll writes msgs with as few sendmmsg calls as the kernel allows. A
// packet the kernel refuses is dropped, as a lost datagram would be.
func (s *batchSocket) writeAll(msgs []ipv4.Message) {
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
}

// Close flushes what waits and closes the socket.
func (s *batchSocket) Close() error {
	s.once.Do(func() {
		close(s.done)
		for i := range s.shards {
			sh := &s.shards[i]
			sh.mu.Lock()
			bt := sh.cur
			sh.cur = nil
			sh.sending.Lock()
			sh.mu.Unlock()
			if bt != nil && bt.n > 0 {
				s.send(sh, bt)
			}
			sh.sending.Unlock()
		}
	})
	return s.UDPConn.Close()
}
