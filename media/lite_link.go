package media

import (
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// liteLink is one participant's media on a lite transport, between the
// transport and the room: what the device sends is read on the socket's
// reader through pion's interceptors (NACK requests for what did not
// arrive, receiver reports, transport-wide congestion feedback, so the
// device's encoder adapts) and handed on as parsed packets, video by way
// of a history that answers the device's receivers' retransmission
// requests; what the device receives is written through pion's sender
// reports. The interceptors are pion's own, bound to streams the link
// feeds by hand: no goroutine and no copy stands between them and the
// socket.
type liteLink struct {
	t     *liteTransport
	chain interceptor.Interceptor
	// codecs are the payload types the answer kept, by number.
	codecs map[uint8]linkCodec
	// twccID is the transport-cc header extension's id (0: none).
	twccID int

	// onPacket gets each upstream packet, parsed, on the reader; it must
	// not keep it.
	onPacket func(kind webrtc.RTPCodecType, pkt *rtp.Packet)
	// onFeedback gets each keyframe request and NACK of the device's
	// receivers, with the downstream SSRC it is about.
	onFeedback func(ssrc uint32, pkt rtcp.Packet)
	// onStream is told of each upstream stream as it opens, on the
	// reader, with its history (nil for audio).
	onStream func(kind webrtc.RTPCodecType, ssrc uint32, h *history)

	// streams are the upstream streams by SSRC: a copy-on-write map,
	// replaced whole by the reader when a stream opens, read by any
	// reader that answers a NACK from a history.
	streams atomic.Pointer[map[uint32]*liteUpstream]
	rtcpIn  interceptor.RTCPReader
	pkt     rtp.Packet // the reader's packet handed to onPacket

	mu   sync.Mutex
	outs []*liteOut
}

// linkCodec is a payload type's codec.
type linkCodec struct {
	kind      webrtc.RTPCodecType
	mimeType  string
	clockRate uint32
	channels  uint16
}

// linkCodecOf is the offered codec of a payload type (liteCodecs), as
// the interceptors describe a stream.
func linkCodecOf(pt uint8) (linkCodec, bool) {
	for kind, codecs := range liteCodecs {
		for _, c := range codecs {
			if c.payloadType == pt {
				return linkCodec{kind: kind, mimeType: kind.String() + "/" + c.name, clockRate: c.clockRate, channels: c.channels}, true
			}
		}
	}
	return linkCodec{}, false
}

// maxLiteStreams bounds the upstream streams a device may open.
const maxLiteStreams = maxTracksPerParticipant

// liteUpstream is one upstream stream: its interceptors' reader and, for
// video, the history its packets are kept in.
type liteUpstream struct {
	kind    webrtc.RTPCodecType
	reader  interceptor.RTPReader
	attrs   interceptor.Attributes
	history *history
}

// newLiteLink binds a link to a connected-or-connecting transport, for
// the payload types and transport-cc extension id the answer kept; the
// node's media counters go to stats when it is not nil.
func newLiteLink(t *liteTransport, payloadTypes []uint8, twccID int, stats *sfuStats) (*liteLink, error) {
	reg := &interceptor.Registry{}
	if stats != nil {
		// Innermost: it counts every packet read and written, and the
		// NACKs the generator writes through it.
		reg.Add(statsInterceptorFactory{stats: stats})
	}
	generator, err := nack.NewGeneratorInterceptor()
	if err != nil {
		return nil, fmt.Errorf("NACK: %w", err)
	}
	receiver, err := report.NewReceiverInterceptor()
	if err != nil {
		return nil, fmt.Errorf("receiver reports: %w", err)
	}
	sender, err := report.NewSenderInterceptor()
	if err != nil {
		return nil, fmt.Errorf("sender reports: %w", err)
	}
	feedback, err := twcc.NewSenderInterceptor()
	if err != nil {
		return nil, fmt.Errorf("transport-cc: %w", err)
	}
	reg.Add(generator)
	reg.Add(receiver)
	reg.Add(sender)
	reg.Add(feedback)
	chain, err := reg.Build(t.ufrag)
	if err != nil {
		return nil, fmt.Errorf("interceptors: %w", err)
	}
	l := &liteLink{t: t, chain: chain, codecs: map[uint8]linkCodec{}, twccID: twccID}
	l.streams.Store(&map[uint32]*liteUpstream{})
	for _, pt := range payloadTypes {
		if c, ok := linkCodecOf(pt); ok {
			l.codecs[pt] = c
		}
	}
	chain.BindRTCPWriter(interceptor.RTCPWriterFunc(func(pkts []rtcp.Packet, _ interceptor.Attributes) (int, error) {
		return 0, t.WriteRTCP(pkts)
	}))
	// The reader hands each RTCP packet in already read: the innermost
	// reader has nothing to do.
	l.rtcpIn = chain.BindRTCPReader(interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		return len(b), a, nil
	}))
	t.onRTP = l.readRTP
	t.onRTCP = l.readRTCP
	return l, nil
}

