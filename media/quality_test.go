package media_test

import (
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/media"
)

// The quality tests: what a call keeps when the network is not perfect,
// whatever the forwarding engine looks like inside. Each phone is a pion
// client with pion's default interceptors (NACK, RTCP reports) and the
// transport-wide sequence numbers browsers put on their packets, on one
// UDP socket of its own that can drop packets (lossyLink), joined to a
// room on a real SFU. They send the VP8 and Opus fixtures at 30 fps and
// record what reaches them: every video sequence number received and
// every RTCP packet the SFU sends about their own video.

// lossyLink is a phone's UDP socket with a lossy network in front of it:
// it drops a share of the RTP packets (not RTCP, STUN or DTLS) passing in
// the directions chosen, picked by a seeded pseudo-random sequence, so a
// run drops the same share every time.
type lossyLink struct {
	net.PacketConn // the interface alone: pion must use ReadFrom and WriteTo
	rate           float64
	in, out        bool // drop packets arriving, leaving

	mu      sync.Mutex
	rng     *rand.Rand
	dropped atomic.Int64
	passed  atomic.Int64
}

func newLossyLink(t *testing.T, rate float64, seed uint64, in, out bool) *lossyLink {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	return &lossyLink{PacketConn: c, rate: rate, in: in, out: out, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// isRTP tells RTP from RTCP, STUN and DTLS (RFC 7983; RTCP packet types
// 192–223 sit where RTP has the marker bit and payload type).
func isRTP(b []byte) bool {
	return len(b) >= 12 && b[0] >= 128 && b[0] <= 191 && (b[1] < 192 || b[1] > 223)
}

// drop decides the fate of one packet.
func (l *lossyLink) drop(b []byte) bool {
	if !isRTP(b) {
		return false
	}
	l.mu.Lock()
	d := l.rng.Float64() < l.rate
	l.mu.Unlock()
	if d {
		l.dropped.Add(1)
	} else {
		l.passed.Add(1)
	}
	return d
}

func (l *lossyLink) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := l.PacketConn.ReadFrom(b)
		if err != nil || !l.in || !l.drop(b[:n]) {
			return n, addr, err
		}
	}
}

func (l *lossyLink) WriteTo(b []byte, addr net.Addr) (int, error) {
	if l.out && l.drop(b) {
		return len(b), nil
	}
	return l.PacketConn.WriteTo(b, addr)
}

// qualityPhone is one party of a quality test.
type qualityPhone struct {
	t    *testing.T
	id   string
	part *media.Participant
	cp   *media.ClientPeer
	link *lossyLink
	mux  *ice.UDPMuxDefault

	inbox   chan signal
	stop    chan struct{}
	sending chan struct{} // closed to stop the media, the connection stays

	mu       sync.Mutex
	videoSeq map[string]*seqSet // video sequence numbers received, by stream
	plis     atomic.Int64       // keyframe requests for this phone's video
	twcc     atomic.Int64       // transport-wide feedback packets
	twccSeen atomic.Int64       // packets those reported as received
	remb     atomic.Int64       // REMB bitrate estimates
	sentSeq  atomic.Int64       // video packets sent
}

// seqSet collects RTP sequence numbers, unwrapped past 65535.
type seqSet struct {
	seen  map[int64]bool
	last  int64
	first bool
}

func (s *seqSet) add(seq uint16) {
	if !s.first {
		s.first, s.last, s.seen = true, int64(seq), map[int64]bool{}
	}
	// The extended number nearest the last one.
	ext := s.last + int64(int16(seq-uint16(s.last)))
	s.seen[ext] = true
	s.last = max(s.last, ext)
}

// missing is how many numbers between the lowest and highest received
// never came, and how many that range holds.
func (s *seqSet) missing() (missing, span int64) {
	if len(s.seen) == 0 {
		return 0, 0
	}
	lo, hi := int64(1<<62), int64(-1<<62)
	for k := range s.seen {
		lo, hi = min(lo, k), max(hi, k)
	}
	span = hi - lo + 1
	return span - int64(len(s.seen)), span
}

