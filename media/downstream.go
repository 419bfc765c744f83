package media

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// A participant's downstream: the tracks the server sends it, one slot per
// sender it receives, and the renegotiation that adds and removes them.
// The server is the only side that offers: a change made while an offer
// waits for its answer is offered once the answer has come, so the device
// never sees an offer while its previous one is unanswered (no glare).

// slot is the downstream of one sender to one participant: an audio and a
// video track in one MediaStream (stream is its id, as the device sees it).
type slot struct {
	// from is the participant whose media the slot carries ("" for none:
	// the main slot of a participant wired by hand or receiving nothing).
	from   string
	stream string
	// audio and video are the slot's tracks; an extra slot has only those
	// its sender's role needs (a whisperer's has no video).
	audio, video *outTrack
}

// track returns the slot's track of the kind, or nil.
func (s *slot) track(kind webrtc.RTPCodecType) *outTrack {
	if kind == webrtc.RTPCodecTypeVideo {
		return s.video
	}
	return s.audio
}

// outTrack is one downstream track and who feeds it. When its source
// changes (the main slot's sender left and another takes its place) the
// sequence numbers and timestamps go on from where the last source left
// them, so the device sees one continuous stream; with one source they
// pass unchanged.
type outTrack struct {
	track TrackWriter
	// sender is pion's for the track; nil on a lite link.
	sender *webrtc.RTPSender
	// step is one packet's worth of timestamp, put between two sources.
	step uint32

	mu      sync.Mutex
	src     *Participant
	fresh   bool // src changed: its first packet sets the offsets
	started bool // a packet went out
	seqOff  uint16
	tsOff   uint32
	lastSeq uint16
	lastTS  uint32
	// firstSeq is the first sequence number sent for src: a
	// retransmission request for an earlier one is not src's to answer.
	firstSeq uint16
}

// TrackWriter is a downstream track: pion's (TrackLocalStaticRTP) or a
// lite link's (liteOut). WriteRTP must not keep the packet.
type TrackWriter interface {
	WriteRTP(pkt *rtp.Packet) error
	Kind() webrtc.RTPCodecType
	ID() string
}

func newOutTrack(t TrackWriter, sender *webrtc.RTPSender) *outTrack {
	step := uint32(960) // 20 ms of Opus at 48 kHz
	if t.Kind() == webrtc.RTPCodecTypeVideo {
		step = 3000 // a frame at 30 fps, 90 kHz
	}
	return &outTrack{track: t, sender: sender, step: step}
}

// source is the participant whose media the track carries, or nil.
func (o *outTrack) source() *Participant {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.src
}

// setSource makes src the only participant whose packets the track takes.
func (o *outTrack) setSource(src *Participant) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.src != src {
		o.src, o.fresh = src, true
	}
}

// forward writes a packet of from, if from feeds the track. pkt is not
// changed: the rewritten header is a copy.
func (o *outTrack) forward(from *Participant, pkt *rtp.Packet) {
	o.mu.Lock()
	if o.src != from {
		o.mu.Unlock()
		return
	}
	if o.fresh {
		o.fresh = false
		o.seqOff, o.tsOff = 0, 0
		if o.started {
			o.seqOff = o.lastSeq + 1 - pkt.SequenceNumber
			o.tsOff = o.lastTS + o.step - pkt.Timestamp
		}
		o.firstSeq = pkt.SequenceNumber + o.seqOff
	}
	out := *pkt
	out.SequenceNumber += o.seqOff
	out.Timestamp += o.tsOff
	if !o.started || int16(out.SequenceNumber-o.lastSeq) > 0 {
		o.lastSeq, o.lastTS = out.SequenceNumber, out.Timestamp
	}
	o.started = true
	o.mu.Unlock()
	if err := o.track.WriteRTP(&out); err != nil && !errors.Is(err, io.ErrClosedPipe) {
		slog.Debug("forward", "track", o.track.ID(), "err", err)
	}
}

// resend sends the packet with downstream sequence number seq again, if
// the history of the participant feeding the track still holds it. A
// track wired by hand (ForwardTo) has no source and carries byHand's
// packets unchanged.
func (o *outTrack) resend(seq uint16, byHand *Participant, scratch *rtp.Packet) {
	o.mu.Lock()
	src, seqOff, tsOff := o.src, o.seqOff, o.tsOff
	// Only what src sent on this track: from its first packet here to the
	// last one.
	sent := o.started && !o.fresh && int16(seq-o.firstSeq) >= 0 && int16(o.lastSeq-seq) >= 0
	o.mu.Unlock()
	if src == nil {
		src, seqOff, tsOff, sent = byHand, 0, 0, byHand != nil
	}
	if !sent {
		return
	}
	h := src.videoHistory.Load()
	if h == nil {
		return
	}
	h.resend(seq-seqOff, scratch, func(pkt *rtp.Packet) {
		pkt.SequenceNumber += seqOff
		pkt.Timestamp += tsOff
		if err := o.track.WriteRTP(pkt); err != nil && !errors.Is(err, io.ErrClosedPipe) {
			slog.Debug("resend", "track", o.track.ID(), "err", err)
		}
	})
}

