// Command livekitload is the LiveKit side of `go run ./bench sfu
// --livekit`: it drives 1:1 rooms on a livekit-server with the same media
// on the same schedule as the bench's pion phones drive livemall, and
// reports what was sent and received as JSON lines on stdout.
//
// It is a module of its own so that LiveKit's SDK, and everything it
// brings, stays out of livemall's go.mod; the bench builds it into .bin/.
//
// Lines, one JSON object each: {"event":"ready"} once every participant
// receives video; {"event":"start",…} after the settle time, {"event":
// "end",…} after the window, then the senders stop and {"event":
// "drained",…} comes after the drain. Each carries sent and received
// packet totals; the bench reads the server's CPU at start and end.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/ivfreader"
)

func main() {
	url := flag.String("url", "ws://127.0.0.1:7880", "livekit-server URL")
	key := flag.String("key", "devkey", "API key")
	secret := flag.String("secret", "secret", "API secret")
	rooms := flag.Int("rooms", 1, "1:1 rooms, two participants each")
	dir := flag.String("media", "media/testdata", "directory with vp8-6s.ivf and opus-6s.ogg")
	settle := flag.Duration("settle", 2*time.Second, "wait after every participant receives video")
	window := flag.Duration("window", 5*time.Second, "measuring window")
	drain := flag.Duration("drain", time.Second, "wait after the senders stop")
	flag.Parse()
	if err := run(*url, *key, *secret, *rooms, *dir, *settle, *window, *drain); err != nil {
		fmt.Fprintln(os.Stderr, "livekitload:", err)
		os.Exit(1)
	}
}

// event is one line of output.
type event struct {
	Event    string `json:"event"`
	Sent     int64  `json:"sent"`
	Received int64  `json:"received"`
}