// joinQualityPhone joins a phone to the room over its own link.
func joinQualityPhone(t *testing.T, room *media.Room, id string, link *lossyLink) *qualityPhone {
	t.Helper()
	loadRoomMedia(t)
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	reg := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, reg); err != nil {
		t.Fatal(err)
	}
	if err := webrtc.ConfigureTWCCHeaderExtensionSender(m, reg); err != nil {
		t.Fatal(err)
	}
	mux := ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: link})
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEUDPMux(mux)
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))

	p := &qualityPhone{t: t, id: id, link: link, inbox: make(chan signal, 1024), stop: make(chan struct{}),
		sending: make(chan struct{}), videoSeq: map[string]*seqSet{}, mux: mux}
	cp, err := media.NewClientPeer(api, webrtc.Configuration{}, func(stream string, kind webrtc.RTPCodecType, pkt *rtp.Packet) {
		if kind != webrtc.RTPCodecTypeVideo {
			return
		}
		p.mu.Lock()
		s := p.videoSeq[stream]
		if s == nil {
			s = &seqSet{}
			p.videoSeq[stream] = s
		}
		s.add(pkt.SequenceNumber)
		p.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	p.cp = cp
	audio, _ := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", id)
	video, _ := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", id)
	as, err := cp.PC.AddTrack(audio)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := cp.PC.AddTrack(video)
	if err != nil {
		t.Fatal(err)
	}
	// Transport-wide feedback names one of the transport's streams, which
	// may be the audio's: both senders' RTCP is read.
	go p.readFeedback(as, false)
	go p.readFeedback(vs, true)
	connected := make(chan struct{})
	var once sync.Once
	cp.PC.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(connected) })
		}
	})
	part, err := room.JoinAs(id, media.RoleParty, "", func(typ string, data any) { p.inbox <- signal{typ, data} })
	if err != nil {
		cp.Close()
		t.Fatalf("%s joins: %v", id, err)
	}
	p.part = part
	cp.PC.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			part.AddCandidate(c.ToJSON())
		}
	})
	go p.serve()
	go func() {
		select {
		case <-connected:
			p.send(audio, video)
		case <-p.stop:
		}
	}()
	t.Cleanup(p.close)
	return p
}

// readFeedback counts what the SFU says about the phone's media: keyframe
// requests (for its video), transport-wide congestion control feedback
// and REMB.
func (p *qualityPhone) readFeedback(sender *webrtc.RTPSender, video bool) {
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, pkt := range pkts {
			switch f := pkt.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				if video {
					p.plis.Add(1)
				}
			case *rtcp.TransportLayerCC:
				p.twcc.Add(1)
				for _, c := range f.PacketChunks {
					switch ch := c.(type) {
					case *rtcp.RunLengthChunk:
						if ch.PacketStatusSymbol != rtcp.TypeTCCPacketNotReceived {
							p.twccSeen.Add(int64(ch.RunLength))
						}
					case *rtcp.StatusVectorChunk:
						for _, s := range ch.SymbolList {
							if s != rtcp.TypeTCCPacketNotReceived {
								p.twccSeen.Add(1)
							}
						}
					}
				}
			case *rtcp.ReceiverEstimatedMaximumBitrate:
				p.remb.Add(1)
			}
		}
	}
}

// serve answers the room's offers and takes its candidates.
func (p *qualityPhone) serve() {
	for {
		select {
		case <-p.stop:
			return
		case s := <-p.inbox:
			switch v := s.data.(type) {
			case *media.RtcOfferData:
				answer, err := p.cp.AnswerOffer(v.SDP)
				if err == nil {
					err = p.part.Answer(answer)
				}
				if err != nil {
					p.t.Errorf("%s answers an offer: %v", p.id, err)
				}
			case *media.RtcCandidateData:
				p.cp.AddCandidate(v.Candidate)
			}
		}
	}
}

