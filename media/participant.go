package media

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// MediaSink receives a participant's upstream packets. It must not keep or
// change pkt: the same packet goes to every sink.
type MediaSink func(kind webrtc.RTPCodecType, pkt *rtp.Packet)

// Participant is one device's media connection in a room: what it sends
// (upstream) is handed to sinks, what it receives (downstream) is written
// into its two outgoing tracks.
type Participant struct {
	ID string

	pc       *webrtc.PeerConnection
	audioOut TrackWriter
	videoOut TrackWriter
	// lite is the participant's connection on the node's own transport;
	// nil when pc carries it (participant_lite.go).
	lite   *liteSide
	signal func(typ string, data any)
	// main is the first downstream slot: audioOut and videoOut, negotiated
	// in the first offer. In a room's forwarding (a participant with a
	// role) it carries the first sender; extra holds one slot for each
	// further sender, added by renegotiation (downstream.go).
	main *slot

	// sinks are the upstream packets' receivers: a copy-on-write slice,
	// replaced whole under mu, read without a lock per packet.
	sinks atomic.Pointer[[]sinkEntry]

	mu         sync.Mutex
	nextSink   int
	videoSSRC  webrtc.SSRC
	tracks     int
	onStop     func()
	stopOnce   sync.Once
	received   [2]atomic.Int64 // audio, video packets received
	connected  chan struct{}
	connOnce   sync.Once
	pendingICE []webrtc.ICECandidateInit
	// keyframeSource is whose video this participant receives when it is
	// wired by hand (ForwardTo); its keyframe requests go there.
	keyframeSource *Participant
	// videoHistory keeps the latest upstream video packets for the
	// receivers' retransmission requests (history.go).
	videoHistory atomic.Pointer[history]
	// extra are the downstream slots after main (the room's lock guards
	// changes; mu guards reading them outside it).
	extra []*slot
	// offering: an offer went out and its answer has not come; again: a
	// change waits to be offered once it has (negotiate).
	offering, again bool
	answered        bool // an answer was applied
	closing         bool
	// role, whisperTo, roster and held are the room's (guarded by its
	// lock); held takes the participant out of the forwarding both ways
	// (room_hold.go).
	role      Role
	whisperTo string
	roster    string
	held      bool
	// trackSeq numbers the extra downstream tracks.
	trackSeq int
}

// sinkEntry is one sink and the id AddSink gave it.
type sinkEntry struct {
	id   int
	sink MediaSink
}

// maxTracksPerParticipant bounds the upstream tracks a device may send.
const maxTracksPerParticipant = 2

// newParticipant builds a participant and sends the server's offer at once.
func newParticipant(peers *peerFactory, id string, signal func(typ string, data any)) (*Participant, error) {
	p, err := buildParticipant(peers, id, signal)
	if err != nil {
		return nil, err
	}
	if err := p.sendOffer(); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// buildParticipant builds the peer connection with its main downstream
// audio and video tracks; nothing is offered yet.
func buildParticipant(peers *peerFactory, id string, signal func(typ string, data any)) (*Participant, error) {
	if peers.lite != nil {
		return buildLiteParticipant(peers.lite, id, signal)
	}
	pc, err := peers.newPeerConnection()
	if err != nil {
		return nil, fmt.Errorf("new peer connection: %w", err)
	}
	p := &Participant{ID: id, pc: pc, signal: signal, connected: make(chan struct{})}
	fail := func(err error) (*Participant, error) {
		pc.Close()
		return nil, err
	}
	audioOut, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "livemall-"+id)
	if err != nil {
		return fail(err)
	}
	videoOut, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", "livemall-"+id)
	if err != nil {
		return fail(err)
	}
	p.audioOut, p.videoOut = audioOut, videoOut
	p.main = &slot{stream: "livemall-" + id}
	for _, t := range []*webrtc.TrackLocalStaticRTP{audioOut, videoOut} {
		sender, err := pc.AddTrack(t)
		if err != nil {
			return fail(err)
		}
		o := newOutTrack(t, sender)
		if t == audioOut {
			p.main.audio = o
		} else {
			p.main.video = o
		}
		go p.readRTCP(sender, o)
	}
	pc.OnTrack(p.onTrack)
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			signal("rtc.candidate", &RtcCandidateData{Candidate: c.ToJSON()})
		}
	})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		switch s {
		case webrtc.PeerConnectionStateConnected:
			p.connOnce.Do(func() { close(p.connected) })
			p.negotiateWaiting()
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			// Disconnected is not the end: on a loaded machine consent checks
			// can lapse for a moment and recover. Failed comes once ICE has
			// given up (the failed timeout of the SFU's setting engine).
			p.stopped()
		}
	})
	return p, nil
}

