package main

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// serveRelay is the SFU's ceiling: a plain UDP relay with no encryption,
// no RTCP and no WebRTC. Each endpoint registers with "REG <pair> <side>";
// from then on whatever it sends goes to the other side of its pair.
func serveRelay() (string, func(), error) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return "", nil, err
	}
	conn.SetReadBuffer(8 << 20)
	conn.SetWriteBuffer(8 << 20)
	go func() {
		pairs := map[string]*[2]netip.AddrPort{}
		fwd := map[netip.AddrPort]netip.AddrPort{}
		buf := make([]byte, 2048)
		for {
			n, from, err := conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if to, ok := fwd[from]; ok {
				conn.WriteToUDPAddrPort(buf[:n], to)
				continue
			}
			var pair string
			var side int
			if _, err := fmt.Sscanf(string(buf[:n]), "REG %s %d", &pair, &side); err != nil || side < 0 || side > 1 {
				continue
			}
			p := pairs[pair]
			if p == nil {
				p = &[2]netip.AddrPort{}
				pairs[pair] = p
			}
			p[side] = from
			if p[0].IsValid() && p[1].IsValid() {
				fwd[p[0]], fwd[p[1]] = p[1], p[0]
			}
		}
	}()
	return conn.LocalAddr().String(), func() { conn.Close() }, nil
}

// relayEndpoint is one side of a relayed "call".
type relayEndpoint struct {
	conn *net.UDPConn
	sent sendCounts
	got  atomic.Int64
	stop chan struct{}
}

// relayCalls connects n pairs of endpoints to the relay at addr and starts
// sending the plan both ways.
func relayCalls(addr string, n int, plan *mediaPlan) ([]*relayEndpoint, error) {
	raddr, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		return nil, err
	}
	var eps []*relayEndpoint
	for i := 0; i < n; i++ {
		for side := 0; side < 2; side++ {
			c, err := net.DialUDP("udp4", nil, raddr)
			if err != nil {
				return eps, err
			}
			c.SetReadBuffer(4 << 20)
			c.SetWriteBuffer(4 << 20)
			ep := &relayEndpoint{conn: c, stop: make(chan struct{})}
			eps = append(eps, ep)
			for k := 0; k < 3; k++ {
				fmt.Fprintf(c, "REG call%d %d", i, side)
			}
			go func() {
				buf := make([]byte, 2048)
				for {
					nr, err := c.Read(buf)
					if err != nil {
						return
					}
					if nr > 4 && !strings.HasPrefix(string(buf[:4]), "REG ") {
						ep.got.Add(1)
					}
				}
			}()
		}
	}
	time.Sleep(200 * time.Millisecond)
	for _, ep := range eps {
		plan.send(ep.stop, true, &ep.sent, func(_ int, pkt *rtp.Packet) error {
			raw, err := pkt.Marshal()
			if err != nil {
				return err
			}
			_, err = ep.conn.Write(raw)
			return err
		})
	}
	return eps, nil
}
