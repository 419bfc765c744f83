package media

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// The SDP of the lite transport (lite_transport.go): the node has no peer
// connection there, so it writes its offers itself (lite_sdp_offer.go) and
// reads the device's answers itself (lite_sdp_answer.go). What it offers
// mirrors what the pion peer connection of a participant offers today
// (NewSFU's media engine), cut down to what the node forwards: Opus and
// VP8, the same payload types, feedback and header extension ids, so a
// device sees the same session whichever transport the node uses. It
// offers no RTX (the node resends lost packets on their own SSRC, from
// history.go), no cryptex (its SRTP does not encrypt header extensions)
// and no simulcast.

// errBadAnswer is wrapped by every error of parseLiteAnswer: the device
// sent an answer the node cannot use, which a handler reports as the
// client's fault (400), with the sentence that follows it.
var errBadAnswer = errors.New("the SDP answer is not acceptable")

// badAnswer is an error wrapping errBadAnswer, saying why.
func badAnswer(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBadAnswer, fmt.Sprintf(format, args...))
}

// Limits on an answer, checked before anything else is read: a device's
// answer to the largest offer the node makes is far smaller.
const (
	// maxLiteAnswerBytes is the largest answer read.
	maxLiteAnswerBytes = 64 << 10
	// maxLiteAnswerLines bounds the lines of an answer.
	maxLiteAnswerLines = 4096
	// maxLiteSections bounds the media sections of an offer and an answer:
	// an audio and a video section for each of 64 senders.
	maxLiteSections = 128
	// maxLiteSSRCs bounds the SSRCs of a section: three simulcast layers
	// with their retransmission SSRCs are six.
	maxLiteSSRCs = 16
)

// liteCodec is one codec the node offers, with its payload type.
type liteCodec struct {
	payloadType uint8
	name        string // as in rtpmap: "opus", "VP8"
	clockRate   uint32
	channels    uint16 // 0 when rtpmap gives none
	fmtp        string // "" for none
	feedback    []string
}

// liteExtension is an RTP header extension the node offers, with its id.
type liteExtension struct {
	id  int
	uri string
}

// The header extensions whose ids the node needs from an answer.
const (
	transportCCURI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
	sdesMidURI     = "urn:ietf:params:rtp-hdrext:sdes:mid"
)

// liteCodecs are the codecs offered for each kind, as pion's media engine
// numbers them (RegisterDefaultCodecs) and with the feedback NewSFU
// registers.
var liteCodecs = map[webrtc.RTPCodecType][]liteCodec{
	webrtc.RTPCodecTypeAudio: {{payloadType: 111, name: "opus", clockRate: 48000, channels: 2,
		fmtp: "minptime=10;useinbandfec=1", feedback: []string{"transport-cc"}}},
	webrtc.RTPCodecTypeVideo: {{payloadType: 96, name: "VP8", clockRate: 90000,
		feedback: []string{"goog-remb", "ccm fir", "nack", "nack pli", "transport-cc"}}},
}

// liteExtensions are the header extensions offered for each kind, with
// the ids the pion offer gives them (ConfigureTWCCSender and
// ConfigureSimulcastExtensionHeaders): only transport-cc for audio.
var liteExtensions = map[webrtc.RTPCodecType][]liteExtension{
	webrtc.RTPCodecTypeAudio: {{4, transportCCURI}},
	webrtc.RTPCodecTypeVideo: {
		{1, sdesMidURI},
		{2, "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"},
		{3, "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"},
		{4, transportCCURI},
	},
}

// offeredCodec returns the codec offered for kind on payload type pt.
func offeredCodec(kind webrtc.RTPCodecType, pt uint8) (liteCodec, bool) {
	for _, c := range liteCodecs[kind] {
		if c.payloadType == pt {
			return c, true
		}
	}
	return liteCodec{}, false
}

// offeredExtensionID returns the id offered for the extension uri on a
// section of kind, or 0 when it is not offered there.
func offeredExtensionID(kind webrtc.RTPCodecType, uri string) int {
	for _, e := range liteExtensions[kind] {
		if e.uri == uri {
			return e.id
		}
	}
	return 0
}