// streamInfo describes a stream of the codec to the interceptors.
func (l *liteLink) streamInfo(ssrc uint32, pt uint8, c linkCodec) *interceptor.StreamInfo {
	info := &interceptor.StreamInfo{SSRC: ssrc, PayloadType: pt, MimeType: c.mimeType, ClockRate: c.clockRate, Channels: c.channels,
		RTCPFeedback: []interceptor.RTCPFeedback{{Type: "transport-cc"}}}
	if c.kind == webrtc.RTPCodecTypeVideo {
		info.RTCPFeedback = append(info.RTCPFeedback, interceptor.RTCPFeedback{Type: "nack"}, interceptor.RTCPFeedback{Type: "nack", Parameter: "pli"})
	}
	if l.twccID > 0 {
		info.RTPHeaderExtensions = []interceptor.RTPHeaderExtension{{URI: sdp.TransportCCURI, ID: l.twccID}}
	}
	return info
}

// upstream returns the stream of an upstream packet, opened on its first
// packet, or nil when its payload type was not negotiated or the device
// has as many streams as it may.
func (l *liteLink) upstream(h *rtp.Header) *liteUpstream {
	streams := *l.streams.Load()
	if s := streams[h.SSRC]; s != nil {
		return s
	}
	c, ok := l.codecs[h.PayloadType]
	if !ok || len(streams) >= maxLiteStreams {
		return nil
	}
	s := &liteUpstream{kind: c.kind, attrs: interceptor.Attributes{}}
	// The packet is in the buffer handed to Read already.
	s.reader = l.chain.BindRemoteStream(l.streamInfo(h.SSRC, h.PayloadType, c),
		interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
			return len(b), a, nil
		}))
	if c.kind == webrtc.RTPCodecTypeVideo {
		s.history = &history{}
	}
	grown := maps.Clone(streams)
	grown[h.SSRC] = s
	l.streams.Store(&grown)
	if l.onStream != nil {
		l.onStream(c.kind, h.SSRC, s.history)
	}
	return s
}

// readRTP takes one decrypted upstream packet, on the reader.
func (l *liteLink) readRTP(h *rtp.Header, packet []byte) {
	s := l.upstream(h)
	if s == nil {
		return
	}
	clear(s.attrs)
	s.attrs[rtpHeaderKey] = h
	if _, _, err := s.reader.Read(packet, s.attrs); err != nil {
		return
	}
	if s.history != nil {
		buf, slot := s.history.fill()
		n := copy(buf, packet)
		s.history.done(slot, n, h.SequenceNumber, n == len(packet))
	}
	if l.onPacket == nil {
		return
	}
	if h.Padding {
		if l.pkt.Unmarshal(packet) != nil {
			return
		}
	} else {
		l.pkt.Header, l.pkt.Payload, l.pkt.PaddingSize = *h, packet[h.MarshalSize():], 0
	}
	l.onPacket(s.kind, &l.pkt)
}

