//go:build linux

package media

import (
	"errors"
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// inBatch is the read side of a batch socket on Linux: one recvmmsg fills
// up to batchSize packets with their senders' addresses in memory set up
// once, so reading allocates nothing (x/net's ReadBatch makes a new
// *net.UDPAddr for every packet). The first packet of a batch lands
// straight in the caller's buffer, the rest in the batch's own.
type inBatch struct {
	raw   syscall.RawConn
	hdrs  [batchSize]unix.Mmsghdr
	iovs  [batchSize]unix.Iovec
	names [batchSize][sizeSockaddrName]byte
	bufs  [batchSize][]byte
	// n packets came with the last recvmmsg; at is the next to hand out.
	n, at int
	// recv is recvmmsg, made once (a closure made per read would be an
	// allocation); it leaves its count and error in got and errno.
	recv  func(fd uintptr) bool
	got   int
	errno syscall.Errno
}

// newInBatch prepares the batch for reading conn.
func newInBatch(conn *net.UDPConn) (*inBatch, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return nil, err
	}
	in := &inBatch{raw: raw}
	in.recv = in.recvmmsg
	for i := range in.hdrs {
		in.bufs[i] = make([]byte, maxDatagram)
		in.hdrs[i].Hdr.Name = &in.names[i][0]
		in.hdrs[i].Hdr.Iov = &in.iovs[i]
		in.hdrs[i].Hdr.SetIovlen(1)
	}
	return in, nil
}

// read returns the next packet: the batch's next one, or, when the batch
// is used up, the first of a new recvmmsg read into b. A packet larger
// than its buffer, or from an address the socket cannot have, is dropped.
func (in *inBatch) read(b []byte) (int, netip.AddrPort, error) {
	for {
		if in.at >= in.n {
			if err := in.refill(b); err != nil {
				return 0, netip.AddrPort{}, err
			}
			if n, ap, ok := in.take(0); ok {
				return n, ap, nil
			}
			continue
		}
		i := in.at
		n, ap, ok := in.take(i)
		if ok && n <= len(b) {
			return copy(b, in.bufs[i][:n]), ap, nil
		}
	}
}

// take hands out packet i of the batch, reporting false when it is
// dropped.
func (in *inBatch) take(i int) (int, netip.AddrPort, bool) {
	in.at = i + 1
	h := &in.hdrs[i]
	if h.Hdr.Flags&unix.MSG_TRUNC != 0 || h.Hdr.Namelen > sizeSockaddrName {
		return 0, netip.AddrPort{}, false
	}
	ap, ok := addrPortOfSockaddr(in.names[i][:h.Hdr.Namelen])
	return int(h.Len), ap, ok
}

// refill waits for packets and reads as many as are there, up to
// batchSize, the first into b.
func (in *inBatch) refill(b []byte) error {
	if len(b) == 0 {
		return errors.New("batch socket: read into an empty buffer")
	}
	for i := range in.hdrs {
		buf := in.bufs[i]
		if i == 0 {
			buf = b
		}
		in.iovs[i].Base = &buf[0]
		in.iovs[i].SetLen(len(buf))
		in.hdrs[i].Hdr.Namelen = sizeSockaddrName
		in.hdrs[i].Hdr.Flags = 0
		in.hdrs[i].Len = 0
	}
	in.got, in.errno = 0, 0
	err := in.raw.Read(in.recv)
	in.iovs[0].Base = nil // b is the caller's: do not keep it
	if err != nil {
		return err
	}
	if in.errno != 0 {
		return &net.OpError{Op: "recvmmsg", Net: "udp", Err: in.errno}
	}
	in.n, in.at = in.got, 0
	return nil
}

// recvmmsg reads what waits on the socket without blocking; false asks
// the runtime to wait until the socket is readable.
func (in *inBatch) recvmmsg(fd uintptr) bool {
	r, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&in.hdrs[0])), batchSize, unix.MSG_DONTWAIT, 0, 0)
	for e == unix.EINTR {
		r, _, e = unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&in.hdrs[0])), batchSize, unix.MSG_DONTWAIT, 0, 0)
	}
	if e == unix.EAGAIN || e == unix.EWOULDBLOCK {
		return false
	}
	in.got, in.errno = int(r), e
	return true
}