// readAnswerSection reads the device's answer md to the offered section
// off: the same mid and kind; for an accepted one, a direction that fits
// the offer's, RTCP multiplexed, and only codecs and header extensions
// the offer had for the kind.
func readAnswerSection(off liteSection, md *sdp.MediaDescription) (liteAnswerSection, error) {
	s := liteAnswerSection{mid: off.mid, kind: off.kind, accepted: md.MediaName.Port.Value != 0}
	mid, hasMid := md.Attribute("mid")
	switch {
	case md.MediaName.Media != off.kind.String():
		return s, badAnswer("the answer's section %q is %q where the offer's is %s", off.mid, md.MediaName.Media, off.kind)
	case hasMid && mid != off.mid:
		return s, badAnswer("the answer has mid %q where the offer has %q", mid, off.mid)
	case !hasMid && s.accepted:
		return s, badAnswer("the answer's accepted section in the place of %q has no mid", off.mid)
	case off.removed && s.accepted:
		return s, badAnswer("the answer accepts section %q, which the offer removed", off.mid)
	case !s.accepted:
		return s, nil
	case !slices.Equal(md.MediaName.Protos, []string{"UDP", "TLS", "RTP", "SAVPF"}):
		return s, badAnswer("the answer's section %q is %q, not UDP/TLS/RTP/SAVPF", off.mid, strings.Join(md.MediaName.Protos, "/"))
	}
	if _, ok := md.Attribute("rtcp-mux"); !ok {
		return s, badAnswer("the answer's section %q does not multiplex RTCP (a=rtcp-mux)", off.mid)
	}
	var err error
	if s.direction, err = answerDirection(off, md); err != nil {
		return s, err
	}
	if s.payloadTypes, err = answerPayloadTypes(off, md); err != nil {
		return s, err
	}
	if err := s.readAttributes(md); err != nil {
		return s, err
	}
	return s, nil
}

// answerDirection is the device's direction on the section, which must
// answer the offer's (RFC 3264 6.1): the device cannot send where the
// node does not receive, nor receive where the node does not send.
func answerDirection(off liteSection, md *sdp.MediaDescription) (webrtc.RTPTransceiverDirection, error) {
	dir := webrtc.RTPTransceiverDirectionSendrecv // when none is given
	for _, attr := range md.Attributes {
		if d := webrtc.NewRTPTransceiverDirection(attr.Key); d != webrtc.RTPTransceiverDirectionUnknown {
			dir = d
		}
	}
	deviceSends := dir == webrtc.RTPTransceiverDirectionSendrecv || dir == webrtc.RTPTransceiverDirectionSendonly
	deviceReceives := dir == webrtc.RTPTransceiverDirectionSendrecv || dir == webrtc.RTPTransceiverDirectionRecvonly
	nodeSends := off.direction == webrtc.RTPTransceiverDirectionSendrecv || off.direction == webrtc.RTPTransceiverDirectionSendonly
	nodeReceives := off.direction == webrtc.RTPTransceiverDirectionSendrecv || off.direction == webrtc.RTPTransceiverDirectionRecvonly
	if (deviceSends && !nodeReceives) || (deviceReceives && !nodeSends) {
		return dir, badAnswer("the answer's section %q is %s, which does not answer the offer's %s", off.mid, dir, off.direction)
	}
	return dir, nil
}

// answerPayloadTypes are the payload types the device kept, each one
// offered for the kind and, when the answer maps it, to the same codec.
func answerPayloadTypes(off liteSection, md *sdp.MediaDescription) ([]uint8, error) {
	if len(md.MediaName.Formats) == 0 {
		return nil, badAnswer("the answer's section %q keeps no payload type", off.mid)
	}
	pts := make([]uint8, 0, len(md.MediaName.Formats))
	for _, f := range md.MediaName.Formats {
		n, err := strconv.ParseUint(f, 10, 7)
		if err != nil {
			return nil, badAnswer("the answer's section %q has payload type %q, not a number from 0 to 127", off.mid, f)
		}
		codec, ok := offeredCodec(off.kind, uint8(n))
		if !ok {
			return nil, badAnswer("the answer's section %q has payload type %d, which the offer did not have for %s", off.mid, n, off.kind)
		}
		if name, ok := rtpmapName(md, f); ok && !strings.EqualFold(name, codec.name) {
			return nil, badAnswer("the answer's section %q maps payload type %d to %s, where the offer has %s", off.mid, n, name, codec.name)
		}
		pts = append(pts, uint8(n))
	}
	return pts, nil
}

