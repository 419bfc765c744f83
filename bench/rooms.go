package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	lmmedia "github.com/livemall/livemall/media"
)

// The sfu scenario's multi-party figure: rooms of four parties on an SFU
// alone (no node: calls of several have no dialing yet), each party
// sending 720p VP8 and Opus and receiving the three others. Devices join
// over a small HTTP API of the child: POST /join, GET /next (the room's
// next signal for the device: offers, renegotiations, candidates), POST
// /answer and POST /candidate, each with ?room=&id=.

// roomParties is how many parties each bench room holds.
const roomParties = 4

// roomServer is the "rooms" child: one SFU and its participants.
type roomServer struct {
	sfu   *lmmedia.SFU
	mu    sync.Mutex
	parts map[string]*lmmedia.Participant
	inbox map[string]chan roomSignal
}

// roomSignal is one signal of the room to a device.
type roomSignal struct {
	Type string `json:"type"`
	Data any    `json:"data"`
}

// serveRooms runs the "rooms" child.
func serveRooms() (string, func(), error) {
	sfu, err := lmmedia.NewSFU(lmmedia.SFUConfig{Loopback: true})
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		sfu.Close()
		return "", nil, err
	}
	s := &roomServer{sfu: sfu, parts: map[string]*lmmedia.Participant{}, inbox: map[string]chan roomSignal{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /join", s.join)
	mux.HandleFunc("GET /next", s.next)
	mux.HandleFunc("POST /answer", s.answer)
	mux.HandleFunc("POST /candidate", s.candidate)
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	return ln.Addr().String(), func() { srv.Close(); sfu.Close() }, nil
}

func roomKey(r *http.Request) (room, id string) {
	return r.URL.Query().Get("room"), r.URL.Query().Get("id")
}

func (s *roomServer) join(w http.ResponseWriter, r *http.Request) {
	room, id := roomKey(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	rm := s.sfu.Room(room)
	if rm == nil {
		var err error
		if rm, err = s.sfu.OpenRoom(room); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
	}
	inbox := make(chan roomSignal, 1024)
	p, err := rm.JoinAs(id, lmmedia.RoleParty, "", func(typ string, data any) {
		select {
		case inbox <- roomSignal{typ, data}:
		default:
		}
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusConflict)
		return
	}
	s.parts[room+"/"+id], s.inbox[room+"/"+id] = p, inbox
	w.WriteHeader(http.StatusNoContent)
}

func (s *roomServer) lookup(r *http.Request) (*lmmedia.Participant, chan roomSignal) {
	room, id := roomKey(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.parts[room+"/"+id], s.inbox[room+"/"+id]
}

func (s *roomServer) next(w http.ResponseWriter, r *http.Request) {
	_, inbox := s.lookup(r)
	if inbox == nil {
		http.NotFound(w, r)
		return
	}
	select {
	case m := <-inbox:
		json.NewEncoder(w).Encode(m)
	case <-time.After(5 * time.Second):
		w.WriteHeader(http.StatusNoContent)
	case <-r.Context().Done():
	}
}

func (s *roomServer) answer(w http.ResponseWriter, r *http.Request) {
	p, _ := s.lookup(r)
	sdp, _ := io.ReadAll(r.Body)
	if p == nil {
		http.NotFound(w, r)
		return
	}
	if err := p.Answer(string(sdp)); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *roomServer) candidate(w http.ResponseWriter, r *http.Request) {
	p, _ := s.lookup(r)
	var c webrtc.ICECandidateInit
	if p == nil || json.NewDecoder(r.Body).Decode(&c) != nil {
		http.Error(w, "bad candidate", http.StatusBadRequest)
		return
	}
	p.AddCandidate(c)
	w.WriteHeader(http.StatusNoContent)
}

// roomDevice is one bench party: a pion ClientPeer speaking to the child.
type roomDevice struct {
	base string
	cp   *lmmedia.ClientPeer
	stop chan struct{}
	sent sendCounts
}

// joinRoomDevice joins party id of room on the child at addr; it sends
// the plan once connected.
func joinRoomDevice(addr, room, id string, plan *mediaPlan) (*roomDevice, error) {
	q := url.Values{"room": {room}, "id": {id}}.Encode()
	d := &roomDevice{base: "http://" + addr, stop: make(chan struct{})}
	cp, err := lmmedia.NewClientPeer(benchAPI, webrtc.Configuration{}, nil)
	if err != nil {
		return nil, err
	}
	d.cp = cp
	audio, _ := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", id)
	video, _ := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", id)
	cp.PC.AddTrack(audio)
	cp.PC.AddTrack(video)
	var once sync.Once
	cp.PC.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() {
				plan.send(d.stop, true, &d.sent, func(kind int, pkt *rtp.Packet) error {
					if kind == kindVideo {
						return video.WriteRTP(pkt)
					}
					return audio.WriteRTP(pkt)
				})
			})
		}
	})
	cp.PC.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			raw, _ := json.Marshal(c.ToJSON())
			post(d.base+"/candidate?"+q, raw)
		}
	})
	if err := post(d.base+"/join?"+q, nil); err != nil {
		cp.Close()
		return nil, err
	}
	go d.serve(q)
	return d, nil
}

