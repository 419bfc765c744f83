package media

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/pion/webrtc/v4"
)

// liteOffer is what the node offers a device on the lite transport: its
// ICE-lite credentials and host candidates, its DTLS certificate's
// fingerprint, and one media section per track slot, in the order they
// were first offered (a renegotiation keeps every section, removed ones
// included, and appends new ones).
type liteOffer struct {
	// sessionID is the o= line's session id, the same for every offer of
	// one session; sessionVersion goes up by one with each offer.
	sessionID, sessionVersion uint64
	// ufrag and pwd are the node's ICE credentials for this participant.
	ufrag, pwd string
	// fingerprint is the node's certificate's, "sha-256 AB:CD:…"
	// (certFingerprint).
	fingerprint string
	// candidates are the node's UDP host candidates, tcpCandidates its
	// passive ICE-TCP ones (RFC 6544).
	candidates, tcpCandidates []netip.AddrPort
	sections                  []liteSection
}

// liteSection is one media section of a lite offer.
type liteSection struct {
	mid  string
	kind webrtc.RTPCodecType
	// direction is the node's: sendonly for a slot carrying another
	// participant's media, sendrecv for the main slot.
	direction webrtc.RTPTransceiverDirection
	// removed marks a section taken out: it stays in the offer, port 0,
	// with its mid, since a section is never deleted from a session.
	removed bool
	// ssrc is the node's sending SSRC on the section, 0 when it sends
	// nothing there.
	ssrc uint32
	// stream and track are the msid of the node's sending track.
	stream, track string
}

// sending reports whether the node sends on the section.
func (s liteSection) sending() bool {
	return !s.removed && s.ssrc != 0 &&
		(s.direction == webrtc.RTPTransceiverDirectionSendrecv || s.direction == webrtc.RTPTransceiverDirectionSendonly)
}

// liveMids are the mids of the sections not removed, which the offer
// bundles on one transport.
func (o liteOffer) liveMids() []string {
	var mids []string
	for _, s := range o.sections {
		if !s.removed {
			mids = append(mids, s.mid)
		}
	}
	return mids
}

// SDP is the offer's text: ICE-lite, the sections bundled, DTLS actpass
// (browsers answer active and the node is the DTLS server; pion answers
// an ICE-lite offer passive), RTCP multiplexed and reduced-size, every
// candidate given at once.
func (o liteOffer) SDP() string {
	var b strings.Builder
	line := func(format string, args ...any) {
		fmt.Fprintf(&b, format, args...)
		b.WriteString("\r\n")
	}
	line("v=0")
	line("o=- %d %d IN IP4 0.0.0.0", o.sessionID, o.sessionVersion)
	line("s=-")
	line("t=0 0")
	line("a=ice-lite")
	line("a=msid-semantic:WMS *")
	line("a=fingerprint:%s", o.fingerprint)
	line("a=extmap-allow-mixed")
	if mids := o.liveMids(); len(mids) > 0 {
		line("a=group:BUNDLE %s", strings.Join(mids, " "))
	}
	for _, s := range o.sections {
		o.writeSection(line, s)
	}
	return b.String()
}

// writeSection writes one media section with line.
func (o liteOffer) writeSection(line func(string, ...any), s liteSection) {
	codecs := liteCodecs[s.kind]
	pts := make([]string, len(codecs))
	for i, c := range codecs {
		pts[i] = fmt.Sprint(c.payloadType)
	}
	port := 9
	if s.removed {
		port = 0
	}
	line("m=%s %d UDP/TLS/RTP/SAVPF %s", s.kind, port, strings.Join(pts, " "))
	line("c=IN IP4 0.0.0.0")
	line("a=mid:%s", s.mid)
	if s.removed {
		// The codecs still, which pion requires of every section.
		writeCodecs(line, codecs)
		line("a=inactive")
		return
	}
	line("a=setup:actpass")
	line("a=ice-ufrag:%s", o.ufrag)
	line("a=ice-pwd:%s", o.pwd)
	line("a=rtcp-mux")
	line("a=rtcp-rsize")
	writeCodecs(line, codecs)
	for _, e := range liteExtensions[s.kind] {
		line("a=extmap:%d %s", e.id, e.uri)
	}
	if s.sending() {
		line("a=msid:%s %s", s.stream, s.track)
		line("a=ssrc:%d cname:%s", s.ssrc, s.stream)
		line("a=ssrc:%d msid:%s %s", s.ssrc, s.stream, s.track)
	}
	line("a=%s", s.direction)
	for i, c := range o.candidates {
		// Host candidates, the first preferred (RFC 8445 5.1.2.1: type
		// preference 126, local preference falling with the index).
		priority := 126<<24 | (65535-i)<<8 | 255
		line("a=candidate:%d 1 udp %d %s %d typ host", i+1, priority, c.Addr().Unmap(), c.Port())
	}
	for i, c := range o.tcpCandidates {
		// After every UDP one: a device takes TCP only when UDP fails
		// (RFC 6544 4.2: a passive host candidate's direction
		// preference, 4, above a local preference of its own).
		priority := 126<<24 | (4<<13|(8191-i))<<8 | 255
		line("a=candidate:%d 1 tcp %d %s %d typ host tcptype passive", len(o.candidates)+i+1, priority, c.Addr().Unmap(), c.Port())
	}
	line("a=end-of-candidates")
}

// writeCodecs writes the rtpmap, fmtp and rtcp-fb lines of codecs.
func writeCodecs(line func(string, ...any), codecs []liteCodec) {
	for _, c := range codecs {
		if c.channels > 0 {
			line("a=rtpmap:%d %s/%d/%d", c.payloadType, c.name, c.clockRate, c.channels)
		} else {
			line("a=rtpmap:%d %s/%d", c.payloadType, c.name, c.clockRate)
		}
		if c.fmtp != "" {
			line("a=fmtp:%d %s", c.payloadType, c.fmtp)
		}
		for _, fb := range c.feedback {
			line("a=rtcp-fb:%d %s", c.payloadType, fb)
		}
	}
}
