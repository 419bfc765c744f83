package media

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// liteSide is a participant's connection on the node's own transport
// (liteTransport, liteLink) instead of a pion PeerConnection: the node
// writes its offers itself (liteOffer) and reads the device's answers
// (parseLiteAnswer); the rest of the participant, its slots, sinks and
// negotiation, is the same.
type liteSide struct {
	t    *liteTransport
	link *liteLink
	// outs are the downstream tracks by SSRC, for the device's feedback:
	// copy-on-write, replaced whole under the participant's mu.
	outs atomic.Pointer[map[uint32]*outTrack]
	// scratch is the packet NACKs are answered with, on the reader.
	scratch rtp.Packet

	// offer is the next offer, with the changes made since the last one;
	// sent is the last one sent, which answers answer (the participant's
	// mu guards both); connecting is set by the first answer.
	offer      liteOffer
	sent       liteOffer
	connecting bool
	remote     liteAnswer
	nextMid    int
	// ctx ends with the participant (cancel, at close): the connection
	// waits no longer than that.
	ctx       context.Context
	cancel    context.CancelFunc
	closeOnce sync.Once
}

// liteConnectTimeout bounds the ICE checks and DTLS handshake after the
// first answer.
const liteConnectTimeout = 30 * time.Second

// buildLiteParticipant builds a participant on a lite transport with its
// main downstream audio and video tracks; nothing is offered yet.
func buildLiteParticipant(e *liteEngine, id string, signal func(typ string, data any)) (*Participant, error) {
	t, err := e.newTransport()
	if err != nil {
		return nil, err
	}
	link, err := newLiteLink(t, []uint8{111, 96}, offeredExtensionID(webrtc.RTPCodecTypeVideo, transportCCURI), e.stats)
	if err != nil {
		t.Close()
		return nil, err
	}
	p := &Participant{ID: id, signal: signal, connected: make(chan struct{})}
	l := &liteSide{t: t, link: link}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.outs.Store(&map[uint32]*outTrack{})
	l.offer = liteOffer{sessionID: rand.Uint64() >> 1, ufrag: t.ufrag, pwd: t.pwd, fingerprint: t.Fingerprint(),
		candidates: e.candidates, tcpCandidates: e.tcpCandidates}
	p.lite = l
	p.main = &slot{stream: "livemall-" + id}
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
		o, err := l.addOut(p.main.stream, kind.String(), kind, webrtc.RTPTransceiverDirectionSendrecv)
		if err != nil {
			l.close()
			return nil, err
		}
		if kind == webrtc.RTPCodecTypeVideo {
			p.main.video, p.videoOut = o, o.track
		} else {
			p.main.audio, p.audioOut = o, o.track
		}
	}
	link.onStream = p.liteStreamOpened
	link.onPacket = func(kind webrtc.RTPCodecType, pkt *rtp.Packet) {
		idx := 0
		if kind == webrtc.RTPCodecTypeVideo {
			idx = 1
		}
		p.deliver(kind, idx, pkt)
	}
	link.onFeedback = p.liteFeedback
	t.onDTLSClosed = p.stopped
	t.agent.OnConnectionStateChange(func(s ice.ConnectionState) {
		if s == ice.ConnectionStateFailed || s == ice.ConnectionStateClosed {
			p.stopped()
		}
	})
	return p, nil
}

// addOut adds a downstream track of the kind on a new section of the
// offer, with an SSRC of its own.
func (l *liteSide) addOut(stream, name string, kind webrtc.RTPCodecType, dir webrtc.RTPTransceiverDirection) (*outTrack, error) {
	pt := uint8(111)
	if kind == webrtc.RTPCodecTypeVideo {
		pt = 96
	}
	ssrc := rand.Uint32() | 1
	out, err := l.link.newOut(name, ssrc, pt)
	if err != nil {
		return nil, err
	}
	o := newOutTrack(out, nil)
	l.offer.sections = append(l.offer.sections, liteSection{mid: strconv.Itoa(l.nextMid), kind: kind, direction: dir, ssrc: ssrc, stream: stream, track: name})
	l.nextMid++
	outs := maps.Clone(*l.outs.Load())
	outs[ssrc] = o
	l.outs.Store(&outs)
	return o, nil
}

// dropOut takes a downstream track's section out of the next offer.
func (l *liteSide) dropOut(o *outTrack) {
	out, ok := o.track.(*liteOut)
	if !ok {
		return
	}
	for i := range l.offer.sections {
		if l.offer.sections[i].ssrc == out.ssrc {
			l.offer.sections[i].removed = true
		}
	}
	outs := maps.Clone(*l.outs.Load())
	delete(outs, out.ssrc)
	l.outs.Store(&outs)
}

// liteStreamOpened notes an upstream stream of the device, on the reader.
func (p *Participant) liteStreamOpened(kind webrtc.RTPCodecType, ssrc uint32, h *history) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tracks++
	if kind == webrtc.RTPCodecTypeVideo {
		p.videoSSRC = webrtc.SSRC(ssrc)
		p.videoHistory.Store(h)
	}
}

// liteFeedback acts on the device's keyframe requests and NACKs about
// one of its downstream tracks, on the reader.
func (p *Participant) liteFeedback(ssrc uint32, pkt rtcp.Packet) {
	o := (*p.lite.outs.Load())[ssrc]
	if o == nil {
		return
	}
	switch pkt := pkt.(type) {
	case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
		if f := p.feeder(o); f != nil {
			f.RequestKeyframe()
		}
	case *rtcp.TransportLayerNack:
		p.answerNack(o, pkt, &p.lite.scratch)
	}
}

// nextOffer makes the next offer and keeps it as sent (the caller holds
// mu).
func (l *liteSide) nextOffer() string {
	l.offer.sessionVersion++
	l.sent = l.offer
	l.sent.sections = slices.Clone(l.offer.sections)
	return l.sent.SDP()
}

// applyLiteAnswer reads the device's answer to the latest offer; the
// first one starts the connection.
func (p *Participant) applyLiteAnswer(sdp string) error {
	l := p.lite
	p.mu.Lock()
	answer, err := parseLiteAnswer(l.sent, sdp)
	if err != nil {
		p.mu.Unlock()
		return err
	}
	first := !l.connecting
	if !first && (answer.ufrag != l.remote.ufrag || answer.pwd != l.remote.pwd) {
		p.mu.Unlock()
		return fmt.Errorf("%w: the device's ICE credentials changed (an ICE restart is not supported)", errBadAnswer)
	}
	l.connecting, l.remote = true, answer
	p.mu.Unlock()
	if first {
		go p.liteConnect(answer)
	}
	return nil
}

// liteConnect waits for the device's ICE checks and DTLS handshake.
func (p *Participant) liteConnect(answer liteAnswer) {
	for _, s := range answer.sections {
		if s.accepted && s.transportCCID > 0 {
			p.lite.link.twccID = s.transportCCID
		}
	}
	ctx, cancel := context.WithTimeout(p.lite.ctx, liteConnectTimeout)
	defer cancel()
	err := p.lite.t.connect(ctx, answer.ufrag, answer.pwd, answer.fingerprint.String(), answer.setup == "passive")
	if err != nil {
		if !errors.Is(err, errLiteTransportClosed) && ctx.Err() == nil {
			slog.Debug("lite connect", "participant", p.ID, "err", err)
		}
		p.stopped()
		return
	}
	p.connOnce.Do(func() { close(p.connected) })
	p.negotiateWaiting()
}

// close ends the link and the transport.
func (l *liteSide) close() {
	l.closeOnce.Do(func() {
		l.cancel()
		l.link.Close()
		l.t.Close()
	})
}
