package media

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pion/webrtc/v4"
)

// roomSeq names the rooms of the SDP tests apart.
var roomSeq atomic.Int64

// joinForAnswer opens a room on sfu and joins a participant, as a call
// does before the device answers; it returns the participant and the
// server's offer, and closes the room when the test ends.
func joinForAnswer(t testing.TB, sfu *SFU) (*Participant, string) {
	t.Helper()
	room, err := sfu.OpenRoom("sdp-" + strconv.FormatInt(roomSeq.Add(1), 10))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var offer string
	p, err := room.Join("caller", func(typ string, data any) {
		if typ == "rtc.offer" {
			mu.Lock()
			offer = data.(*RtcOfferData).SDP
			mu.Unlock()
		}
	})
	if err != nil {
		room.Close()
		t.Fatal(err)
	}
	t.Cleanup(room.Close)
	mu.Lock()
	defer mu.Unlock()
	return p, offer
}

// realAnswer answers offer as a device would (pion with Opus and VP8
// tracks, like the test phones) and returns its SDP.
func realAnswer(t testing.TB, offer string, video bool) string {
	t.Helper()
	m := &webrtc.MediaEngine{}
	m.RegisterDefaultCodecs()
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	audio, _ := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "device")
	pc.AddTrack(audio)
	if video {
		v, _ := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", "device")
		pc.AddTrack(v)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		t.Fatal(err)
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	return answer.SDP
}

// chromeAnswer is the shape of the answer Chromium sends (trimmed): the
// BUNDLE group, one audio and one video section, a fingerprint.
const chromeAnswer = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS stream\r\n" +
	"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=ice-options:trickle\r\n" +
	"a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r\na=setup:active\r\na=mid:0\r\na=sendrecv\r\na=msid:stream audio\r\na=rtcp-mux\r\n" +
	"a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\na=ssrc:1001 cname:device\r\n" +
	"m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=ice-options:trickle\r\n" +
	"a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r\na=setup:active\r\na=mid:1\r\na=sendrecv\r\na=msid:stream video\r\na=rtcp-mux\r\na=rtcp-rsize\r\n" +
	"a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\na=ssrc:1002 cname:device\r\n"

func newTestSFU(t testing.TB) *SFU {
	t.Helper()
	sfu, err := NewSFU(SFUConfig{Loopback: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sfu.Close)
	return sfu
}

// TestParticipantRefusesBadAnswers checks that what a device sends as its
// SDP answer (rtc.answer) and its ICE candidates (rtc.candidate) is
// refused with an error when it is not a usable answer, and that a real
// one is taken.
func TestParticipantRefusesBadAnswers(t *testing.T) {
	sfu := newTestSFU(t)
	p, offer := joinForAnswer(t, sfu)
	good := realAnswer(t, offer, true)
	for name, sdp := range map[string]string{
		"empty":                "",
		"not SDP":              "hello",
		"only a version":       "v=0\r\n",
		"truncated":            good[:len(good)/3],
		"no media sections":    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n",
		"no fingerprint":       dropLines(good, "a=fingerprint"),
		"no ICE credentials":   dropLines(good, "a=ice-ufrag", "a=ice-pwd"),
		"a line without value": good + "a\r\n",
		"binary":               "v=0\r\n\x00\xff\xfe",
	} {
		t.Run(name, func(t *testing.T) {
			p, _ := joinForAnswer(t, sfu)
			if err := p.Answer(sdp); err == nil || !strings.Contains(err.Error(), "apply answer") {
				t.Fatalf("answer accepted or refused unclearly: %v", err)
			}
		})
	}
	// Candidates that are no candidates are refused once the answer is in.
	if err := p.Answer(good); err != nil {
		t.Fatalf("real answer refused: %v", err)
	}
	for _, c := range []string{"candidate:1 1 udp x 127.0.0.1 1 typ host", "garbage", "candidate:1 1 udp 2122260223 127.0.0.1 99999999 typ host"} {
		if err := p.AddCandidate(webrtc.ICECandidateInit{Candidate: c}); err == nil {
			t.Errorf("candidate %q accepted", c)
		}
	}
	// Before the answer, at most 64 candidates wait.
	q, _ := joinForAnswer(t, sfu)
	for i := range 64 {
		if err := q.AddCandidate(webrtc.ICECandidateInit{Candidate: "x"}); err != nil {
			t.Fatalf("candidate %d refused: %v", i, err)
		}
	}
	if err := q.AddCandidate(webrtc.ICECandidateInit{Candidate: "x"}); err == nil {
		t.Fatal("a 65th candidate before the answer was kept")
	}
}

// dropLines removes the lines starting with any of prefixes.
func dropLines(sdp string, prefixes ...string) string {
	var out []string
	for line := range strings.SplitSeq(sdp, "\r\n") {
		keep := true
		for _, p := range prefixes {
			if strings.HasPrefix(line, p) {
				keep = false
			}
		}
		if keep {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\r\n")
}

// FuzzParticipantAnswerSDP feeds arbitrary text as the SDP answer a device
// sends (rtc.answer: the SFU hands it to pion's SetRemoteDescription with
// nothing before it) and as a trickled candidate, and as an offer on a
// fresh peer connection: nothing may panic, a refusal is an error naming
// the step, and an accepted answer leaves a remote description in place.
func FuzzParticipantAnswerSDP(f *testing.F) {
	sfu := newTestSFU(f)
	_, offer := joinForAnswer(f, sfu)
	real := realAnswer(f, offer, true)
	f.Add(real, "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host")
	f.Add(realAnswer(f, offer, false), "")
	f.Add(chromeAnswer, "candidate:842163049 1 udp 1677729535 192.0.2.1 3478 typ srflx raddr 0.0.0.0 rport 0 generation 0")
	f.Add(offer, "candidate:1 1 tcp 1 127.0.0.1 9 typ host tcptype active")
	f.Add(real[:len(real)/2], "garbage")
	f.Add("v=0\r\n", "")
	f.Fuzz(func(t *testing.T, sdp, candidate string) {
		p, _ := joinForAnswer(t, sfu)
		if err := p.AddCandidate(webrtc.ICECandidateInit{Candidate: candidate}); err != nil {
			t.Fatalf("a candidate before the answer was refused: %v", err)
		}
		err := p.Answer(sdp)
		if err != nil {
			if !strings.Contains(err.Error(), "apply answer") && !strings.Contains(err.Error(), "add candidate") {
				t.Fatalf("refusal does not say which step: %v", err)
			}
		} else if p.pc.RemoteDescription() == nil {
			t.Fatal("answer accepted but no remote description")
		}
		if err == nil {
			p.AddCandidate(webrtc.ICECandidateInit{Candidate: candidate})
		}
		pc, err := sfu.peers.newPeerConnection()
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp})
	})
}