// send paces Opus every 20 ms and a VP8 frame every 1/30 s until the
// phone stops sending.
func (p *qualityPhone) send(audio, video *webrtc.TrackLocalStaticRTP) {
	aTick, vTick := time.NewTicker(20*time.Millisecond), time.NewTicker(time.Second/30)
	defer aTick.Stop()
	defer vTick.Stop()
	ssrcSeed := rand.Uint32()
	var aSeq, vSeq = uint16(ssrcSeed), uint16(ssrcSeed >> 16)
	var aTS, vTS uint32
	for a, v := 0, 0; ; {
		select {
		case <-p.stop:
			return
		case <-p.sending:
			return
		case <-aTick.C:
			aSeq++
			aTS += 960
			audio.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: aSeq, Timestamp: aTS}, Payload: roomMedia.opus[a%len(roomMedia.opus)]})
			a++
		case <-vTick.C:
			frame := roomMedia.frames[v%len(roomMedia.frames)]
			vTS += 3000
			for i, pl := range frame {
				vSeq++
				if video.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: vSeq, Timestamp: vTS, Marker: i == len(frame)-1}, Payload: pl}) == nil {
					p.sentSeq.Add(1)
				}
			}
			v++
		}
	}
}

// stopSending ends the phone's media; the connection stays up.
func (p *qualityPhone) stopSending() {
	select {
	case <-p.sending:
	default:
		close(p.sending)
	}
}

func (p *qualityPhone) close() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
		p.cp.Close()
		p.mux.Close()
	}
}

// videoFrom is what the phone received of the video on the stream its
// roster gives sender: sequence numbers missing and the span they cover.
func (p *qualityPhone) videoFrom(stream string) (missing, span int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := p.videoSeq[stream]; s != nil {
		return s.missing()
	}
	return 0, 0
}

// received is how many video packets the phone received on all streams.
func (p *qualityPhone) received() (n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.videoSeq {
		n += int64(len(s.seen))
	}
	return n
}

// onlyStream is the one stream video came on.
func (p *qualityPhone) onlyStream(t *testing.T) string {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.videoSeq) != 1 {
		t.Fatalf("%s receives video on %d streams, want 1", p.id, len(p.videoSeq))
	}
	for s := range p.videoSeq {
		return s
	}
	return ""
}

// TestForwardingRecoversTwoPercentLoss runs a 1:1 call for 15 seconds of
// 720p video with a network that drops 2 % of RTP packets, once between
// the sender and the node and once between the node and the receiver:
// retransmissions (NACK, answered by the sender or by the SFU) fill the
// gaps, so the receiver ends with under 0.1 % of the video's sequence
// numbers missing.
func TestForwardingRecoversTwoPercentLoss(t *testing.T) {
	onEachEngine(t, testForwardingRecoversTwoPercentLoss)
}

func testForwardingRecoversTwoPercentLoss(t *testing.T, engine media.SFUConfig) {
	const rate, window = 0.02, 15 * time.Second
	for _, tc := range []struct {
		name          string
		senderLossy   bool
		receiverLossy bool
		senderSeed    uint64
		receiverSeed  uint64
	}{
		{name: "sender to node", senderLossy: true, senderSeed: 14},
		{name: "node to receiver", receiverLossy: true, receiverSeed: 41},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, room := newRoom(t, engine, "lossy")
			aLink := newLossyLink(t, rate, tc.senderSeed, false, tc.senderLossy)
			bLink := newLossyLink(t, rate, tc.receiverSeed, tc.receiverLossy, false)
			a := joinQualityPhone(t, room, "a", aLink)
			b := joinQualityPhone(t, room, "b", bLink)
			apptest.WaitFor(t, 30*time.Second, "video to reach b", func() bool { return b.received() > 30 })
			time.Sleep(window)
			a.stopSending()
			stream := b.onlyStream(t)
			// The last retransmissions: a NACK goes out every 100 ms, but
			// a busy machine may delay a round or two; what counts is
			// what arrives, so wait for it (up to 10 s) before judging.
			deadline := time.Now().Add(10 * time.Second)
			for {
				time.Sleep(500 * time.Millisecond)
				if missing, span := b.videoFrom(stream); float64(missing) < 0.001*float64(span) || time.Now().After(deadline) {
					break
				}
			}
			missing, span := b.videoFrom(stream)
			link := aLink
			if tc.receiverLossy {
				link = bLink
			}
			dropped, passed := link.dropped.Load(), link.passed.Load()
			t.Logf("sent %d video packets; the link dropped %d of %d RTP packets; b received a span of %d video packets, %d missing", a.sentSeq.Load(), dropped, dropped+passed, span, missing)
			if share := float64(dropped) / float64(dropped+passed); share < 0.01 {
				t.Fatalf("the link dropped %.2f %% of RTP packets, want about 2 %%: the test tests nothing", 100*share)
			}
			if span < 2000 {
				t.Fatalf("b received a span of %d video packets, want at least 2000 (15 s of 720p)", span)
			}
			if float64(missing) >= 0.001*float64(span) {
				t.Errorf("b misses %d of %d video packets (%.2f %%), want < 0.1 %%", missing, span, 100*float64(missing)/float64(span))
			}
		})
	}
}

