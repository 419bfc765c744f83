package media

import (
	"slices"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// liteAnswer is what the node takes from a device's answer to a lite
// offer, checked against that offer by parseLiteAnswer.
type liteAnswer struct {
	// ufrag and pwd are the device's ICE credentials.
	ufrag, pwd  string
	fingerprint liteFingerprint
	// setup is the DTLS role the device took: "active" (browsers: the
	// node is the DTLS server) or "passive" (pion answering an ICE-lite
	// offer: the node is the client).
	setup    string
	sections []liteAnswerSection
}

// liteFingerprint is the device's certificate's fingerprint.
type liteFingerprint struct {
	algorithm string // always "sha-256"
	value     string // "AB:CD:…", as the answer wrote it
}

// String is the fingerprint as liteTransport.Connect takes it.
func (f liteFingerprint) String() string { return f.algorithm + " " + f.value }

// liteAnswerSection is the device's answer to one section of the offer,
// in the offer's order.
type liteAnswerSection struct {
	mid  string
	kind webrtc.RTPCodecType
	// accepted is false for a section the device rejected (port 0) or the
	// offer removed; nothing below is set then.
	accepted bool
	// direction is the device's.
	direction webrtc.RTPTransceiverDirection
	// payloadTypes are those the device kept, each one the offer had for
	// the kind, in the answer's order of preference.
	payloadTypes []uint8
	// ssrcs are the device's sending SSRCs listed (a=ssrc), in order of
	// first mention; fid pairs a primary SSRC with its retransmission one
	// (a=ssrc-group:FID).
	ssrcs []uint32
	fid   [][2]uint32
	// rids are the restriction ids the device listed (a=rid), if any.
	rids []string
	// transportCCID and midID are the ids of those header extensions on
	// the section, 0 when the answer did not keep them.
	transportCCID, midID int
}

// parseLiteAnswer reads a device's answer to offer and checks that the
// node can use it: the offer's sections in its order, every accepted one
// bundled on one transport with ICE credentials, a sha-256 fingerprint,
// a DTLS role chosen (active or passive), RTCP multiplexed, and only the
// codecs and header extensions offered. Every error wraps errBadAnswer.
func parseLiteAnswer(offer liteOffer, text string) (liteAnswer, error) {
	if len(text) > maxLiteAnswerBytes {
		return liteAnswer{}, badAnswer("the answer is larger than %d KiB", maxLiteAnswerBytes>>10)
	}
	if strings.TrimSpace(text) == "" {
		return liteAnswer{}, badAnswer("the answer is empty")
	}
	if n := strings.Count(text, "\n") + 1; n > maxLiteAnswerLines {
		return liteAnswer{}, badAnswer("the answer has %d lines, more than %d", n, maxLiteAnswerLines)
	}
	var desc sdp.SessionDescription
	if err := desc.UnmarshalString(text); err != nil {
		return liteAnswer{}, badAnswer("the answer is not SDP (%v)", err)
	}
	if n := len(desc.MediaDescriptions); n > maxLiteSections {
		return liteAnswer{}, badAnswer("the answer has %d media sections, more than %d", n, maxLiteSections)
	}
	if got, want := len(desc.MediaDescriptions), len(offer.sections); got != want {
		return liteAnswer{}, badAnswer("the answer has %d media sections where the offer has %d", got, want)
	}
	answer := liteAnswer{sections: make([]liteAnswerSection, len(offer.sections))}
	var err error
	for i, md := range desc.MediaDescriptions {
		if answer.sections[i], err = readAnswerSection(offer.sections[i], md); err != nil {
			return liteAnswer{}, err
		}
	}
	if err := answer.readTransport(&desc); err != nil {
		return liteAnswer{}, err
	}
	return answer, nil
}

// readTransport reads what all the accepted sections share, the transport
// they are bundled on: the BUNDLE group, ICE credentials, fingerprint and
// DTLS role, which each section gives (or the session for all of them)
// and all must give alike.
func (a *liteAnswer) readTransport(desc *sdp.SessionDescription) error {
	if err := a.checkBundle(desc); err != nil {
		return err
	}
	for i, md := range desc.MediaDescriptions {
		s := a.sections[i]
		if !s.accepted {
			continue
		}
		ufrag, pwd := attribute(desc, md, "ice-ufrag"), attribute(desc, md, "ice-pwd")
		setup := attribute(desc, md, "setup")
		fp, err := readFingerprint(desc, md)
		if err != nil {
			return err
		}
		if a.setup == "" {
			a.ufrag, a.pwd, a.setup, a.fingerprint = ufrag, pwd, setup, fp
			if err := a.checkFirstTransport(); err != nil {
				return err
			}
			continue
		}
		if ufrag != a.ufrag || pwd != a.pwd || setup != a.setup || fp != a.fingerprint {
			return badAnswer("section %q gives other ICE credentials, fingerprint or DTLS role than section %q of its BUNDLE group", s.mid, a.firstAccepted())
		}
	}
	return nil
}

// checkFirstTransport checks the credentials and role of the first
// accepted section, which the others must repeat.
func (a *liteAnswer) checkFirstTransport() error {
	switch {
	case a.ufrag == "":
		return badAnswer("the answer has no ICE username fragment")
	case a.pwd == "":
		return badAnswer("the answer has no ICE password")
	case len(a.ufrag) < 4 || len(a.ufrag) > 256:
		return badAnswer("the answer's ICE username fragment has %d characters, not 4 to 256", len(a.ufrag))
	case len(a.pwd) < 22 || len(a.pwd) > 256:
		return badAnswer("the answer's ICE password has %d characters, not 22 to 256", len(a.pwd))
	case !isICEString(a.ufrag) || !isICEString(a.pwd):
		return badAnswer("the answer's ICE credentials have characters other than letters, digits, + and /")
	case a.setup == "":
		return badAnswer("the answer has no DTLS role (a=setup)")
	case a.setup != "active" && a.setup != "passive":
		// active: the device is the DTLS client (browsers); passive: the
		// server (pion answering an ICE-lite offer), the node the client.
		return badAnswer("the answer's DTLS role is %q, where an answer must choose active or passive", a.setup)
	}
	return nil
}

// checkBundle checks that the answer bundles exactly its accepted
// sections, in one group: the node has one transport per participant.
func (a *liteAnswer) checkBundle(desc *sdp.SessionDescription) error {
	var accepted, group []string
	for _, s := range a.sections {
		if s.accepted {
			accepted = append(accepted, s.mid)
		}
	}
	if len(accepted) == 0 {
		return badAnswer("the answer accepts no media section")
	}
	for _, attr := range desc.Attributes {
		if attr.Key != "group" || !strings.HasPrefix(attr.Value, "BUNDLE") {
			continue
		}
		if group != nil {
			return badAnswer("the answer has more than one BUNDLE group")
		}
		group = strings.Fields(strings.TrimPrefix(attr.Value, "BUNDLE"))
		if group == nil {
			group = []string{}
		}
	}
	if group == nil {
		return badAnswer("the answer does not bundle its media sections (no a=group:BUNDLE)")
	}
	sorted := slices.Sorted(slices.Values(group))
	if !slices.Equal(sorted, slices.Sorted(slices.Values(accepted))) {
		return badAnswer("the answer bundles %q, where it accepts the sections %q", group, accepted)
	}
	return nil
}

// firstAccepted is the mid of the first accepted section.
func (a *liteAnswer) firstAccepted() string {
	for _, s := range a.sections {
		if s.accepted {
			return s.mid
		}
	}
	return ""
}

// attribute is a section's attribute, or the session's when the section
// has none.
func attribute(desc *sdp.SessionDescription, md *sdp.MediaDescription, key string) string {
	if v, ok := md.Attribute(key); ok {
		return strings.TrimSpace(v)
	}
	v, _ := desc.Attribute(key)
	return strings.TrimSpace(v)
}

// readFingerprint is the section's sha-256 fingerprint (or the session's
// when the section gives none); others are refused, the node checking
// only sha-256 (certFingerprint).
func readFingerprint(desc *sdp.SessionDescription, md *sdp.MediaDescription) (liteFingerprint, error) {
	attrs := md.Attributes
	if _, ok := md.Attribute("fingerprint"); !ok {
		attrs = desc.Attributes
	}
	other := ""
	for _, attr := range attrs {
		if attr.Key != "fingerprint" {
			continue
		}
		alg, value, _ := strings.Cut(strings.TrimSpace(attr.Value), " ")
		if !strings.EqualFold(alg, "sha-256") {
			other = alg
			continue
		}
		if !isSHA256Fingerprint(value) {
			return liteFingerprint{}, badAnswer("the answer's sha-256 fingerprint %q is not 32 hex bytes separated by colons", value)
		}
		return liteFingerprint{algorithm: "sha-256", value: value}, nil
	}
	if other != "" {
		return liteFingerprint{}, badAnswer("the answer's fingerprint is %s, and only sha-256 is accepted", other)
	}
	return liteFingerprint{}, badAnswer("the answer has no certificate fingerprint")
}

// isSHA256Fingerprint reports whether v is 32 bytes in hex, colon
// separated.
func isSHA256Fingerprint(v string) bool {
	bytes := strings.Split(v, ":")
	if len(bytes) != 32 {
		return false
	}
	for _, b := range bytes {
		if _, err := strconv.ParseUint(b, 16, 8); err != nil || len(b) != 2 {
			return false
		}
	}
	return true
}

// isICEString reports whether s has only ice-chars (RFC 8839 5.4:
// letters, digits, "+" and "/").
func isICEString(s string) bool {
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}
