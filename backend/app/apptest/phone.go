package apptest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
	"github.com/pion/webrtc/v4/pkg/media/ivfreader"

	lmmedia "github.com/livemall/livemall/media"
)

// Phone is a device in a call test: a signed-in client with a signaling
// socket read in the background and a pion peer connection that sends the
// test media (VP8 video and Opus audio from media/testdata) and counts
// what it receives.
type Phone struct {
	T    *testing.T
	C    *Client
	Sock *Socket
	Msgs chan lmmedia.Message

	api *webrtc.API // pion as this phone's network allows it
	// ice builds the phone's ICE configuration from the ICE servers (TURN)
	// the node offers with a call; nil uses none (direct paths only).
	ice     func(offered []webrtc.ICEServer) webrtc.Configuration
	mu      sync.Mutex
	pc      *webrtc.PeerConnection
	cp      *lmmedia.ClientPeer // pc, answering re-offers and counting per stream
	callID  string
	roster  *lmmedia.RoomRosterData // the current call's latest call.roster
	NoVideo bool
	// slow paces the test media down (video 5 frames a second, audio a
	// packet every 100 ms): for tests of many calls at once, where full
	// rate under -race would measure the race detector, not the node.
	Slow bool
	got  [2]atomic.Int64 // audio, video packets received
	// sent is the media time each track stamped (audio, video, in
	// nanoseconds), samples how many samples it wrote: what the phone
	// sent, whatever the machine's speed.
	sent    [2]atomic.Int64
	samples [2]atomic.Int64
	// held is closed on resume; while it is non-nil the senders write
	// nothing (HoldMedia), like a caller who waits for the tone. sendMu
	// orders HoldMedia after any write in progress.
	sendMu   sync.RWMutex
	held     chan struct{}
	sendStop chan struct{} // closed when the phone closes
	pcStop   chan struct{} // closed when the current peer connection is replaced
	// trickled keeps the server's candidates of the current call (read
	// goroutine only): the server may trickle some before its offer
	// arrives, as the web client's pendingCandidates allows, and onOffer
	// adds those of the offer's ICE session.
	trickled []trickledCandidate
	closed   atomic.Bool
}

// NewPhone connects the client's device and starts reading its socket.
func NewPhone(t *testing.T, c *Client, base string) *Phone {
	t.Helper()
	return NewPhoneOn(t, c, base, testAPI)
}

// NewPhoneOn is NewPhone with the phone's media on api: a phone that may
// only use some networks (lmmedia.NewLoopbackClientAPI(webrtc.NetworkTypeTCP4)
// has no UDP).
func NewPhoneOn(t *testing.T, c *Client, base string, api *webrtc.API) *Phone {
	t.Helper()
	return NewPhoneUsing(t, c, base, api, nil)
}

// NewPhoneUsing is NewPhoneOn with the phone's ICE configuration built by
// ice from the ICE servers the node offers with each call, as a browser
// builds its RTCPeerConnection: a phone limited to relayed candidates, or
// to some of the TURN URLs, is tested that way.
func NewPhoneUsing(t *testing.T, c *Client, base string, api *webrtc.API, ice func(offered []webrtc.ICEServer) webrtc.Configuration) *Phone {
	t.Helper()
	p := &Phone{T: t, C: c, Sock: c.OpenSocket(base), Msgs: make(chan lmmedia.Message, 256), sendStop: make(chan struct{}), api: api, ice: ice}
	go p.read()
	go p.Heartbeat()
	t.Cleanup(p.Close)
	return p
}

// Heartbeat sends a heartbeat every 20 s, as the web client does: the
// server closes a socket that says nothing for 90 s, which ended the
// calls of long tests.
func (p *Phone) Heartbeat() {
	tick := time.NewTicker(20 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-p.sendStop:
			return
		case <-tick.C:
			p.Send("heartbeat", nil)
		}
	}
}

// Close ends the phone: its media, peer connection and socket.
func (p *Phone) Close() {
	if p.closed.Swap(true) {
		return
	}
	close(p.sendStop)
	if pc := p.peer(); pc != nil {
		pc.Close()
	}
	p.Sock.Conn.Close()
}

// PeerConnection is the phone's current peer connection, nil before the
// first offer: for tests that read its statistics.
func (p *Phone) PeerConnection() *webrtc.PeerConnection { return p.peer() }

// peer is the phone's current peer connection, nil before an offer.
func (p *Phone) peer() *webrtc.PeerConnection {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pc
}

