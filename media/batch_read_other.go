//go:build !linux

package media

import (
	"net"
	"net/netip"

	"golang.org/x/net/ipv4"
)

// inBatch is the read side of a batch socket where recvmmsg is not
// called directly: x/net's ReadBatch, which allocates an address per
// packet.
type inBatch struct {
	pc    *ipv4.PacketConn
	msgs  []ipv4.Message
	n, at int
}

// newInBatch prepares the batch for reading conn.
func newInBatch(conn *net.UDPConn) (*inBatch, error) {
	in := &inBatch{pc: ipv4.NewPacketConn(conn), msgs: make([]ipv4.Message, batchSize)}
	for i := range in.msgs {
		in.msgs[i].Buffers = [][]byte{make([]byte, maxDatagram)}
	}
	return in, nil
}

// read returns the next packet, reading a batch when the last is used up.
func (in *inBatch) read(b []byte) (int, netip.AddrPort, error) {
	for {
		for in.at >= in.n {
			n, err := in.pc.ReadBatch(in.msgs, 0)
			if err != nil {
				return 0, netip.AddrPort{}, err
			}
			in.n, in.at = n, 0
		}
		m := &in.msgs[in.at]
		in.at++
		if ua, ok := m.Addr.(*net.UDPAddr); ok && ua.Port != 0 {
			ap := ua.AddrPort()
			return copy(b, m.Buffers[0][:m.N]), netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
		}
	}
}
