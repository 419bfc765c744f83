package main

import (
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	lmmedia "github.com/livemall/livemall/media"
)

// phone is a member's device in the call scenarios: a signaling socket and,
// when it answers the server's offers, a pion peer connection that sends
// the media plan and counts what it receives (as the app's test phone).
type phone struct {
	m      *member
	conn   *websocket.Conn
	plan   *mediaPlan
	onMsg  func(p *phone, m wsMessage, at time.Time) // every message but WebRTC's
	answer atomic.Bool                               // answer rtc.offer with a peer connection
	send   atomic.Bool                               // send media once connected
	video  bool

	wmu      sync.Mutex
	mu       sync.Mutex
	pc       *webrtc.PeerConnection
	stopSend chan struct{}
	sent     sendCounts
	got      [2]atomic.Int64
	firstRTP atomic.Int64 // unix nanos of the first packet received
}

// benchAPI is pion as the app's test phones configure it: loopback
// candidates, UDP4, no mDNS, default interceptors.
var benchAPI = lmmedia.NewLoopbackClientAPI()

// connectPhone opens the member's device socket and starts reading it.
func connectPhone(m *member, device string, src *sources, plan *mediaPlan, onMsg func(*phone, wsMessage, time.Time)) (*phone, error) {
	conn, err := m.openSocket(device, src)
	if err != nil {
		return nil, err
	}
	p := &phone{m: m, conn: conn, plan: plan, onMsg: onMsg, video: true}
	go p.read()
	return p, nil
}

func (p *phone) read() {
	for {
		_, raw, err := p.conn.ReadMessage()
		if err != nil {
			return
		}
		at := time.Now()
		var m wsMessage
		if json.Unmarshal(raw, &m) != nil {
			continue
		}
		switch m.Type {
		case "rtc.offer":
			if p.answer.Load() {
				p.onOffer(m.Data)
			}
		case "rtc.candidate":
			lmmedia.AddTrickled(p.peer(), m.Data)
		default:
			if p.onMsg != nil {
				p.onMsg(p, m, at)
			}
		}
	}
}

// peer is the phone's current peer connection, nil before an offer.
func (p *phone) peer() *webrtc.PeerConnection {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pc
}

// sendMsg writes a signaling message.
func (p *phone) sendMsg(typ string, data any) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	return p.conn.WriteMessage(websocket.TextMessage, encodeMessage(typ, data))
}

// onOffer answers the server's offer with a new peer connection, replacing
// the previous one.
func (p *phone) onOffer(data json.RawMessage) {
	var d struct {
		CallID string `json:"callId"`
		SDP    string `json:"sdp"`
	}
	if json.Unmarshal(data, &d) != nil {
		return
	}
	pc, err := benchAPI.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return
	}
	audio, _ := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "bench")
	video, _ := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", "bench")
	pc.AddTrack(audio)
	if p.video {
		pc.AddTrack(video)
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		idx := kindAudio
		if tr.Kind() == webrtc.RTPCodecTypeVideo {
			idx = kindVideo
		}
		buf := make([]byte, 1500)
		for {
			if _, _, err := tr.Read(buf); err != nil {
				return
			}
			p.firstRTP.CompareAndSwap(0, time.Now().UnixNano())
			p.got[idx].Add(1)
		}
	})
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			p.sendMsg("rtc.candidate", map[string]any{"callId": d.CallID, "candidate": c.ToJSON()})
		}
	})
	stop := make(chan struct{})
	p.mu.Lock()
	if p.pc != nil {
		p.pc.Close()
		closeOnce(p.stopSend)
	}
	p.pc, p.stopSend = pc, stop
	p.mu.Unlock()
	if pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: d.SDP}) != nil {
		return
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil || pc.SetLocalDescription(answer) != nil {
		return
	}
	p.sendMsg("rtc.answer", map[string]any{"callId": d.CallID, "sdp": answer.SDP})
	if !p.send.Load() {
		return
	}
	connected := make(chan struct{})
	var once sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(connected) })
		}
	})
	go func() {
		select {
		case <-connected:
		case <-stop:
			return
		}
		p.plan.send(stop, p.video, &p.sent, func(kind int, pkt *rtp.Packet) error {
			if kind == kindVideo {
				return video.WriteRTP(pkt)
			}
			return audio.WriteRTP(pkt)
		})
	}()
}