// OnMediaStopped sets f to run once when the connection fails or closes.
func (p *Participant) OnMediaStopped(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.onStop = f
}

func (p *Participant) stopped() {
	p.stopOnce.Do(func() {
		p.mu.Lock()
		f := p.onStop
		p.mu.Unlock()
		if f != nil {
			go f()
		}
	})
}

// Connected is closed once the participant's connection is up.
func (p *Participant) Connected() <-chan struct{} { return p.connected }

// Answer applies the device's SDP answer to the server's latest offer. An
// answer when no offer waits for one is refused. Once applied, a change
// that came while the offer was out is offered (negotiate), and the
// senders of the video the participant receives are asked for keyframes,
// since tracks just negotiated start with none.
func (p *Participant) Answer(sdp string) error {
	p.mu.Lock()
	waiting := p.offering
	p.mu.Unlock()
	if !waiting {
		return errors.New("apply answer: no offer is waiting for an answer")
	}
	if p.lite != nil {
		if err := p.applyLiteAnswer(sdp); err != nil {
			return fmt.Errorf("apply answer: %w", err)
		}
		p.mu.Lock()
		p.offering, p.answered = false, true
		p.mu.Unlock()
		p.requestKeyframes()
		p.negotiateWaiting()
		return nil
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		return fmt.Errorf("apply answer: %w", err)
	}
	p.mu.Lock()
	pending := p.pendingICE
	p.pendingICE = nil
	p.offering = false
	p.answered = true
	p.mu.Unlock()
	p.requestKeyframes()
	for _, c := range pending {
		if err := p.pc.AddICECandidate(c); err != nil {
			return fmt.Errorf("add candidate: %w", err)
		}
	}
	p.negotiateWaiting()
	return nil
}

// AddCandidate adds a trickled ICE candidate of the device; candidates that
// arrive before the answer are kept until it comes.
func (p *Participant) AddCandidate(c webrtc.ICECandidateInit) error {
	if p.lite != nil {
		return nil // an ICE-lite node needs none: the device's checks find it
	}
	if p.pc.RemoteDescription() == nil {
		p.mu.Lock()
		defer p.mu.Unlock()
		if len(p.pendingICE) >= 64 {
			return errors.New("too many ICE candidates before the answer")
		}
		p.pendingICE = append(p.pendingICE, c)
		return nil
	}
	return p.pc.AddICECandidate(c)
}

// onTrack reads an upstream track and hands its packets to the sinks.
func (p *Participant) onTrack(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	p.mu.Lock()
	p.tracks++
	over := p.tracks > maxTracksPerParticipant
	if track.Kind() == webrtc.RTPCodecTypeVideo {
		p.videoSSRC = track.SSRC()
	}
	p.mu.Unlock()
	if over {
		slog.Warn("participant sent more tracks than allowed", "participant", p.ID)
		return
	}
	p.readUpstream(track)
}

// readUpstream hands each packet of the track to the sinks on the reading
// goroutine (readFrom).
func (p *Participant) readUpstream(track *webrtc.TrackRemote) {
	p.readFrom(track.Kind(), func(b []byte) (int, error) {
		n, _, err := track.Read(b)
		return n, err
	})
}

// readFrom reads upstream packets of the kind with read until it fails,
// and hands each to the sinks. The packet and its bytes are reused for
// the next packet, so no packet costs an allocation; sinks must not keep
// them (MediaSink). Video is read straight into the history its
// retransmissions are answered from (history.go).
func (p *Participant) readFrom(kind webrtc.RTPCodecType, read func([]byte) (int, error)) {
	var pkt rtp.Packet
	if kind == webrtc.RTPCodecTypeVideo {
		h := &history{}
		p.videoHistory.Store(h)
		for {
			buf, slot := h.fill()
			n, err := read(buf)
			ok := err == nil && pkt.Unmarshal(buf[:n]) == nil
			h.done(slot, n, pkt.SequenceNumber, ok)
			if err != nil {
				p.upstreamEnded(err)
				return
			}
			if ok {
				p.deliver(kind, 1, &pkt)
			}
		}
	}
	buf := make([]byte, maxDatagram)
	for {
		n, err := read(buf)
		if err != nil {
			p.upstreamEnded(err)
			return
		}
		if pkt.Unmarshal(buf[:n]) == nil {
			p.deliver(kind, 0, &pkt)
		}
	}
}

// upstreamEnded notes why an upstream track's reading stopped.
func (p *Participant) upstreamEnded(err error) {
	if !errors.Is(err, io.EOF) {
		slog.Debug("upstream track ended", "participant", p.ID, "err", err)
	}
}