// rtpmapName is the codec name the section's a=rtpmap gives payload type
// pt, if it has one.
func rtpmapName(md *sdp.MediaDescription, pt string) (string, bool) {
	for _, attr := range md.Attributes {
		if attr.Key != "rtpmap" {
			continue
		}
		if num, codec, _ := strings.Cut(strings.TrimSpace(attr.Value), " "); num == pt {
			name, _, _ := strings.Cut(codec, "/")
			return name, true
		}
	}
	return "", false
}

// readAttributes reads the device's SSRCs, rids and header extension
// ids; an extension must have the id and URI the offer gave it.
func (s *liteAnswerSection) readAttributes(md *sdp.MediaDescription) error {
	used := map[int]bool{}
	for _, attr := range md.Attributes {
		v := strings.TrimSpace(attr.Value)
		switch attr.Key {
		case "ssrc":
			id, _, _ := strings.Cut(v, " ")
			ssrc, err := strconv.ParseUint(id, 10, 32)
			if err != nil {
				return badAnswer("the answer's section %q has SSRC %q, not a 32-bit number", s.mid, id)
			}
			if slices.Contains(s.ssrcs, uint32(ssrc)) {
				continue
			}
			if len(s.ssrcs) == maxLiteSSRCs {
				return badAnswer("the answer's section %q lists more than %d SSRCs", s.mid, maxLiteSSRCs)
			}
			s.ssrcs = append(s.ssrcs, uint32(ssrc))
		case "ssrc-group":
			if err := s.readGroup(v); err != nil {
				return err
			}
		case "rid":
			id, _, _ := strings.Cut(v, " ")
			s.rids = append(s.rids, id)
		case "extmap":
			if err := s.readExtension(v, used); err != nil {
				return err
			}
		}
	}
	return nil
}

// readGroup reads an a=ssrc-group: FID pairs are kept, other semantics
// (SIM, FEC-FR) ignored.
func (s *liteAnswerSection) readGroup(v string) error {
	f := strings.Fields(v)
	if len(f) == 0 || f[0] != "FID" {
		return nil
	}
	if len(f) != 3 {
		return badAnswer("the answer's section %q has an FID group of %d SSRCs, not 2", s.mid, len(f)-1)
	}
	var pair [2]uint32
	for i, id := range f[1:] {
		n, err := strconv.ParseUint(id, 10, 32)
		if err != nil {
			return badAnswer("the answer's section %q has SSRC %q in an FID group, not a 32-bit number", s.mid, id)
		}
		pair[i] = uint32(n)
	}
	s.fid = append(s.fid, pair)
	return nil
}

// readExtension reads an a=extmap ("id[/direction] uri [attributes]").
func (s *liteAnswerSection) readExtension(v string, used map[int]bool) error {
	f := strings.Fields(v)
	if len(f) < 2 {
		return badAnswer("the answer's section %q has an a=extmap without a URI", s.mid)
	}
	idText, _, _ := strings.Cut(f[0], "/")
	id, err := strconv.Atoi(idText)
	if err != nil || id < 1 || id > 255 {
		return badAnswer("the answer's section %q has header extension id %q, not 1 to 255", s.mid, idText)
	}
	uri := f[1]
	if want := offeredExtensionID(s.kind, uri); want != id {
		return badAnswer("the answer's section %q uses header extension %d for %s, which the offer did not have", s.mid, id, uri)
	}
	if used[id] {
		return badAnswer("the answer's section %q maps header extension id %d twice", s.mid, id)
	}
	used[id] = true
	switch uri {
	case transportCCURI:
		s.transportCCID = id
	case sdesMidURI:
		s.midID = id
	}
	return nil
}