// serve answers the room's signals until the device stops.
func (d *roomDevice) serve(q string) {
	for {
		select {
		case <-d.stop:
			return
		default:
		}
		res, err := http.Get(d.base + "/next?" + q)
		if err != nil {
			return
		}
		var m struct {
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		}
		ok := res.StatusCode == http.StatusOK && json.NewDecoder(res.Body).Decode(&m) == nil
		res.Body.Close()
		if !ok {
			continue
		}
		switch m.Type {
		case "rtc.offer":
			var o lmmedia.RtcOfferData
			json.Unmarshal(m.Data, &o)
			if sdp, err := d.cp.AnswerOffer(o.SDP); err == nil {
				post(d.base+"/answer?"+q, []byte(sdp))
			}
		case "rtc.candidate":
			var c lmmedia.RtcCandidateData
			if json.Unmarshal(m.Data, &c) == nil {
				d.cp.AddCandidate(c.Candidate)
			}
		}
	}
}

// received is every packet the device got, from every stream.
func (d *roomDevice) received() (n int64) {
	for _, s := range d.cp.Streams() {
		a, v := d.cp.Received(s)
		n += a + v
	}
	return n
}

// hearsAll reports whether video came from each of the other parties.
func (d *roomDevice) hearsAll() bool {
	streams := d.cp.Streams()
	if len(streams) < roomParties-1 {
		return false
	}
	for _, s := range streams {
		if _, v := d.cp.Received(s); v < 30 {
			return false
		}
	}
	return true
}

func (d *roomDevice) close() {
	closeOnce(d.stop)
	d.cp.Close()
}

func post(u string, body []byte) error {
	res, err := http.Post(u, "application/octet-stream", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode >= 300 {
		msg, _ := io.ReadAll(res.Body)
		return fmt.Errorf("%s: %s %s", u, res.Status, bytes.TrimSpace(msg))
	}
	return nil
}

// measureRooms runs rooms four-party rooms on the "rooms" child for the
// window and reports the packets it forwarded and the CPU it spent.
func measureRooms(o options, plan *mediaPlan, rooms int) (cpu time.Duration, fwd int64, err error) {
	srv, err := startChild("rooms", childArgs{}, o.workDir, o.pin)
	if err != nil {
		return 0, 0, err
	}
	defer srv.stop()
	var devs []*roomDevice
	defer func() {
		for _, d := range devs {
			d.close()
		}
	}()
	for i := range rooms {
		for j := range roomParties {
			d, err := joinRoomDevice(srv.Addr, fmt.Sprintf("room-%d", i), fmt.Sprintf("p%d", j), plan)
			if err != nil {
				return 0, 0, err
			}
			devs = append(devs, d)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, d := range devs {
		for !d.hearsAll() {
			if time.Now().After(deadline) {
				return 0, 0, fmt.Errorf("a party of a %d-party room does not receive every other (streams %v)", roomParties, d.cp.Streams())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	time.Sleep(min(time.Second, o.duration))
	sum := func() (n int64) {
		for _, d := range devs {
			n += d.received()
		}
		return n
	}
	r0, c0 := sum(), srv.cpu()
	time.Sleep(o.duration)
	return srv.cpu() - c0, sum() - r0, nil
}