// deliver hands one parsed upstream packet of the kind to the sinks.
func (p *Participant) deliver(kind webrtc.RTPCodecType, idx int, pkt *rtp.Packet) {
	p.received[idx].Add(1)
	if sinks := p.sinks.Load(); sinks != nil {
		for _, s := range *sinks {
			s.sink(kind, pkt)
		}
	}
}

// readRTCP drains a downstream sender's RTCP: keyframe requests go to the
// participant whose video that track carries (or, wired by hand, to the
// keyframe source ForwardTo set), and retransmission requests are
// answered from that participant's history.
func (p *Participant) readRTCP(sender *webrtc.RTPSender, o *outTrack) {
	var scratch rtp.Packet
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, pkt := range pkts {
			switch pkt := pkt.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				if f := p.feeder(o); f != nil {
					f.RequestKeyframe()
				}
			case *rtcp.TransportLayerNack:
				p.answerNack(o, pkt, &scratch)
			}
		}
	}
}

// feeder is whose media the downstream track o carries.
func (p *Participant) feeder(o *outTrack) *Participant {
	if f := o.source(); f != nil {
		return f
	}
	return p.keyframeFeeder()
}

// keyframeFeeder is the keyframe source ForwardTo set, or nil.
func (p *Participant) keyframeFeeder() *Participant {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.keyframeSource
}

// answerNack sends again, from the feeder's history, the packets of the
// track o that the receiver asks for and the history still holds.
func (p *Participant) answerNack(o *outTrack, nack *rtcp.TransportLayerNack, scratch *rtp.Packet) {
	if o.track.Kind() != webrtc.RTPCodecTypeVideo {
		return
	}
	byHand := p.keyframeFeeder()
	for _, pair := range nack.Nacks {
		pair.Range(func(seq uint16) bool {
			o.resend(seq, byHand, scratch)
			return true
		})
	}
}

// AddSink hands the participant's upstream packets to s until the returned
// function is called.
func (p *Participant) AddSink(s MediaSink) (remove func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	id := p.nextSink
	p.nextSink++
	var next []sinkEntry
	if old := p.sinks.Load(); old != nil {
		next = append(next, *old...)
	}
	next = append(next, sinkEntry{id: id, sink: s})
	p.sinks.Store(&next)
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		old := p.sinks.Load()
		if old == nil {
			return
		}
		next := make([]sinkEntry, 0, len(*old))
		for _, e := range *old {
			if e.id != id {
				next = append(next, e)
			}
		}
		p.sinks.Store(&next)
	}
}

// ForwardTo sends this participant's media to the other one's downstream
// tracks, and asks for a keyframe so the picture starts at once.
func (p *Participant) ForwardTo(other *Participant) (stop func()) {
	other.mu.Lock()
	other.keyframeSource = p
	other.mu.Unlock()
	stop = p.AddSink(func(kind webrtc.RTPCodecType, pkt *rtp.Packet) {
		t := other.audioOut
		if kind == webrtc.RTPCodecTypeVideo {
			t = other.videoOut
		}
		if err := t.WriteRTP(pkt); err != nil && !errors.Is(err, io.ErrClosedPipe) {
			slog.Debug("forward", "to", other.ID, "err", err)
		}
	})
	p.RequestKeyframe()
	return stop
}

// RequestKeyframe asks the device for a new VP8 keyframe.
func (p *Participant) RequestKeyframe() {
	p.mu.Lock()
	ssrc := p.videoSSRC
	p.mu.Unlock()
	switch {
	case ssrc == 0:
	case p.lite != nil:
		p.lite.link.RequestKeyframe(uint32(ssrc))
	default:
		p.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(ssrc)}})
	}
}

// AudioOut is the participant's downstream audio track (for greetings).
func (p *Participant) AudioOut() TrackWriter { return p.audioOut }

// Received reports how many audio and video packets the participant sent.
func (p *Participant) Received() (audio, video int64) {
	return p.received[0].Load(), p.received[1].Load()
}

// Close ends the participant's connection.
func (p *Participant) Close() {
	p.mu.Lock()
	p.closing = true
	p.mu.Unlock()
	if p.lite != nil {
		p.lite.close()
	} else if err := p.pc.Close(); err != nil {
		slog.Debug("close peer connection", "participant", p.ID, "err", err)
	}
	p.stopped()
}

// waitConnected waits up to d for the connection.
func (p *Participant) waitConnected(d time.Duration) bool {
	select {
	case <-p.connected:
		return true
	case <-time.After(d):
		return false
	}
}
