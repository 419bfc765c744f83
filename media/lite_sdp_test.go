package media

import (
	"errors"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// The fixed values of the offers the tests make: the answer Chromium
// wrote (testdata/chromium-answer-to-lite-offer.sdp) answers
// chromiumLiteOffer, so that offer must not change.
const (
	testLiteUfrag       = "nodeUfrag0000001"
	testLitePwd         = "nodePassword+0000000000000000001"
	testLiteFingerprint = "sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08"
)

// testLiteOffer is an offer with the fixed credentials and one host
// candidate, of the sections given.
func testLiteOffer(sections ...liteSection) liteOffer {
	return liteOffer{sessionID: 4242, sessionVersion: 1, ufrag: testLiteUfrag, pwd: testLitePwd, fingerprint: testLiteFingerprint,
		candidates:    []netip.AddrPort{netip.MustParseAddrPort("192.0.2.10:3478")},
		tcpCandidates: []netip.AddrPort{netip.MustParseAddrPort("192.0.2.10:3479")}, sections: sections}
}

// mainSlot is a participant's main slot: audio and video both ways.
func mainSlot() []liteSection {
	return []liteSection{
		{mid: "0", kind: webrtc.RTPCodecTypeAudio, direction: webrtc.RTPTransceiverDirectionSendrecv, ssrc: 1001, stream: "livemall-a", track: "audio-1"},
		{mid: "1", kind: webrtc.RTPCodecTypeVideo, direction: webrtc.RTPTransceiverDirectionSendrecv, ssrc: 1002, stream: "livemall-a", track: "video-2"},
	}
}

// extraSlot is a slot carrying another sender's audio and video to the
// device, on mids first and first+1.
func extraSlot(first int) []liteSection {
	return []liteSection{
		{mid: itoa(first), kind: webrtc.RTPCodecTypeAudio, direction: webrtc.RTPTransceiverDirectionSendonly, ssrc: 2001, stream: "livemall-b", track: "audio-3"},
		{mid: itoa(first + 1), kind: webrtc.RTPCodecTypeVideo, direction: webrtc.RTPTransceiverDirectionSendonly, ssrc: 2002, stream: "livemall-b", track: "video-4"},
	}
}

// itoa is a mid of a number.
func itoa(n int) string { return string(rune('0' + n)) }

// chromiumLiteOffer is the offer Chromium answered in the fixture: the
// main slot and an extra one.
func chromiumLiteOffer() liteOffer { return testLiteOffer(append(mainSlot(), extraSlot(2)...)...) }

// withRemoved is sections with the one at i removed.
func withRemoved(sections []liteSection, i int) []liteSection {
	sections = slices.Clone(sections)
	sections[i].removed, sections[i].ssrc = true, 0
	return sections
}

// liteDeviceAPI is pion as the Go phones use it (NewLoopbackClientAPI)
// but answering as the DTLS client, as browsers do. Left alone, pion
// answers an ICE-lite offer as the DTLS server, setup:passive
// (pion/webrtc#2110: the ICE-controlling side takes the DTLS server
// role).
func liteDeviceAPI(t testing.TB) *webrtc.API {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	reg := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, reg); err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	if err := se.SetAnsweringDTLSRole(webrtc.DTLSRoleClient); err != nil {
		t.Fatal(err)
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
}

// pionAnswer is the answer to offer of a pion device on api, with an
// audio and a video track added before the offer; with the device's peer
// connection and its local description.
func pionAnswer(t testing.TB, api *webrtc.API, offer liteOffer) (answer string, pc *webrtc.PeerConnection, local sdp.SessionDescription) {
	t.Helper()
	cp, err := NewClientPeer(api, webrtc.Configuration{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cp.Close() })
	audio, _ := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "device")
	video, _ := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", "device")
	for _, tr := range []webrtc.TrackLocal{audio, video} {
		if _, err := cp.PC.AddTrack(tr); err != nil {
			t.Fatal(err)
		}
	}
	if answer, err = cp.AnswerOffer(offer.SDP()); err != nil {
		t.Fatalf("pion does not take the lite offer: %v\n%s", err, offer.SDP())
	}
	if err := local.UnmarshalString(cp.PC.LocalDescription().SDP); err != nil {
		t.Fatal(err)
	}
	return answer, cp.PC, local
}