// readRTCP takes one decrypted compound RTCP packet of the device, on
// the reader: the interceptors read it (sender reports for the receiver
// reports' round trip), and keyframe requests and NACKs go to onFeedback.
func (l *liteLink) readRTCP(raw []byte, pkts []rtcp.Packet) {
	l.rtcpIn.Read(raw, nil)
	if l.onFeedback == nil {
		return
	}
	for _, p := range pkts {
		switch p := p.(type) {
		case *rtcp.PictureLossIndication:
			l.onFeedback(p.MediaSSRC, p)
		case *rtcp.FullIntraRequest:
			l.onFeedback(p.MediaSSRC, p)
		case *rtcp.TransportLayerNack:
			l.onFeedback(p.MediaSSRC, p)
		}
	}
}

// resend writes again, on out, the video packet of the upstream stream
// ssrc with sequence number seq, if its history still holds it.
func (l *liteLink) resend(ssrc uint32, seq uint16, out *liteOut, scratch *rtp.Packet) bool {
	s := (*l.streams.Load())[ssrc]
	if s == nil || s.history == nil {
		return false
	}
	return s.history.resend(seq, scratch, func(pkt *rtp.Packet) {
		if err := out.WriteRTP(pkt); err != nil {
			slog.Debug("lite resend", "ssrc", out.ssrc, "err", err)
		}
	})
}

// RequestKeyframe asks the device for a keyframe of its upstream video.
func (l *liteLink) RequestKeyframe(ssrc uint32) error {
	return l.t.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}})
}

// Close unbinds the interceptors; the transport is closed by its owner.
func (l *liteLink) Close() error { return l.chain.Close() }

// liteOut is one downstream track on a link: what the room writes to it
// goes out with the track's SSRC and payload type, through the sender
// reports' interceptor.
type liteOut struct {
	id     string
	kind   webrtc.RTPCodecType
	ssrc   uint32
	pt     uint8
	writer interceptor.RTPWriter
	// mu guards header: the writes of one track come from the reader of
	// its source and from resends.
	mu     sync.Mutex
	header rtp.Header
}

// newOut opens a downstream track of the payload type's codec with the
// SSRC the offer announced.
func (l *liteLink) newOut(id string, ssrc uint32, pt uint8) (*liteOut, error) {
	c, ok := linkCodecOf(pt)
	if !ok {
		return nil, fmt.Errorf("payload type %d is not one the node offers", pt)
	}
	o := &liteOut{id: id, kind: c.kind, ssrc: ssrc, pt: pt}
	info := &interceptor.StreamInfo{SSRC: ssrc, PayloadType: pt, MimeType: c.mimeType, ClockRate: c.clockRate, Channels: c.channels}
	o.writer = l.chain.BindLocalStream(info, interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, _ interceptor.Attributes) (int, error) {
		return len(payload), l.t.WriteRTP(h, payload)
	}))
	l.mu.Lock()
	l.outs = append(l.outs, o)
	l.mu.Unlock()
	return o, nil
}

// WriteRTP sends a packet on the track: the sender's header with the
// track's SSRC and payload type, and none of the sender's header
// extensions (they name the sender's transport, not this one).
func (o *liteOut) WriteRTP(pkt *rtp.Packet) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.header = pkt.Header
	o.header.SSRC, o.header.PayloadType = o.ssrc, o.pt
	o.header.Extension, o.header.Extensions, o.header.ExtensionProfile = false, nil, 0
	o.header.Padding = false // the payload has no padding: Unmarshal took it off
	_, err := o.writer.Write(&o.header, pkt.Payload, nil)
	return err
}

// Kind is the track's media kind.
func (o *liteOut) Kind() webrtc.RTPCodecType { return o.kind }

// ID is the track's id.
func (o *liteOut) ID() string { return o.id }
