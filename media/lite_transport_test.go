package media

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// liteClient is a pion peer connection on a lite transport: it sends VP8
// packets marked with its number and counts what its receiving track
// gets, its own packets and others'.
type liteClient struct {
	pc           *webrtc.PeerConnection
	track        *webrtc.TrackLocalStaticRTP
	own, foreign atomic.Int64
	ufrag, pwd   string
	fingerprint  string
	twccID       string // the offer's transport-cc extension id, if any
	mids         [2]string
	// seqs are the sequence numbers received; srs the sender reports.
	seqsMu        sync.Mutex
	seqs          map[uint16]int
	srs           atomic.Int64
	mark          byte
	connectedOnce sync.Once
	connected     chan struct{}
}

// newLiteClient offers a sendonly and a recvonly video transceiver; with
// feedback, pion's default interceptors send NACKs and reports, and its
// packets carry transport-wide sequence numbers.
func newLiteClient(t *testing.T, mark byte, feedback ...bool) *liteClient {
	t.Helper()
	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, PayloadType: 96}, webrtc.RTPCodecTypeVideo); err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	reg := &interceptor.Registry{}
	if len(feedback) > 0 && feedback[0] {
		if err := webrtc.RegisterDefaultInterceptors(me, reg); err != nil {
			t.Fatal(err)
		}
		if err := webrtc.ConfigureTWCCHeaderExtensionSender(me, reg); err != nil {
			t.Fatal(err)
		}
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se), webrtc.WithInterceptorRegistry(reg)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	c := &liteClient{pc: pc, mark: mark, connected: make(chan struct{}), seqs: map[uint16]int{}}
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			c.connectedOnce.Do(func() { close(c.connected) })
		}
	})
	c.track, _ = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", fmt.Sprint("client", mark))
	if _, err := pc.AddTransceiverFromTrack(c.track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		go func() {
			for {
				pkts, _, err := r.ReadRTCP()
				if err != nil {
					return
				}
				for _, p := range pkts {
					if sr, ok := p.(*rtcp.SenderReport); ok && sr.SSRC == uint32(tr.SSRC()) {
						c.srs.Add(1)
					}
				}
			}
		}()
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			c.seqsMu.Lock()
			c.seqs[p.SequenceNumber]++
			c.seqsMu.Unlock()
			if len(p.Payload) > 0 && p.Payload[0] == c.mark {
				c.own.Add(1)
			} else {
				c.foreign.Add(1)
			}
		}
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	var parsed sdp.SessionDescription
	if err := parsed.UnmarshalString(pc.LocalDescription().SDP); err != nil {
		t.Fatal(err)
	}
	for i, md := range parsed.MediaDescriptions[:2] {
		c.mids[i], _ = md.Attribute("mid")
	}
	for _, a := range parsed.MediaDescriptions[0].Attributes {
		if id, uri, ok := strings.Cut(a.Value, " "); a.Key == "extmap" && ok && uri == sdp.TransportCCURI {
			c.twccID = id
		}
	}
	md := parsed.MediaDescriptions[0]
	c.ufrag, _ = md.Attribute("ice-ufrag")
	c.pwd, _ = md.Attribute("ice-pwd")
	if c.fingerprint, _ = md.Attribute("fingerprint"); c.fingerprint == "" {
		c.fingerprint, _ = parsed.Attribute("fingerprint")
	}
	return c
}

// answer is the node's answer to the client's offer: ICE-lite, DTLS
// passive, the client's video taken and the node's sent on SSRC ssrc.
func (c *liteClient) answer(tr *liteTransport, port int, ssrc uint32) string {
	common := func(mid, dir string) []string {
		return []string{"m=video 9 UDP/TLS/RTP/SAVPF 96", "c=IN IP4 0.0.0.0", "a=mid:" + mid, "a=ice-ufrag:" + tr.ufrag, "a=ice-pwd:" + tr.pwd,
			"a=fingerprint:" + tr.Fingerprint(), "a=setup:passive", "a=rtcp-mux", "a=" + dir, "a=rtpmap:96 VP8/90000", "a=rtcp-fb:96 nack", "a=rtcp-fb:96 nack pli",
			fmt.Sprintf("a=candidate:1 1 udp 2130706431 127.0.0.1 %d typ host", port), "a=end-of-candidates"}
	}
	lines := []string{"v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE " + c.mids[0] + " " + c.mids[1], "a=ice-lite"}
	lines = append(lines, common(c.mids[0], "recvonly")...)
	if c.twccID != "" {
		lines = append(lines, "a=extmap:"+c.twccID+" "+sdp.TransportCCURI, "a=rtcp-fb:96 transport-cc")
	}
	lines = append(lines, common(c.mids[1], "sendonly")...)
	lines = append(lines, "a=msid:node video", fmt.Sprintf("a=ssrc:%d cname:node", ssrc), fmt.Sprintf("a=ssrc:%d msid:node video", ssrc), "")
	return strings.Join(lines, "\r\n")
}