// read dispatches WebRTC signaling to the peer connection and queues the
// rest for the test.
func (p *Phone) read() {
	p.Sock.Conn.SetReadDeadline(time.Time{})
	for {
		var m lmmedia.Message
		if err := p.Sock.Conn.ReadJSON(&m); err != nil {
			close(p.Msgs)
			return
		}
		switch m.Type {
		case "rtc.offer":
			// An offer that comes while the test closes the phone (its
			// cleanup) meets a closed peer connection: no fault of the node.
			if err := p.onOffer(m.Data); err != nil && !p.closed.Load() {
				p.T.Errorf("answer offer: %v", err)
			}
		case "rtc.candidate":
			p.rememberCandidate(m.Data)
			lmmedia.AddTrickled(p.peer(), m.Data)
		case "call.roster":
			// Kept, not queued: a call of several sends one at every
			// change, which tests read with Roster and ExpectHears.
			var d lmmedia.RoomRosterData
			if err := json.Unmarshal(m.Data, &d); err != nil {
				p.T.Errorf("call.roster %s: %v", m.Data, err)
				continue
			}
			p.mu.Lock()
			if d.CallID == p.callID {
				p.roster = &d
			}
			p.mu.Unlock()
		default:
			p.Msgs <- m
		}
	}
}

// trickledCandidate is a candidate the server trickled, with its call.
type trickledCandidate struct {
	callID string
	data   json.RawMessage
}

// maxTrickled bounds the candidates a phone keeps for one call.
const maxTrickled = 64

// rememberCandidate keeps a trickled candidate for the offer of its call
// (the read goroutine's; candidates of earlier calls are dropped).
func (p *Phone) rememberCandidate(data json.RawMessage) {
	var d struct {
		CallID string `json:"callId"`
	}
	if json.Unmarshal(data, &d) != nil {
		return
	}
	if len(p.trickled) > 0 && p.trickled[0].callID != d.CallID {
		p.trickled = nil
	}
	if len(p.trickled) < maxTrickled {
		p.trickled = append(p.trickled, trickledCandidate{callID: d.CallID, data: append(json.RawMessage(nil), data...)})
	}
}

// addEarlyCandidates adds to pc the kept candidates of call callID that
// belong to the ICE session of the offer sdp (its ice-ufrag): those that
// came before the offer had no peer connection to go to.
func (p *Phone) addEarlyCandidates(pc *webrtc.PeerConnection, callID, sdp string) {
	var ufrag string
	for _, line := range strings.Split(sdp, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "a=ice-ufrag:"); ok {
			ufrag = v
			break
		}
	}
	for _, c := range p.trickled {
		if c.callID == callID && ufrag != "" && strings.Contains(string(c.data), " ufrag "+ufrag+" ") {
			lmmedia.AddTrickled(pc, c.data)
		}
	}
}

// Send writes a signaling message with data.
func (p *Phone) Send(typ string, data any) {
	raw, _ := json.Marshal(data)
	msg, _ := json.Marshal(lmmedia.Message{Type: typ, V: 1, Data: raw})
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Sock.Conn.WriteMessage(1, msg)
}

// Expect waits for a message of the type whose data contains want.
func (p *Phone) Expect(typ, want string, within time.Duration) lmmedia.Message {
	p.T.Helper()
	deadline := time.After(within)
	for {
		select {
		case m, ok := <-p.Msgs:
			if !ok {
				p.T.Fatalf("socket closed while waiting for %s %s", typ, want)
			}
			if m.Type == typ && strings.Contains(string(m.Data), want) {
				return m
			}
		case <-deadline:
			p.T.Fatalf("no %s with %q within %v", typ, want, within)
		}
	}
}

// CallIDOf extracts the callId of a message.
func CallIDOf(m lmmedia.Message) string {
	var d struct {
		CallID string `json:"callId"`
	}
	json.Unmarshal(m.Data, &d)
	return d.CallID
}

var testAPI = lmmedia.NewLoopbackClientAPI()