// TestALiteOfferIsAnsweredByPion: a pion device takes the node's lite
// offer — the main slot, with an extra slot, with a removed section — and
// its answer reads back with its own credentials, fingerprint and sending
// SSRCs, Opus and VP8 on the node's payload types and transport-cc on
// video; DTLS passive from the Go phones' pion as it is
// (NewLoopbackClientAPI), active from one told to be the client.
func TestALiteOfferIsAnsweredByPion(t *testing.T) {
	cases := []struct {
		name     string
		sections []liteSection
	}{
		{"main slot", mainSlot()},
		{"main and extra slot", append(mainSlot(), extraSlot(2)...)},
		{"a removed section", withRemoved(append(mainSlot(), extraSlot(2)...), 2)},
	}
	devices := []struct {
		name  string
		api   func(testing.TB) *webrtc.API
		setup string
	}{
		{"Go phone", func(testing.TB) *webrtc.API { return NewLoopbackClientAPI() }, "passive"},
		{"DTLS client", liteDeviceAPI, "active"},
	}
	for _, c := range cases {
		for _, d := range devices {
			t.Run(d.name+", "+c.name, func(t *testing.T) { checkPionAnswer(t, d.api(t), testLiteOffer(c.sections...), d.setup) })
		}
	}
}

// checkPionAnswer checks what parseLiteAnswer reads of the answer to
// offer of a pion device on api, which takes the DTLS role setup.
func checkPionAnswer(t *testing.T, api *webrtc.API, offer liteOffer, setup string) {
	t.Helper()
	text, pc, local := pionAnswer(t, api, offer)
	got, err := parseLiteAnswer(offer, text)
	if err != nil {
		t.Fatalf("parse pion's answer: %v\n%s", err, text)
	}
	md := local.MediaDescriptions[0]
	ufrag, _ := md.Attribute("ice-ufrag")
	pwd, _ := md.Attribute("ice-pwd")
	fp := attribute(&local, md, "fingerprint")
	if got.ufrag != ufrag || got.pwd != pwd || got.fingerprint.String() != fp {
		t.Errorf("ICE %q/%q fingerprint %q, want pion's %q/%q %q", got.ufrag, got.pwd, got.fingerprint, ufrag, pwd, fp)
	}
	if got.setup != setup {
		t.Errorf("setup %q, want %s", got.setup, setup)
	}
	senders := map[webrtc.RTPCodecType]uint32{}
	for _, s := range pc.GetSenders() {
		if s.Track() != nil {
			senders[s.Track().Kind()] = uint32(s.GetParameters().Encodings[0].SSRC)
		}
	}
	checkPionSections(t, offer, got, senders)
}

// checkPionSections checks each section of a pion device's answer: the
// main slot's carry the device's senders' SSRCs, the others nothing.
func checkPionSections(t *testing.T, offer liteOffer, got liteAnswer, senders map[webrtc.RTPCodecType]uint32) {
	t.Helper()
	wantPT := map[webrtc.RTPCodecType]uint8{webrtc.RTPCodecTypeAudio: 111, webrtc.RTPCodecTypeVideo: 96}
	for i, s := range got.sections {
		off := offer.sections[i]
		if s.mid != off.mid || s.kind != off.kind {
			t.Errorf("section %d is %s %q, want %s %q", i, s.kind, s.mid, off.kind, off.mid)
		}
		if off.removed {
			if s.accepted {
				t.Errorf("section %q accepted, but removed", s.mid)
			}
			continue
		}
		if !s.accepted || !slices.Equal(s.payloadTypes, []uint8{wantPT[s.kind]}) {
			t.Errorf("section %q: accepted %v with %v, want %d", s.mid, s.accepted, s.payloadTypes, wantPT[s.kind])
		}
		wantDir, wantSSRCs := webrtc.RTPTransceiverDirectionRecvonly, []uint32(nil)
		if off.direction == webrtc.RTPTransceiverDirectionSendrecv {
			wantDir, wantSSRCs = webrtc.RTPTransceiverDirectionSendrecv, []uint32{senders[s.kind]}
		}
		if s.direction != wantDir || !slices.Equal(s.ssrcs, wantSSRCs) {
			t.Errorf("section %q: %s with SSRCs %v, want %s with %v", s.mid, s.direction, s.ssrcs, wantDir, wantSSRCs)
		}
		if s.kind == webrtc.RTPCodecTypeVideo && (s.transportCCID != 4 || s.midID != 1) {
			t.Errorf("section %q: transport-cc id %d, mid id %d, want 4 and 1", s.mid, s.transportCCID, s.midID)
		}
	}
}