// connectTo connects the client to tr, which answers its offer sending on
// SSRC ssrc, and waits until both sides are connected.
func (c *liteClient) connectTo(t *testing.T, ctx context.Context, tr *liteTransport, port int, ssrc uint32) {
	t.Helper()
	errs := make(chan error, 1)
	go func() { errs <- tr.Connect(ctx, c.ufrag, c.pwd, c.fingerprint) }()
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: c.answer(tr, port, ssrc)}); err != nil {
		t.Fatal(err)
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.connected:
	case <-ctx.Done():
		t.Fatal("a client did not connect")
	}
}

// TestALiteTransportCarriesSRTPOnTheSocketsReader: two pion clients
// connect to lite transports on one UDP port (ICE-lite and DTLS through
// pion's parts, fed by the mux); every packet each sends is decrypted on
// the socket's reader, sent back encrypted with the node's keys, and
// reaches that client's receiving track — none reaches the other.
func TestALiteTransportCarriesSRTPOnTheSocketsReader(t *testing.T) {
	mux, cert, port := liteMuxOnLoopback(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	clients := []*liteClient{newLiteClient(t, 1), newLiteClient(t, 2)}
	transports := make([]*liteTransport, len(clients))
	errs := make(chan error, len(clients))
	for i, c := range clients {
		tr, err := newLiteTransport(mux, cert)
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		transports[i] = tr
		ssrc := uint32(5000 + i)
		tr.onRTP = func(h *rtp.Header, packet []byte) { // echo, on the reader
			payload := packet[h.MarshalSize():]
			h.SSRC = ssrc
			tr.WriteRTP(h, payload)
		}
		go func() { errs <- tr.Connect(ctx, c.ufrag, c.pwd, c.fingerprint) }()
		if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: c.answer(tr, port, ssrc)}); err != nil {
			t.Fatal(err)
		}
	}
	for range clients {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range clients {
		select {
		case <-c.connected:
		case <-ctx.Done():
			t.Fatal("a client did not connect")
		}
	}

	const sent = 200
	for i := range sent {
		for _, c := range clients {
			payload := make([]byte, 1000)
			payload[0] = c.mark
			if err := c.track.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: uint16(i), Timestamp: uint32(i * 3000)}, Payload: payload}); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && (clients[0].own.Load() < sent || clients[1].own.Load() < sent) {
		time.Sleep(50 * time.Millisecond)
	}
	for _, c := range clients {
		t.Logf("client %d: %d of its %d packets came back, %d of the other's", c.mark, c.own.Load(), sent, c.foreign.Load())
		// UDP on a busy machine may drop a few; none may cross over.
		if c.own.Load() < sent*95/100 || c.foreign.Load() != 0 {
			t.Fatalf("client %d got %d of its %d packets back and %d of the other's", c.mark, c.own.Load(), sent, c.foreign.Load())
		}
	}
}