// sendOffer claims the offer (see negotiate) and sends it: for the first
// offer, which nothing can be waiting on yet.
func (p *Participant) sendOffer() error {
	p.mu.Lock()
	p.offering = true
	p.mu.Unlock()
	return p.offer()
}

// offer makes and sends the server's offer; the caller has set offering,
// so no other offer goes out until this one is answered.
func (p *Participant) offer() error {
	p.mu.Lock()
	closing := p.closing
	p.mu.Unlock()
	if closing {
		return nil
	}
	if p.lite != nil {
		p.mu.Lock()
		sdp := p.lite.nextOffer()
		p.mu.Unlock()
		p.signal("rtc.offer", &RtcOfferData{SDP: sdp})
		return nil
	}
	offer, err := p.pc.CreateOffer(nil)
	if err == nil {
		err = p.pc.SetLocalDescription(offer)
	}
	if err != nil {
		p.mu.Lock()
		p.offering = false
		p.mu.Unlock()
		return fmt.Errorf("offer: %w", err)
	}
	p.signal("rtc.offer", &RtcOfferData{SDP: offer.SDP})
	return nil
}

// negotiate offers the participant's tracks as they are now, or later:
// while an offer waits for its answer, once the answer has come, and
// after the first answer, once the connection is up (pion loses ICE
// checks still in progress when a second offer follows the first answer
// at once).
func (p *Participant) negotiate() {
	p.mu.Lock()
	if p.offering || (p.answered && !p.isConnected()) {
		p.again = true
		p.mu.Unlock()
		return
	}
	p.offering = true
	p.mu.Unlock()
	if err := p.offer(); err != nil {
		slog.Warn("renegotiate", "participant", p.ID, "err", err)
	}
}

// negotiateWaiting offers a change that waited for the answer or the
// connection, if one did.
func (p *Participant) negotiateWaiting() {
	p.mu.Lock()
	again := p.again
	p.again = false
	p.mu.Unlock()
	if again {
		p.negotiate()
	}
}

// isConnected reports whether the connection has been up.
func (p *Participant) isConnected() bool {
	select {
	case <-p.connected:
		return true
	default:
		return false
	}
}

// requestKeyframes asks every sender of video this participant receives
// through the room for a keyframe.
func (p *Participant) requestKeyframes() {
	p.mu.Lock()
	var videos []*outTrack
	for _, s := range append([]*slot{p.main}, p.extra...) {
		if s.video != nil {
			videos = append(videos, s.video)
		}
	}
	p.mu.Unlock()
	for _, o := range videos {
		if src := o.source(); src != nil {
			src.RequestKeyframe()
		}
	}
}

// addTrack adds a downstream track of the kind for the sender from to
// slot s (called with the room's lock held).
func (p *Participant) addTrack(s *slot, kind webrtc.RTPCodecType) error {
	p.trackSeq++
	var codec webrtc.RTPCodecCapability
	name := fmt.Sprintf("audio-%d", p.trackSeq)
	if kind == webrtc.RTPCodecTypeVideo {
		codec = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
		name = fmt.Sprintf("video-%d", p.trackSeq)
	} else {
		codec = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}
	}
	if p.lite != nil {
		p.mu.Lock()
		o, err := p.lite.addOut(s.stream, name, kind, webrtc.RTPTransceiverDirectionSendonly)
		if err == nil {
			if kind == webrtc.RTPCodecTypeVideo {
				s.video = o
			} else {
				s.audio = o
			}
		}
		p.mu.Unlock()
		return err
	}
	t, err := webrtc.NewTrackLocalStaticRTP(codec, name, s.stream)
	if err != nil {
		return err
	}
	sender, err := p.pc.AddTrack(t)
	if err != nil {
		return fmt.Errorf("add %s track for %s: %w", kind, s.from, err)
	}
	o := newOutTrack(t, sender)
	go p.readRTCP(sender, o)
	p.mu.Lock()
	if kind == webrtc.RTPCodecTypeVideo {
		s.video = o
	} else {
		s.audio = o
	}
	p.mu.Unlock()
	return nil
}

// dropTrack removes a downstream track of an extra slot (called with the
// room's lock held); the device learns of it in the next offer.
func (p *Participant) dropTrack(s *slot, kind webrtc.RTPCodecType) {
	o := s.track(kind)
	if o == nil {
		return
	}
	o.setSource(nil)
	if p.lite == nil {
		if err := p.pc.RemoveTrack(o.sender); err != nil && !errors.Is(err, webrtc.ErrConnectionClosed) {
			slog.Debug("remove track", "participant", p.ID, "err", err)
		}
	}
	p.mu.Lock()
	if p.lite != nil {
		p.lite.dropOut(o)
	}
	if kind == webrtc.RTPCodecTypeVideo {
		s.video = nil
	} else {
		s.audio = nil
	}
	p.mu.Unlock()
}