// chromiumAnswer is the answer Chromium 156 gave chromiumLiteOffer (see
// /work/sdpfixture/answer.mjs, which made it: fake camera and microphone,
// their tracks on the first audio and video transceivers).
func chromiumAnswer(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("testdata/chromium-answer-to-lite-offer.sdp")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// isBadAnswer reports whether err is parseLiteAnswer's refusal.
func isBadAnswer(err error) bool { return errors.Is(err, errBadAnswer) }

// replaceLine is text with the first line starting with prefix replaced
// by with (removed when with is "").
func replaceLine(t testing.TB, text, prefix, with string) string {
	t.Helper()
	lines := strings.SplitAfter(text, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, prefix) {
			if with != "" {
				with += "\r\n"
			}
			lines[i] = with
			return strings.Join(lines, "")
		}
	}
	t.Fatalf("no line starts with %q", prefix)
	return ""
}

// TestALiteOfferIsAnsweredByChromium: Chromium's answer to the main slot
// and an extra one reads back with its credentials and fingerprint, DTLS
// active, Opus and VP8 on the node's payload types, its camera's and
// microphone's SSRCs on the main slot and none on the extra one (it
// receives there), transport-cc everywhere and sdes:mid on video. The
// offer has no RTX, and Chromium groups no SSRCs for it.
func TestALiteOfferIsAnsweredByChromium(t *testing.T) {
	offer := chromiumLiteOffer()
	got, err := parseLiteAnswer(offer, chromiumAnswer(t))
	if err != nil {
		t.Fatal(err)
	}
	wantFP := "sha-256 29:43:0A:37:02:95:04:4A:B1:D8:EF:FD:E8:30:20:84:EA:5B:C8:C8:11:E5:5F:AD:A9:FF:83:06:2A:ED:60:F1"
	if got.ufrag != "pxl4" || got.pwd != "IkBpd4y4v0eWFWgVLNOaI+Mx" || got.fingerprint.String() != wantFP || got.setup != "active" {
		t.Errorf("transport %q/%q %q %s, want Chromium's pxl4/IkBpd4y4v0eWFWgVLNOaI+Mx %q active", got.ufrag, got.pwd, got.fingerprint, got.setup, wantFP)
	}
	want := []struct {
		dir   webrtc.RTPTransceiverDirection
		pt    uint8
		ssrcs []uint32
		midID int
	}{
		{webrtc.RTPTransceiverDirectionSendrecv, 111, []uint32{730145678}, 0},
		{webrtc.RTPTransceiverDirectionSendrecv, 96, []uint32{1535306381}, 1},
		{webrtc.RTPTransceiverDirectionRecvonly, 111, nil, 0},
		{webrtc.RTPTransceiverDirectionRecvonly, 96, nil, 1},
	}
	for i, s := range got.sections {
		w := want[i]
		if s.mid != offer.sections[i].mid || !s.accepted || s.direction != w.dir || !slices.Equal(s.payloadTypes, []uint8{w.pt}) {
			t.Errorf("section %d: %q accepted %v %s %v, want %q %s [%d]", i, s.mid, s.accepted, s.direction, s.payloadTypes, offer.sections[i].mid, w.dir, w.pt)
		}
		if !slices.Equal(s.ssrcs, w.ssrcs) || len(s.fid) != 0 || len(s.rids) != 0 {
			t.Errorf("section %q: SSRCs %v FID %v rids %v, want %v and no group or rid", s.mid, s.ssrcs, s.fid, s.rids, w.ssrcs)
		}
		if s.transportCCID != 4 || s.midID != w.midID {
			t.Errorf("section %q: transport-cc id %d, mid id %d, want 4 and %d", s.mid, s.transportCCID, s.midID, w.midID)
		}
	}
}