// TestALiteTransportCarriesRTCPBothWays: a gap in what the node sends is
// NACKed by the client's receiver and the NACK reaches the node's
// onRTCP, decrypted and parsed; a PLI the node writes reaches the
// client's sender.
func TestALiteTransportCarriesRTCPBothWays(t *testing.T) {
	mux, cert, port := liteMuxOnLoopback(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := newLiteClient(t, 1, true)
	tr, err := newLiteTransport(mux, cert)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	const ssrc, missing = 5000, 50
	nacked := make(chan uint16, 64)
	tr.onRTCP = func(_ []byte, pkts []rtcp.Packet) {
		for _, p := range pkts {
			if n, ok := p.(*rtcp.TransportLayerNack); ok && n.MediaSSRC == ssrc {
				for _, pair := range n.Nacks {
					for _, seq := range pair.PacketList() {
						select {
						case nacked <- seq:
						default:
						}
					}
				}
			}
		}
	}
	c.connectTo(t, ctx, tr, port, ssrc)

	pli := make(chan uint32, 1)
	sender := c.pc.GetTransceivers()[0].Sender()
	go func() {
		for {
			pkts, _, err := sender.ReadRTCP()
			if err != nil {
				return
			}
			for _, p := range pkts {
				if p, ok := p.(*rtcp.PictureLossIndication); ok {
					select {
					case pli <- p.MediaSSRC:
					default:
					}
				}
			}
		}
	}()
	clientSSRC := uint32(sender.GetParameters().Encodings[0].SSRC)

	// The node sends 0…99 without 50, paced, then the client's NACK
	// generator asks for 50.
	payload := make([]byte, 1000)
	for seq := uint16(0); seq < 100; seq++ {
		if seq == missing {
			continue
		}
		if err := tr.WriteRTP(&rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: uint32(seq) * 3000, SSRC: ssrc}, payload); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	// (A packet the loopback dropped on a busy machine is NACKed too.)
	for asked := false; !asked; {
		select {
		case seq := <-nacked:
			asked = seq == missing
		case <-ctx.Done():
			t.Fatal("no NACK for the missing packet reached the node")
		}
	}

	// The node asks the client for a keyframe.
	deadline := time.After(10 * time.Second)
	for {
		if err := tr.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{SenderSSRC: ssrc, MediaSSRC: clientSSRC}}); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-pli:
			if got != clientSSRC {
				t.Fatalf("the PLI named SSRC %d, want the client's %d", got, clientSSRC)
			}
			return
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatal("the node's PLI did not reach the client's sender")
		}
	}
}

// TestALiteTransportClosesWhileItConnects: a Close while Connect waits for
// the remote side's checks ends Connect with an error, and a second Close
// does nothing.
func TestALiteTransportClosesWhileItConnects(t *testing.T) {
	mux, cert, _ := liteMuxOnLoopback(t, true)
	tr, err := newLiteTransport(mux, cert)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.ufrag) < 4 || len(tr.pwd) < 22 || !strings.HasPrefix(tr.Fingerprint(), "sha-256 ") {
		t.Fatalf("credentials %q %q and fingerprint %q are not ICE's and DTLS's", tr.ufrag, tr.pwd, tr.Fingerprint())
	}
	done := make(chan error, 1)
	go func() {
		done <- tr.Connect(context.Background(), "remoteufrag", "remotepasswordremotepassword", "sha-256 00")
	}()
	time.Sleep(50 * time.Millisecond)
	tr.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Connect succeeded on a closed transport")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Connect went on after Close")
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := mux.GetConn(tr.ufrag, nil); err == nil {
		t.Fatal("the mux still knows a closed transport")
	}
}

// TestALiteTransportTellsTheDeviceWhenItCloses: a transport that closes
// (its participant left the room) ends the device's DTLS with
// close_notify, so the device closes its peer connection and opens a new
// one for its next call instead of reusing one nobody answers.
func TestALiteTransportTellsTheDeviceWhenItCloses(t *testing.T) {
	mux, cert, port := liteMuxOnLoopback(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := newLiteClient(t, 1)
	tr, err := newLiteTransport(mux, cert)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	c.connectTo(t, ctx, tr, port, 5000)
	closed := make(chan struct{})
	var once sync.Once
	c.pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateClosed || s == webrtc.PeerConnectionStateFailed {
			once.Do(func() { close(closed) })
		}
	})
	tr.Close()
	// Without close_notify the device would only fail when its ICE
	// gives up, 25 s after the last packet (pion's default).
	select {
	case <-closed:
	case <-time.After(20 * time.Second):
		t.Fatalf("the device's peer connection is still %s after the transport closed", c.pc.ConnectionState())
	}
}
