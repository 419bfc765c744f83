package media_test

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

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/ivfreader"

	"github.com/livemall/livemall/media"
)

// The room tests' pion devices: each joins a room directly (no signaling
// socket: the room's signal function is the device's inbox), answers
// every offer, and sends the VP8 and Opus fixtures. Each device stamps
// its packets with a CSRC of its own, which the SFU passes through, so a
// receiver counts what came from each sender whatever stream carried it.

// roomMedia is the fixtures cut into RTP payloads once.
var roomMedia struct {
	once   sync.Once
	err    error
	frames [][][]byte
	opus   [][]byte
}

func loadRoomMedia(t *testing.T) {
	t.Helper()
	roomMedia.once.Do(func() {
		f, err := os.Open("testdata/vp8-6s.ivf")
		if err != nil {
			roomMedia.err = err
			return
		}
		defer f.Close()
		r, _, err := ivfreader.NewWith(f)
		if err != nil {
			roomMedia.err = err
			return
		}
		pay := &codecs.VP8Payloader{EnablePictureID: true}
		for {
			frame, _, err := r.ParseNextFrame()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				roomMedia.err = err
				return
			}
			roomMedia.frames = append(roomMedia.frames, pay.Payload(1200, frame))
		}
		raw, err := os.ReadFile("testdata/opus-6s.ogg")
		if err == nil {
			roomMedia.opus, err = media.OpusPackets(raw)
		}
		roomMedia.err = err
	})
	if roomMedia.err != nil {
		t.Fatalf("test media: %v", roomMedia.err)
	}
}

// maxTags bounds the devices one test has (tags 1..maxTags-1).
const maxTags = 16

// device is one pion client in a room.
type device struct {
	t    *testing.T
	id   string
	tag  uint32
	part *media.Participant
	cp   *media.ClientPeer

	inbox  chan signal
	ready  chan struct{}
	stop   chan struct{}
	from   [maxTags][2]atomic.Int64 // packets received by sender tag, audio and video
	mu     sync.Mutex
	roster *media.RoomRosterData
	offers atomic.Int64
	plis   atomic.Int64 // keyframe requests that reached this device's video
}

type signal struct {
	typ  string
	data any
}

// joinDevice joins a device with a role; its media starts once connected.
func joinDevice(t *testing.T, room *media.Room, id string, tag uint32, role media.Role, whisperTo string) *device {
	t.Helper()
	loadRoomMedia(t)
	d := &device{t: t, id: id, tag: tag, inbox: make(chan signal, 1024), ready: make(chan struct{}), stop: make(chan struct{})}
	cp, err := media.NewClientPeer(media.NewLoopbackClientAPI(), webrtc.Configuration{}, func(_ string, kind webrtc.RTPCodecType, pkt *rtp.Packet) {
		idx := 0
		if kind == webrtc.RTPCodecTypeVideo {
			idx = 1
		}
		from := uint32(0)
		if len(pkt.CSRC) > 0 && pkt.CSRC[0] < maxTags {
			from = pkt.CSRC[0]
		}
		d.from[from][idx].Add(1)
	})
	if err != nil {
		t.Fatal(err)
	}
	d.cp = cp
	audio, _ := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", id)
	video, _ := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", id)
	if _, err := cp.PC.AddTrack(audio); err != nil {
		t.Fatal(err)
	}
	vs, err := cp.PC.AddTrack(video)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			pkts, _, err := vs.ReadRTCP()
			if err != nil {
				return
			}
			for _, p := range pkts {
				if _, ok := p.(*rtcp.PictureLossIndication); ok {
					d.plis.Add(1)
				}
			}
		}
	}()
	connected := make(chan struct{})
	var once sync.Once
	cp.PC.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(connected) })
		}
	})
	part, err := room.JoinAs(id, role, whisperTo, func(typ string, data any) {
		d.inbox <- signal{typ, data}
	})
	if err != nil {
		cp.Close()
		t.Fatalf("%s joins as %s: %v", id, role, err)
	}
	d.part = part
	cp.PC.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			part.AddCandidate(c.ToJSON())
		}
	})
	go d.serve()
	go func() {
		select {
		case <-connected:
			go d.send(audio, video)
		case <-d.stop:
		}
	}()
	t.Cleanup(d.close)
	return d
}

// serve answers the room's offers and takes its candidates and rosters.
func (d *device) serve() {
	for {
		select {
		case <-d.stop:
			return
		case s := <-d.inbox:
			switch v := s.data.(type) {
			case *media.RtcOfferData:
				d.offers.Add(1)
				answer, err := d.cp.AnswerOffer(v.SDP)
				if err == nil {
					err = d.part.Answer(answer)
				}
				if err != nil {
					d.t.Errorf("%s answers offer %d: %v", d.id, d.offers.Load(), err)
				}
			case *media.RtcCandidateData:
				d.cp.AddCandidate(v.Candidate)
			case *media.RoomRosterData:
				raw, _ := json.Marshal(v)
				var cp media.RoomRosterData
				json.Unmarshal(raw, &cp)
				d.mu.Lock()
				d.roster = &cp
				d.mu.Unlock()
			}
		}
	}
}