// TestParseLiteAnswerRefusesBadAnswers: every answer the node cannot use
// is refused with errBadAnswer and a sentence saying why. Each row
// spoils Chromium's good answer (or answers another offer).
func TestParseLiteAnswerRefusesBadAnswers(t *testing.T) {
	good := chromiumAnswer(t)
	all := strings.ReplaceAll
	const pwd, fp = "a=ice-pwd:IkBpd4y4v0eWFWgVLNOaI+Mx", "a=fingerprint:sha-256 29:43:0A:37:02:95:04:4A:B1:D8:EF:FD:E8:30:20:84:EA:5B:C8:C8:11:E5:5F:AD:A9:FF:83:06:2A:ED:60:F1"
	sections := strings.SplitAfter(good, "m=")
	manySections := "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" + strings.Repeat("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n", maxLiteSections+1)
	cases := []struct {
		name   string
		offer  []liteSection // nil for chromiumLiteOffer's
		answer string
		want   string
	}{
		{"empty", nil, "", "the answer is empty"},
		{"only blanks", nil, " \r\n\r\n", "the answer is empty"},
		{"not SDP", nil, "hello, node", "the answer is not SDP"},
		{"too large", nil, good + strings.Repeat("a=x\r\n", maxLiteAnswerBytes/5), "larger than 64 KiB"},
		{"too many lines", nil, strings.Repeat("v=0\n", maxLiteAnswerLines), "lines, more than 4096"},
		{"too many sections", nil, manySections, "has 129 media sections, more than 128"},
		{"fewer sections", nil, strings.TrimSuffix(strings.Join(sections[:3], ""), "m="), "has 2 media sections where the offer has 4"},
		{"an extra section", nil, good + "m=" + all(sections[4], "a=mid:3", "a=mid:4"), "has 5 media sections where the offer has 4"},
		{"mids swapped", nil, all(all(all(good, "a=mid:0", "a=mid:X"), "a=mid:2", "a=mid:0"), "a=mid:X", "a=mid:2"), `has mid "2" where the offer has "0"`},
		{"kind swapped", nil, strings.Replace(good, "m=audio 9 UDP/TLS/RTP/SAVPF 111", "m=video 9 UDP/TLS/RTP/SAVPF 111", 1), `is "video" where the offer's is audio`},
		{"no mid", nil, replaceLine(t, good, "a=mid:1", ""), "in the place of \"1\" has no mid"},
		{"a section the offer removed", withRemoved(chromiumLiteOffer().sections, 2), good, `accepts section "2", which the offer removed`},
		{"no section accepted", nil, all(all(good, "m=audio 9", "m=audio 0"), "m=video 9", "m=video 0"), "accepts no media section"},
		{"not SRTP", nil, strings.Replace(good, "UDP/TLS/RTP/SAVPF 96", "RTP/AVP 96", 1), "not UDP/TLS/RTP/SAVPF"},
		{"no rtcp-mux", nil, replaceLine(t, good, "a=rtcp-mux", ""), "does not multiplex RTCP"},
		{"a payload type not offered", nil, strings.Replace(good, "SAVPF 111\r\n", "SAVPF 111 0\r\n", 1), "payload type 0, which the offer did not have for audio"},
		{"a payload type out of range", nil, strings.Replace(good, "SAVPF 111\r\n", "SAVPF 300\r\n", 1), `payload type "300", not a number from 0 to 127`},
		{"a payload type remapped", nil, all(good, "a=rtpmap:96 VP8/90000", "a=rtpmap:96 H264/90000"), "maps payload type 96 to H264, where the offer has VP8"},
		{"a header extension not offered", nil, strings.Replace(good, "a=extmap:4 http", "a=extmap:5 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\na=extmap:4 http", 1), "uses header extension 5 for urn:ietf:params:rtp-hdrext:ssrc-audio-level, which the offer did not have"},
		{"a header extension on another id", nil, strings.Replace(good, "a=extmap:1 urn", "a=extmap:9 urn", 1), "uses header extension 9 for urn:ietf:params:rtp-hdrext:sdes:mid"},
		{"a header extension id twice", nil, strings.Replace(good, "a=extmap:1 urn", "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=extmap:1 urn", 1), "maps header extension id 1 twice"},
		{"sending where the node only sends", nil, strings.Replace(good, "a=recvonly", "a=sendrecv", 1), "is sendrecv, which does not answer the offer's sendonly"},
		{"a bad SSRC", nil, strings.Replace(good, "a=ssrc:730145678", "a=ssrc:7301456789", 1), `SSRC "7301456789", not a 32-bit number`},
		{"an FID group of three", nil, strings.Replace(good, "a=ssrc:730145678", "a=ssrc-group:FID 1 2 3\r\na=ssrc:730145678", 1), "FID group of 3 SSRCs"},
		{"no BUNDLE group", nil, replaceLine(t, good, "a=group:BUNDLE", ""), "no a=group:BUNDLE"},
		{"two BUNDLE groups", nil, replaceLine(t, good, "a=group:BUNDLE", "a=group:BUNDLE 0 1\r\na=group:BUNDLE 2 3"), "more than one BUNDLE group"},
		{"a section left out of BUNDLE", nil, replaceLine(t, good, "a=group:BUNDLE", "a=group:BUNDLE 0 1 2"), "where it accepts the sections"},
		{"no ICE username fragment", nil, all(good, "a=ice-ufrag:pxl4\r\n", ""), "no ICE username fragment"},
		{"no ICE password", nil, all(good, pwd+"\r\n", ""), "no ICE password"},
		{"a short username fragment", nil, all(good, "a=ice-ufrag:pxl4", "a=ice-ufrag:pxl"), "username fragment has 3 characters, not 4 to 256"},
		{"a short password", nil, all(good, pwd, "a=ice-pwd:IkBpd4y4v0eWFWgVLNOaI"), "password has 21 characters, not 22 to 256"},
		{"characters not ICE's", nil, all(good, "a=ice-ufrag:pxl4", "a=ice-ufrag:px-4"), "characters other than letters, digits, + and /"},
		{"other credentials on one section", nil, strings.Join(sections[:4], "") + all(sections[4], "a=ice-ufrag:pxl4", "a=ice-ufrag:zzzz"), `section "3" gives other ICE credentials`},
		{"no fingerprint", nil, all(good, fp+"\r\n", ""), "no certificate fingerprint"},
		{"a sha-1 fingerprint", nil, all(good, fp, "a=fingerprint:sha-1 29:43:0A:37:02:95:04:4A:B1:D8:EF:FD:E8:30:20:84:EA:5B:C8:C8"), "fingerprint is sha-1, and only sha-256 is accepted"},
		{"a short sha-256 fingerprint", nil, all(good, fp, "a=fingerprint:sha-256 29:43:0A"), "is not 32 hex bytes"},
		{"setup actpass", nil, all(good, "a=setup:active", "a=setup:actpass"), `DTLS role is "actpass", where an answer must choose active or passive`},
		{"setup holdconn", nil, all(good, "a=setup:active", "a=setup:holdconn"), `DTLS role is "holdconn"`},
		{"two DTLS roles", nil, strings.Join(sections[:4], "") + all(sections[4], "a=setup:active", "a=setup:passive"), `section "3" gives other ICE credentials, fingerprint or DTLS role`},
		{"no setup", nil, all(good, "a=setup:active\r\n", ""), "no DTLS role (a=setup)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			offer := chromiumLiteOffer()
			if c.offer != nil {
				offer.sections = c.offer
			}
			_, err := parseLiteAnswer(offer, c.answer)
			if !isBadAnswer(err) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want errBadAnswer saying %q", err, c.want)
			}
		})
	}
}