// onOffer answers the server's offer, sending the test media: the first
// offer of a call opens a peer connection, a later one (a call of several
// renegotiating its streams) is answered on it.
func (p *Phone) onOffer(data json.RawMessage) error {
	var d struct {
		CallID     string             `json:"callId"`
		SDP        string             `json:"sdp"`
		ICEServers []webrtc.ICEServer `json:"iceServers"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return err
	}
	p.mu.Lock()
	// A closed peer connection of the same call (the phone left it and is
	// rung back into it, as a transfer's target) is replaced, as a
	// browser's new call screen does. pion closes a connection whose
	// server sent DTLS close_notify (the room let it go) on a goroutine of
	// its own, so a connection may be closing while the next offer comes:
	// one whose DTLS is over, or that closes while answering, is replaced.
	cp, same := p.cp, p.callID == d.CallID && p.cp != nil && stillOpen(p.cp.PC)
	p.mu.Unlock()
	if same {
		answer, err := cp.AnswerOffer(d.SDP)
		if err == nil {
			p.Send("rtc.answer", map[string]any{"callId": d.CallID, "sdp": answer})
			return nil
		}
		if !errors.Is(err, webrtc.ErrConnectionClosed) {
			return err
		}
	}
	conf := webrtc.Configuration{}
	if p.ice != nil {
		conf = p.ice(d.ICEServers)
	}
	cp, err := lmmedia.NewClientPeer(p.api, conf, func(_ string, kind webrtc.RTPCodecType, _ *rtp.Packet) {
		if kind == webrtc.RTPCodecTypeVideo {
			p.got[1].Add(1)
		} else {
			p.got[0].Add(1)
		}
	})
	if err != nil {
		return err
	}
	pc := cp.PC
	audio, _ := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "phone")
	if _, err := pc.AddTrack(audio); err != nil {
		return err
	}
	var video *webrtc.TrackLocalStaticSample
	if !p.NoVideo {
		video, _ = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", "phone")
		if _, err := pc.AddTrack(video); err != nil {
			return err
		}
	}
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			p.Send("rtc.candidate", map[string]any{"callId": d.CallID, "candidate": c.ToJSON()})
		}
	})
	p.mu.Lock()
	if p.pc != nil {
		p.pc.Close()
		close(p.pcStop)
	}
	p.pc, p.cp, p.callID, p.roster = pc, cp, d.CallID, nil
	p.pcStop = make(chan struct{})
	stop := p.pcStop
	p.mu.Unlock()
	answer, err := cp.AnswerOffer(d.SDP)
	if err != nil {
		return err
	}
	p.addEarlyCandidates(pc, d.CallID, d.SDP)
	p.Send("rtc.answer", map[string]any{"callId": d.CallID, "sdp": answer})
	go p.sendOpus(audio, stop)
	if video != nil {
		go p.sendVP8(video, stop)
	}
	return nil
}

// mediaClock paces a sender by its media timestamps: sample n is due at
// base + the media time sent before it. A sender the machine starved sends
// what is overdue at once instead of skipping it (a time.Ticker drops the
// ticks a slow reader misses), so the media a phone sends in a stretch of
// wall time lasts that long on a busy machine too.
type mediaClock struct {
	base time.Time
	sent time.Duration
}

// due waits until the next sample is due, or while the media is held; it
// reports false once the phone or the peer connection stops.
func (p *Phone) due(c *mediaClock, stop chan struct{}) bool {
	p.sendMu.RLock()
	held := p.held
	p.sendMu.RUnlock()
	if held != nil {
		select {
		case <-held:
			c.base = time.Now().Add(-c.sent) // no burst for the held time
		case <-stop:
			return false
		case <-p.sendStop:
			return false
		}
	}
	if c.base.IsZero() {
		c.base = time.Now()
	}
	wait := time.NewTimer(time.Until(c.base.Add(c.sent)))
	defer wait.Stop()
	select {
	case <-wait.C:
		return true
	case <-stop:
		return false
	case <-p.sendStop:
		return false
	}
}

// write writes a sample of track idx (0 audio, 1 video) and counts it,
// unless the media is held: then it reports false and the sample waits.
func (p *Phone) write(idx int, track *webrtc.TrackLocalStaticSample, s media.Sample, c *mediaClock) bool {
	p.sendMu.RLock()
	defer p.sendMu.RUnlock()
	if p.held != nil {
		return false
	}
	if err := track.WriteSample(s); err != nil {
		return true // the connection is closing: the sender stops at its next wait
	}
	c.sent += s.Duration
	p.sent[idx].Add(int64(s.Duration))
	p.samples[idx].Add(1)
	return true
}

// HoldMedia stops the phone's media: once it returns no sample is
// written until ResumeMedia.
func (p *Phone) HoldMedia() {
	p.sendMu.Lock()
	defer p.sendMu.Unlock()
	if p.held == nil {
		p.held = make(chan struct{})
	}
}

// ResumeMedia lets the senders go on from where they were held.
func (p *Phone) ResumeMedia() {
	p.sendMu.Lock()
	defer p.sendMu.Unlock()
	if p.held != nil {
		close(p.held)
		p.held = nil
	}
}

// SentMedia reports the media time the audio and video tracks stamped and
// the audio samples (one RTP packet each) written so far.
func (p *Phone) SentMedia() (audio, video time.Duration, audioPackets int64) {
	p.sendMu.Lock() // no write in progress: the three agree
	defer p.sendMu.Unlock()
	return time.Duration(p.sent[0].Load()), time.Duration(p.sent[1].Load()), p.samples[0].Load()
}

// sendVP8 loops the VP8 fixture at 30 frames per second of media time.
func (p *Phone) sendVP8(track *webrtc.TrackLocalStaticSample, stop chan struct{}) {
	frameTime := time.Second / 30
	if p.Slow {
		frameTime = time.Second / 5
	}
	var clock mediaClock
	for {
		f, err := os.Open(Fixture("media/testdata/vp8-6s.ivf"))
		if err != nil {
			p.T.Errorf("open VP8 fixture: %v", err)
			return
		}
		r, _, err := ivfreader.NewWith(f)
		if err != nil {
			f.Close()
			p.T.Errorf("read VP8 fixture: %v", err)
			return
		}
		for {
			frame, _, err := r.ParseNextFrame()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				break
			}
			for {
				if !p.due(&clock, stop) {
					f.Close()
					return
				}
				if p.write(1, track, media.Sample{Data: frame, Duration: frameTime}, &clock) {
					break
				}
			}
		}
		f.Close()
	}
}

// sendOpus loops the Opus fixture's packets, 20 ms of media each.
func (p *Phone) sendOpus(track *webrtc.TrackLocalStaticSample, stop chan struct{}) {
	data, err := os.ReadFile(Fixture("media/testdata/opus-6s.ogg"))
	if err != nil {
		p.T.Errorf("open Opus fixture: %v", err)
		return
	}
	packets, err := lmmedia.OpusPackets(data)
	if err != nil {
		p.T.Errorf("read Opus fixture: %v", err)
		return
	}
	packetTime := 20 * time.Millisecond
	if p.Slow {
		packetTime = 100 * time.Millisecond
	}
	var clock mediaClock
	for {
		for _, pkt := range packets {
			for {
				if !p.due(&clock, stop) {
					return
				}
				if p.write(0, track, media.Sample{Data: pkt, Duration: packetTime}, &clock) {
					break
				}
			}
		}
	}
}

// Describe tells, for a failing test's log, the phone's call, its
// connection's state and the signaling messages it has not read yet.
func (p *Phone) Describe() string {
	p.mu.Lock()
	pc, id := p.pc, p.callID
	p.mu.Unlock()
	state := "no peer connection"
	if pc != nil {
		state = "connection " + pc.ConnectionState().String() + ", ICE " + pc.ICEConnectionState().String()
	}
	var unread []string
	for len(unread) < 10 {
		select {
		case m, ok := <-p.Msgs:
			if !ok {
				unread = append(unread, "(socket closed)")
				return fmt.Sprintf("call %s, %s, unread %s", id, state, strings.Join(unread, " "))
			}
			unread = append(unread, m.Type+" "+string(m.Data))
			continue
		default:
		}
		break
	}
	return fmt.Sprintf("call %s, %s, unread %s", id, state, strings.Join(unread, " "))
}

// SelectedPair returns the ICE candidate pair the phone's media uses now,
// nil before it is connected.
func (p *Phone) SelectedPair() *webrtc.ICECandidatePair {
	pc := p.peer()
	if pc == nil || pc.SCTP() == nil {
		return nil
	}
	pair, err := pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil {
		return nil
	}
	return pair
}

// Received reports the audio and video packets this phone received.
func (p *Phone) Received() (int64, int64) { return p.got[0].Load(), p.got[1].Load() }

// stillOpen reports whether a phone's peer connection can take another
// offer: not closed, and its DTLS not ended by the server.
func stillOpen(pc *webrtc.PeerConnection) bool {
	if pc.SignalingState() == webrtc.SignalingStateClosed || pc.ConnectionState() == webrtc.PeerConnectionStateClosed {
		return false
	}
	switch pc.SCTP().Transport().State() { // the connection's one DTLS transport
	case webrtc.DTLSTransportStateClosed, webrtc.DTLSTransportStateFailed:
		return false
	}
	return true
}