// send sends Opus every 20 ms and a VP8 frame every 60 ms, each packet
// stamped with the device's tag, until the device stops.
func (d *device) send(audio, video *webrtc.TrackLocalStaticRTP) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var aSeq, vSeq uint16
	var aTS, vTS uint32
	for n := 0; ; n++ {
		select {
		case <-d.stop:
			return
		case <-tick.C:
		}
		op := roomMedia.opus[n%len(roomMedia.opus)]
		aSeq++
		aTS += 960
		audio.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: aSeq, Timestamp: aTS, CSRC: []uint32{d.tag}}, Payload: op})
		if n%3 != 0 {
			continue
		}
		frame := roomMedia.frames[(n/3)%len(roomMedia.frames)]
		vTS += 5400
		for i, p := range frame {
			vSeq++
			video.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: vSeq, Timestamp: vTS, Marker: i == len(frame)-1, CSRC: []uint32{d.tag}}, Payload: p})
		}
	}
}

func (d *device) close() {
	select {
	case <-d.stop:
	default:
		close(d.stop)
		d.cp.Close()
	}
}

// got is what the device received from the sender with the tag.
func (d *device) got(tag uint32) (audio, video int64) {
	return d.from[tag][0].Load(), d.from[tag][1].Load()
}

// streamOf is the stream the device receives member id on, from its
// latest roster ("" when none).
func (d *device) streamOf(id string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.roster != nil {
		for _, m := range d.roster.Members {
			if m.ID == id {
				return m.Stream
			}
		}
	}
	return ""
}

// rosterIDs is the ids of the device's latest roster, and its own role.
func (d *device) rosterIDs() (ids []string, role media.Role) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.roster == nil {
		return nil, ""
	}
	for _, m := range d.roster.Members {
		ids = append(ids, m.ID)
	}
	return ids, d.roster.Role
}

// flow is what a receiver must get from a sender: audio, video, or
// nothing (both false).
type flow struct{ audio, video bool }

// expectMedia checks what each device receives from each other: it waits
// until every wanted flow grows by a clear margin over a window, and
// fails if in that window any unwanted flow (or a device's own media)
// carried a single packet. want[r][s] says what r gets from s; pairs not
// listed must carry nothing.
func expectMedia(t *testing.T, devs []*device, want map[*device]map[*device]flow) {
	t.Helper()
	snap := func() map[[2]int][2]int64 {
		out := map[[2]int][2]int64{}
		for i, r := range devs {
			for j, s := range devs {
				a, v := r.got(s.tag)
				out[[2]int{i, j}] = [2]int64{a, v}
			}
		}
		return out
	}
	var short []string
	grew := func(from map[[2]int][2]int64, audioBy, videoBy int64) bool {
		now := snap()
		short = nil
		for i, r := range devs {
			for j, s := range devs {
				f := want[r][s]
				k := [2]int{i, j}
				if f.audio && now[k][0]-from[k][0] < audioBy || f.video && now[k][1]-from[k][1] < videoBy {
					short = append(short, fmt.Sprintf("%s from %s: %d audio, %d video", r.id, s.id, now[k][0]-from[k][0], now[k][1]-from[k][1]))
				}
			}
		}
		return len(short) == 0
	}
	wait := func(what string, from map[[2]int][2]int64, by int64) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !grew(from, by, by) {
			if time.Now().After(deadline) {
				var states []string
				for _, d := range devs {
					states = append(states, fmt.Sprintf("%s: %s/%s/%s after %d offers", d.id, d.cp.PC.ConnectionState(), d.cp.PC.ICEConnectionState(), d.cp.PC.SignalingState(), d.offers.Load()))
				}
				t.Fatalf("timed out waiting for %s; short: %s; devices: %s", what, strings.Join(short, "; "), strings.Join(states, "; "))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// The flows settle first (renegotiations done, keyframes asked) ...
	wait("every wanted flow to start", snap(), 5)
	// ... then a window in which the wanted grow and nothing else moves.
	start := snap()
	wait("every wanted flow to carry a second of media", start, 40)
	end := snap()
	for i, r := range devs {
		for j, s := range devs {
			f := want[r][s]
			k := [2]int{i, j}
			da, dv := end[k][0]-start[k][0], end[k][1]-start[k][1]
			if !f.audio && da != 0 || !f.video && dv != 0 {
				t.Errorf("%s got %d audio and %d video packets from %s, want audio %v video %v", r.id, da, dv, s.id, f.audio, f.video)
			}
		}
	}
}

// everyone wants every party to hear every other party, both kinds.
func everyone(parties ...*device) map[*device]map[*device]flow {
	want := map[*device]map[*device]flow{}
	for _, r := range parties {
		want[r] = map[*device]flow{}
		for _, s := range parties {
			if r != s {
				want[r][s] = flow{true, true}
			}
		}
	}
	return want
}

// engines are the SFU's two ways of carrying a participant: pion's peer
// connections, and the node's own transport.
var engines = []struct {
	name string
	cfg  media.SFUConfig
}{
	{"pion", media.SFUConfig{Loopback: true}},
	{"lite", media.SFUConfig{Loopback: true, LiteTransport: true}},
}

// onEachEngine runs a room test once on each engine, as a subtest.
func onEachEngine(t *testing.T, test func(t *testing.T, engine media.SFUConfig)) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) { test(t, e.cfg) })
	}
}

// newRoom opens a room on a fresh SFU of the engine for the test.
func newRoom(t *testing.T, engine media.SFUConfig, id string) (*media.SFU, *media.Room) {
	t.Helper()
	sfu, err := media.NewSFU(engine)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sfu.Close)
	room, err := sfu.OpenRoom(id)
	if err != nil {
		t.Fatal(err)
	}
	return sfu, room
}