// FuzzParseLiteAnswer: whatever a device sends as its answer, parsing
// never panics; it is refused with errBadAnswer, or it gives one section
// per offered one, credentials, a DTLS role, and only offered payload
// types.
func FuzzParseLiteAnswer(f *testing.F) {
	offer := chromiumLiteOffer()
	good := chromiumAnswer(f)
	pion, _, _ := pionAnswer(f, liteDeviceAPI(f), offer)
	for _, seed := range []string{good, pion, "", "v=0\r\n", strings.ReplaceAll(good, "a=setup:active", "a=setup:actpass"),
		strings.Replace(good, "SAVPF 111\r\n", "SAVPF 111 0\r\n", 1), good[:len(good)/2]} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got, err := parseLiteAnswer(offer, text)
		if err != nil {
			if !isBadAnswer(err) {
				t.Fatalf("error %v does not wrap errBadAnswer", err)
			}
			return
		}
		if len(got.sections) != len(offer.sections) || got.ufrag == "" || got.pwd == "" || (got.setup != "active" && got.setup != "passive") || got.fingerprint.algorithm != "sha-256" {
			t.Fatalf("accepted an answer without its transport: %+v", got)
		}
		for i, s := range got.sections {
			if s.mid != offer.sections[i].mid || s.kind != offer.sections[i].kind {
				t.Fatalf("section %d is %s %q, offered %s %q", i, s.kind, s.mid, offer.sections[i].kind, offer.sections[i].mid)
			}
			for _, pt := range s.payloadTypes {
				if _, ok := offeredCodec(s.kind, pt); !ok {
					t.Fatalf("section %q kept payload type %d, not offered", s.mid, pt)
				}
			}
			if s.accepted && len(s.payloadTypes) == 0 {
				t.Fatalf("section %q accepted with no payload type", s.mid)
			}
		}
	})
}
