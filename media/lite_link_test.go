package media

import (
	"context"
	"crypto/tls"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// linkedClient is a pion client on a lite link, with what its sender got
// back from the node: NACKs by sequence number, keyframe requests,
// transport-wide feedback and receiver reports about its video.
type linkedClient struct {
	*liteClient
	link *liteLink
	out  *liteOut // the node's track to the client
	ssrc uint32   // the client's video SSRC

	mu     sync.Mutex
	nacked map[uint16]bool
	plis   atomic.Int64
	twcc   atomic.Int64
	rrs    atomic.Int64
}

// connectLinkedClient connects a feedback-enabled pion client to a lite
// link on the mux; the node sends it video on outSSRC. wire sets the
// link's handlers, before it connects.
func connectLinkedClient(t *testing.T, ctx context.Context, mux *liteMux, cert tls.Certificate, port int, mark byte, outSSRC uint32, wire func(*liteLink)) *linkedClient {
	t.Helper()
	c := &linkedClient{liteClient: newLiteClient(t, mark, true), nacked: map[uint16]bool{}}
	tr, err := newLiteTransport(mux, cert)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	twccID, err := strconv.Atoi(c.twccID)
	if err != nil {
		t.Fatalf("the client offered no transport-cc extension: %v", err)
	}
	if c.link, err = newLiteLink(tr, []uint8{96}, twccID, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.link.Close() })
	if c.out, err = c.link.newOut("video", outSSRC, 96); err != nil {
		t.Fatal(err)
	}
	wire(c.link)
	c.connectTo(t, ctx, tr, port, outSSRC)
	sender := c.pc.GetTransceivers()[0].Sender()
	c.ssrc = uint32(sender.GetParameters().Encodings[0].SSRC)
	go func() {
		for {
			pkts, _, err := sender.ReadRTCP()
			if err != nil {
				return
			}
			for _, p := range pkts {
				switch p := p.(type) {
				case *rtcp.TransportLayerNack:
					c.mu.Lock()
					for _, pair := range p.Nacks {
						for _, seq := range pair.PacketList() {
							c.nacked[seq] = true
						}
					}
					c.mu.Unlock()
				case *rtcp.PictureLossIndication:
					if p.MediaSSRC == c.ssrc {
						c.plis.Add(1)
					}
				case *rtcp.TransportLayerCC:
					c.twcc.Add(1)
				case *rtcp.ReceiverReport:
					for _, r := range p.Reports {
						if r.SSRC == c.ssrc {
							c.rrs.Add(1)
						}
					}
				}
			}
		}
	}()
	return c
}

// TestALiteLinkCarriesMediaAndFeedbackBetweenTwoDevices: two pion
// clients on lite links, A's video forwarded to B. The node leaves out
// every 50th packet on the way to B; B's NACKs reach the node, which
// answers them from A's history, so B ends with every packet. A skips
// one sequence number itself, and the node's NACK for it reaches A; so
// do the node's transport-wide feedback and receiver reports, B's
// keyframe request (relayed to A), and sender reports of B's track.
func TestALiteLinkCarriesMediaAndFeedbackBetweenTwoDevices(t *testing.T) {
	mux, cert, port := liteMuxOnLoopback(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// The links are wired before they connect; each handler finds the
	// other side once both are up.
	var wiredA, wiredB atomic.Pointer[linkedClient]
	const sent, skipped = 600, 300 // A never sends 300
	withheld := func(seq uint16) bool { return seq%50 == 7 }
	var scratch rtp.Packet
	var resent atomic.Int64
	a := connectLinkedClient(t, ctx, mux, cert, port, 1, 7001, func(l *liteLink) {
		l.onPacket = func(kind webrtc.RTPCodecType, pkt *rtp.Packet) {
			if b := wiredB.Load(); b != nil && kind == webrtc.RTPCodecTypeVideo && !withheld(pkt.SequenceNumber) {
				b.out.WriteRTP(pkt)
			}
		}
	})
	b := connectLinkedClient(t, ctx, mux, cert, port, 2, 7002, func(l *liteLink) {
		l.onFeedback = func(ssrc uint32, p rtcp.Packet) {
			a, b := wiredA.Load(), wiredB.Load()
			if a == nil || b == nil || ssrc != b.out.ssrc {
				return
			}
			switch p := p.(type) {
			case *rtcp.TransportLayerNack:
				for _, pair := range p.Nacks {
					for _, seq := range pair.PacketList() {
						if a.link.resend(a.ssrc, seq, b.out, &scratch) {
							resent.Add(1)
						}
					}
				}
			case *rtcp.PictureLossIndication:
				a.link.RequestKeyframe(a.ssrc)
			}
		}
	})
	wiredA.Store(a)
	wiredB.Store(b)

	payload := make([]byte, 1000)
	payload[0] = a.mark
	for seq := uint16(0); seq < sent; seq++ {
		if seq == skipped {
			continue
		}
		if err := a.track.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: uint32(seq) * 3000}, Payload: payload}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}

	// B's receiver asks for a keyframe of what it gets.
	for a.plis.Load() == 0 {
		if err := b.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: b.out.ssrc}}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-time.After(200 * time.Millisecond):
		case <-ctx.Done():
			t.Fatal("B's keyframe request did not reach A")
		}
	}

	missingAtB := func() (missing []uint16) {
		b.seqsMu.Lock()
		defer b.seqsMu.Unlock()
		for seq := uint16(0); seq < sent; seq++ {
			if seq != skipped && b.seqs[seq] == 0 {
				missing = append(missing, seq)
			}
		}
		return missing
	}
	for {
		a.mu.Lock()
		askedA := a.nacked[skipped]
		a.mu.Unlock()
		if askedA && len(missingAtB()) == 0 && a.twcc.Load() > 0 && a.rrs.Load() > 0 && b.srs.Load() > 0 {
			break
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			t.Fatalf("after the wait: node NACKed A's gap %v; B misses %v; A got %d transport-cc and %d receiver reports; B got %d sender reports",
				askedA, missingAtB(), a.twcc.Load(), a.rrs.Load(), b.srs.Load())
		}
	}
	t.Logf("B got all %d packets, %d of them sent again from A's history; A got %d transport-cc feedback packets, %d receiver reports and %d keyframe requests",
		sent-1, resent.Load(), a.twcc.Load(), a.rrs.Load(), a.plis.Load())
	if resent.Load() < int64(sent/50)-1 {
		t.Fatalf("only %d packets were sent again for the %d withheld", resent.Load(), sent/50)
	}
	b.seqsMu.Lock()
	foreign := b.foreign.Load()
	b.seqsMu.Unlock()
	if b.own.Load() != 0 || foreign == 0 {
		t.Fatalf("B got %d of its own packets and %d of A's", b.own.Load(), foreign)
	}
}