// received is every packet received.
func (p *phone) received() int64 { return p.got[0].Load() + p.got[1].Load() }

// stopMedia stops sending and closes the peer connection.
func (p *phone) stopMedia() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pc != nil {
		closeOnce(p.stopSend)
		p.pc.Close()
		p.pc = nil
	}
}

// pauseMedia stops sending but keeps the connection.
func (p *phone) pauseMedia() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopSend != nil {
		closeOnce(p.stopSend)
	}
}

// closeOnce closes ch unless it is closed; callers hold p.mu.
func closeOnce(ch chan struct{}) {
	select {
	case <-ch:
	default:
		close(ch)
	}
}

// close ends media and the socket.
func (p *phone) close() {
	p.mu.Lock()
	if p.pc != nil {
		closeOnce(p.stopSend)
		p.pc.Close()
		p.pc = nil
	}
	p.mu.Unlock()
	p.conn.Close()
}

// caller is a phone that dials, with its call messages in ch.
type caller struct {
	p  *phone
	ch chan wsMessage
}

// connectCallers connects a phone for each member (device bench-caller-i)
// whose messages go to its own channel (callMsgs). If one fails, the ones
// connected so far are closed; else closeCallers closes them.
func connectCallers(members []*member, src *sources, plan *mediaPlan) ([]caller, error) {
	var callers []caller
	for i, m := range members {
		ch, on := callMsgs()
		p, err := connectPhone(m, fmt.Sprintf("bench-caller-%04d", i), src, plan, on)
		if err != nil {
			closeCallers(callers)
			return nil, err
		}
		callers = append(callers, caller{p, ch})
	}
	return callers, nil
}

// connectRingCallees connects a phone for each member (bench-callee-i)
// that puts the time each call.incoming arrived into rg and answers it
// while the phone's answer flag is set. On an error it closes the phones
// it connected.
func connectRingCallees(members []*member, src *sources, plan *mediaPlan, rg *rings) ([]*phone, error) {
	var callees []*phone
	for i, m := range members {
		p, err := connectPhone(m, fmt.Sprintf("bench-callee-%04d", i), src, plan, func(p *phone, msg wsMessage, at time.Time) {
			if msg.Type == "call.incoming" {
				rg.slot(callIDOf(msg)) <- at
				if p.answer.Load() {
					p.sendMsg("call.answer", map[string]any{"callId": callIDOf(msg)})
				}
			}
		})
		if err != nil {
			closePhones(callees)
			return nil, err
		}
		callees = append(callees, p)
	}
	return callees, nil
}

// closePhones hangs up the phones.
func closePhones(phones []*phone) {
	for _, p := range phones {
		p.close()
	}
}

// closeCallers hangs up the callers' phones.
func closeCallers(callers []caller) {
	for _, c := range callers {
		c.p.close()
	}
}

// callMsgs routes a phone's messages into a channel for one goroutine.
func callMsgs() (chan wsMessage, func(*phone, wsMessage, time.Time)) {
	ch := make(chan wsMessage, 1024)
	return ch, func(_ *phone, m wsMessage, _ time.Time) {
		select {
		case ch <- m:
		default:
		}
	}
}

// callIDOf extracts the callId of a message.
func callIDOf(m wsMessage) string {
	var d struct {
		CallID string `json:"callId"`
	}
	json.Unmarshal(m.Data, &d)
	return d.CallID
}

// stateOf extracts the state of a call.state message.
func stateOf(m wsMessage) string {
	var d struct {
		State string `json:"state"`
	}
	json.Unmarshal(m.Data, &d)
	return d.State
}

// await reads ch until pred holds or d passes.
func await(ch chan wsMessage, d time.Duration, pred func(wsMessage) bool) (wsMessage, bool) {
	deadline := time.After(d)
	for {
		select {
		case m := <-ch:
			if pred(m) {
				return m, true
			}
		case <-deadline:
			return wsMessage{}, false
		}
	}
}