// TestKeyframeRequestReachesTheSender: a party joining a call asks the
// sender for a keyframe, and so does a receiver whose decoder lost the
// picture (PLI), each time it asks; the receiver's own video is not
// asked for a keyframe by its peer's request.
func TestKeyframeRequestReachesTheSender(t *testing.T) {
	onEachEngine(t, testKeyframeRequestReachesTheSender)
}

func testKeyframeRequestReachesTheSender(t *testing.T, engine media.SFUConfig) {
	_, room := newRoom(t, engine, "pli")
	a := joinQualityPhone(t, room, "a", newLossyLink(t, 0, 1, false, false))
	// a's video reaches the SFU before b joins: a join then asks for a
	// keyframe for the picture b receives to start.
	apptest.WaitFor(t, 10*time.Second, "a's video to reach the SFU", func() bool { _, v := a.part.Received(); return v > 30 })
	before := a.plis.Load()
	b := joinQualityPhone(t, room, "b", newLossyLink(t, 0, 2, false, false))
	apptest.WaitFor(t, 30*time.Second, "video to reach b", func() bool { return b.received() > 30 })
	apptest.WaitFor(t, 5*time.Second, "a keyframe request to reach a when b joined", func() bool { return a.plis.Load() > before })
	stream := b.onlyStream(t)
	for i := range 3 {
		time.Sleep(1500 * time.Millisecond) // past any throttle of requests
		asked, other := a.plis.Load(), b.plis.Load()
		if err := b.cp.RequestKeyframe(stream); err != nil {
			t.Fatal(err)
		}
		apptest.WaitFor(t, 5*time.Second, "b's keyframe request to reach a", func() bool { return a.plis.Load() > asked })
		if n := b.plis.Load() - other; n != 0 {
			t.Errorf("request %d: b asked for a's keyframe and b's own video got %d requests", i+1, n)
		}
	}
}

// TestReceiverFeedbackReachesTheSender: a sending phone that numbers its
// packets transport-wide, as browsers do, gets congestion feedback
// (transport-cc, or REMB) for its video while the other side receives
// it, so it can adapt its bitrate; the transport-cc feedback reports
// packets as received.
func TestReceiverFeedbackReachesTheSender(t *testing.T) {
	onEachEngine(t, testReceiverFeedbackReachesTheSender)
}

func testReceiverFeedbackReachesTheSender(t *testing.T, engine media.SFUConfig) {
	_, room := newRoom(t, engine, "feedback")
	a := joinQualityPhone(t, room, "a", newLossyLink(t, 0, 1, false, false))
	b := joinQualityPhone(t, room, "b", newLossyLink(t, 0, 2, false, false))
	apptest.WaitFor(t, 30*time.Second, "video to reach b", func() bool { return b.received() > 30 })
	twcc, remb := a.twcc.Load(), a.remb.Load()
	apptest.WaitFor(t, 5*time.Second, "feedback on a's video to reach a", func() bool {
		return a.twcc.Load() > twcc+5 || a.remb.Load() > remb+1
	})
	if a.twcc.Load() > twcc && a.twccSeen.Load() == 0 {
		t.Errorf("a got %d transport-cc feedback packets and none reports a packet received", a.twcc.Load()-twcc)
	}
}