func run(url, key, secret string, rooms int, dir string, settle, window, drain time.Duration) error {
	plan, err := loadMedia(dir)
	if err != nil {
		return err
	}
	stop := make(chan struct{})
	var parts []*participant
	defer func() {
		for _, p := range parts {
			if p != nil {
				p.room.Disconnect()
			}
		}
	}()
	// Four joins at a time; a join that times out (a busy machine) is
	// tried once more.
	parts = make([]*participant, 2*rooms)
	errs := make([]error, 2*rooms)
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i := range 2 * rooms {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			room, id := fmt.Sprintf("bench-%04d", i/2), fmt.Sprintf("p%d", i%2)
			for try := 0; try < 2; try++ {
				parts[i], errs[i] = join(url, key, secret, room, id, plan, stop)
				if errs[i] == nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, p := range parts {
		for p.got[1].Load() < 30 {
			if time.Now().After(deadline) {
				return fmt.Errorf("media did not flow in every room (a participant got %d audio, %d video packets)", p.got[0].Load(), p.got[1].Load())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	out := json.NewEncoder(os.Stdout)
	emit := func(name string) {
		var e event
		e.Event = name
		for _, p := range parts {
			e.Sent += p.sent.Load()
			e.Received += p.got[0].Load() + p.got[1].Load()
		}
		out.Encode(e)
	}
	emit("ready")
	time.Sleep(settle)
	emit("start")
	time.Sleep(window)
	emit("end")
	close(stop)
	time.Sleep(drain)
	emit("drained")
	return nil
}

// participant is one side of a room: it publishes the plan and counts
// the packets of the tracks it subscribes to.
type participant struct {
	room *lksdk.Room
	sent atomic.Int64
	got  [2]atomic.Int64
}

func join(url, key, secret, room, id string, plan *mediaPlan, stop chan struct{}) (*participant, error) {
	p := &participant{}
	cb := lksdk.NewRoomCallback()
	cb.OnTrackSubscribed = func(tr *webrtc.TrackRemote, _ *lksdk.RemoteTrackPublication, _ *lksdk.RemoteParticipant) {
		idx := 0
		if tr.Kind() == webrtc.RTPCodecTypeVideo {
			idx = 1
		}
		go func() {
			buf := make([]byte, 1500)
			for {
				if _, _, err := tr.Read(buf); err != nil {
					return
				}
				p.got[idx].Add(1)
			}
		}()
	}
	r, err := lksdk.ConnectToRoom(url, lksdk.ConnectInfo{APIKey: key, APISecret: secret, RoomName: room, ParticipantIdentity: room + "-" + id},
		cb, lksdk.WithAutoSubscribe(true), lksdk.WithConnectTimeout(30*time.Second))
	if err != nil {
		return nil, fmt.Errorf("join %s as %s: %w", room, id, err)
	}
	p.room = r
	audio, err := lksdk.NewLocalTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2})
	if err != nil {
		return nil, err
	}
	video, err := lksdk.NewLocalTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000})
	if err != nil {
		return nil, err
	}
	lp := r.LocalParticipant
	if _, err := lp.PublishTrack(audio, &lksdk.TrackPublicationOptions{Name: "audio", Source: livekit.TrackSource_MICROPHONE}); err != nil {
		return nil, fmt.Errorf("publish audio: %w", err)
	}
	if _, err := lp.PublishTrack(video, &lksdk.TrackPublicationOptions{Name: "video", Source: livekit.TrackSource_CAMERA, VideoWidth: 1280, VideoHeight: 720}); err != nil {
		return nil, fmt.Errorf("publish video: %w", err)
	}
	plan.send(stop, &p.sent, func(kind int, pkt *rtp.Packet) error {
		if kind == 1 {
			return video.WriteRTP(pkt, nil)
		}
		return audio.WriteRTP(pkt, nil)
	})
	return p, nil
}

// mediaPlan is bench/media.go's plan: the fixtures cut into RTP payloads,
// VP8 720p at 30 fps and Opus in 20 ms packets.
type mediaPlan struct {
	frames [][][]byte
	opus   [][]byte
}

func loadMedia(dir string) (*mediaPlan, error) {
	f, err := os.Open(filepath.Join(dir, "vp8-6s.ivf"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, _, err := ivfreader.NewWith(f)
	if err != nil {
		return nil, fmt.Errorf("read VP8 fixture: %w", err)
	}
	p := &mediaPlan{}
	pay := &codecs.VP8Payloader{EnablePictureID: true}
	for {
		frame, _, err := r.ParseNextFrame()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read VP8 fixture: %w", err)
		}
		p.frames = append(p.frames, pay.Payload(1200, frame))
	}
	raw, err := os.ReadFile(filepath.Join(dir, "opus-6s.ogg"))
	if err != nil {
		return nil, err
	}
	if p.opus, err = opusPackets(raw); err != nil {
		return nil, err
	}
	if len(p.frames) == 0 || len(p.opus) == 0 {
		return nil, errors.New("the media fixtures are empty")
	}
	return p, nil
}

// opusPackets splits an Ogg Opus file into its packets, without the two
// header packets (media/greeting.go's OpusPackets).
func opusPackets(ogg []byte) ([][]byte, error) {
	var packets [][]byte
	var partial []byte
	for off := 0; off < len(ogg); {
		if len(ogg)-off < 27 || string(ogg[off:off+4]) != "OggS" {
			return nil, fmt.Errorf("ogg: no page at byte %d", off)
		}
		nseg := int(ogg[off+26])
		if len(ogg)-off < 27+nseg {
			return nil, errors.New("ogg: truncated segment table")
		}
		lacing := ogg[off+27 : off+27+nseg]
		body := off + 27 + nseg
		for _, l := range lacing {
			if body+int(l) > len(ogg) {
				return nil, errors.New("ogg: truncated page")
			}
			partial = append(partial, ogg[body:body+int(l)]...)
			body += int(l)
			if l < 255 {
				packets = append(packets, partial)
				partial = nil
			}
		}
		off = body
	}
	if len(packets) < 3 {
		return nil, errors.New("ogg: not an Opus stream")
	}
	return packets[2:], nil
}

// send paces the plan into write until stop closes, as bench/media.go
// does: a video frame every 1/30 s, an Opus packet every 20 ms.
func (p *mediaPlan) send(stop <-chan struct{}, sent *atomic.Int64, write func(kind int, pkt *rtp.Packet) error) {
	ssrc := [2]uint32{uint32(time.Now().UnixNano()), uint32(time.Now().UnixNano() >> 8)}
	var seqA, seqV uint16
	var tsA, tsV uint32
	go paced(stop, 20*time.Millisecond, func(i int) {
		pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: seqA, Timestamp: tsA, SSRC: ssrc[0], Marker: i == 0},
			Payload: p.opus[i%len(p.opus)]}
		seqA, tsA = seqA+1, tsA+960
		if write(0, pkt) == nil {
			sent.Add(1)
		}
	})
	go paced(stop, time.Second/30, func(i int) {
		frame := p.frames[i%len(p.frames)]
		for j, payload := range frame {
			pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seqV, Timestamp: tsV, SSRC: ssrc[1], Marker: j == len(frame)-1},
				Payload: payload}
			seqV++
			if write(1, pkt) == nil {
				sent.Add(1)
			}
		}
		tsV += 3000
	})
}

// paced calls tick(0), tick(1), … once per every until stop closes.
func paced(stop <-chan struct{}, every time.Duration, tick func(i int)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		tick(i)
	}
}
