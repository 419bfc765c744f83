package media

// What the Go clients of the signaling (the test harness's and the
// bench's pion phones) share.

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// NewLoopbackClientAPI returns pion as the Go phones use it against a node
// on this machine: default codecs and interceptors, loopback candidates,
// no mDNS, over the networks given (UDP4 when none).
func NewLoopbackClientAPI(networks ...webrtc.NetworkType) *webrtc.API {
	if len(networks) == 0 {
		networks = []webrtc.NetworkType{webrtc.NetworkTypeUDP4}
	}
	m := &webrtc.MediaEngine{}
	m.RegisterDefaultCodecs()
	reg := &interceptor.Registry{}
	webrtc.RegisterDefaultInterceptors(m, reg)
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes(networks)
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
}

// AddTrickled is a Go client's handling of "rtc.candidate" from the
// server (the test harness's and the bench's pion phones): it adds the
// trickled candidate to the client's peer connection, which is nil until
// the call's offer came, and then there is nothing to add it to.
func AddTrickled(pc *webrtc.PeerConnection, data []byte) error {
	if pc == nil {
		return nil
	}
	var d RtcCandidateData
	if err := json.Unmarshal(data, &d); err != nil {
		return fmt.Errorf("rtc.candidate: %w", err)
	}
	return pc.AddICECandidate(d.Candidate)
}

// ClientPeer is a Go device's end of one call's media connection (what
// the tests' and the bench's pion phones need): it answers the server's
// offers on one peer connection — the first and every renegotiation after
// it, which add and remove the streams of other participants — and counts
// what arrives on each MediaStream. Add the device's own tracks to PC
// before the first offer, so they take its first audio and video lines.
type ClientPeer struct {
	PC *webrtc.PeerConnection

	onPacket func(stream string, kind webrtc.RTPCodecType, pkt *rtp.Packet)
	mu       sync.Mutex
	counts   map[string]*[2]atomic.Int64
	videos   map[string]webrtc.SSRC // each stream's video track
	pending  []webrtc.ICECandidateInit
}

// NewClientPeer opens a peer connection on api. onPacket, when not nil,
// sees every packet received, with the id of the stream it came on; it
// must not keep pkt.
func NewClientPeer(api *webrtc.API, conf webrtc.Configuration, onPacket func(stream string, kind webrtc.RTPCodecType, pkt *rtp.Packet)) (*ClientPeer, error) {
	pc, err := api.NewPeerConnection(conf)
	if err != nil {
		return nil, err
	}
	c := &ClientPeer{PC: pc, onPacket: onPacket, counts: map[string]*[2]atomic.Int64{}, videos: map[string]webrtc.SSRC{}}
	pc.OnTrack(c.read)
	return c, nil
}

// read counts a received track's packets until it ends.
func (c *ClientPeer) read(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	stream, kind := tr.StreamID(), tr.Kind()
	idx := 0
	if kind == webrtc.RTPCodecTypeVideo {
		idx = 1
	}
	c.mu.Lock()
	n := c.counts[stream]
	if n == nil {
		n = &[2]atomic.Int64{}
		c.counts[stream] = n
	}
	if idx == 1 {
		c.videos[stream] = tr.SSRC()
	}
	c.mu.Unlock()
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		n[idx].Add(1)
		if c.onPacket != nil {
			c.onPacket(stream, kind, pkt)
		}
	}
}

// AnswerOffer applies an "rtc.offer" from the server (the first or a
// renegotiation) and returns the SDP to send back as "rtc.answer".
// Candidates that came before the first offer are added once it is in.
func (c *ClientPeer) AnswerOffer(sdp string) (string, error) {
	if err := c.PC.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		return "", fmt.Errorf("apply offer: %w", err)
	}
	answer, err := c.PC.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("answer: %w", err)
	}
	if err := c.PC.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("answer: %w", err)
	}
	c.mu.Lock()
	pending := c.pending
	c.pending = nil
	c.mu.Unlock()
	for _, cand := range pending {
		if err := c.PC.AddICECandidate(cand); err != nil {
			return "", fmt.Errorf("add candidate: %w", err)
		}
	}
	return answer.SDP, nil
}

// AddCandidate adds a candidate the server trickled, keeping it until the
// first offer when it comes before.
func (c *ClientPeer) AddCandidate(cand webrtc.ICECandidateInit) error {
	c.mu.Lock()
	if c.PC.RemoteDescription() == nil {
		c.pending = append(c.pending, cand)
		c.mu.Unlock()
		return nil
	}
	c.mu.Unlock()
	return c.PC.AddICECandidate(cand)
}

// Received reports the audio and video packets that came on the stream
// with the id (0, 0 for a stream never seen).
func (c *ClientPeer) Received(stream string) (audio, video int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := c.counts[stream]; n != nil {
		return n[0].Load(), n[1].Load()
	}
	return 0, 0
}

// Streams lists the ids of the streams packets came on, sorted.
func (c *ClientPeer) Streams() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.counts))
	for s := range c.counts {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// RequestKeyframe sends a keyframe request (PLI) for the video of the
// stream with the id, as a decoder that lost the picture does.
func (c *ClientPeer) RequestKeyframe(stream string) error {
	c.mu.Lock()
	ssrc, ok := c.videos[stream]
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("no video has come on stream %q", stream)
	}
	return c.PC.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(ssrc)}})
}

// Close closes the peer connection.
func (c *ClientPeer) Close() error { return c.PC.Close() }
