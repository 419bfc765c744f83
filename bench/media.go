package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4/pkg/media/ivfreader"

	lmmedia "github.com/livemall/livemall/media"
)

// mediaPlan is the test media cut into RTP payloads once: VP8 720p at
// 30 fps (~1.5 Mbit/s) and Opus in 20 ms packets. Every sender (pion
// phones, the UDP relay's clients) sends the same payloads on the same
// schedule, numbering them as it goes.
type mediaPlan struct {
	frames [][][]byte // VP8 frames, each as its RTP payloads
	keys   []bool     // whether each frame is a keyframe
	opus   [][]byte
}

// loadMedia reads vp8-6s.ivf and opus-6s.ogg from dir.
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
		p.keys = append(p.keys, len(frame) > 0 && frame[0]&1 == 0)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "opus-6s.ogg"))
	if err != nil {
		return nil, err
	}
	if p.opus, err = lmmedia.OpusPackets(raw); err != nil {
		return nil, fmt.Errorf("read Opus fixture: %w", err)
	}
	if len(p.frames) == 0 || len(p.opus) == 0 {
		return nil, errors.New("the media fixtures are empty")
	}
	return p, nil
}

// Stream kinds, as indexes of counters.
const (
	kindAudio = 0
	kindVideo = 1
)

// sendCounts counts what a sender sent. Once marked, it also counts Opus
// packets and VP8 frames from the first keyframe on (what a recording
// started at the mark can hold).
type sendCounts struct {
	packets      [2]atomic.Int64
	marked       atomic.Bool
	markedAudio  atomic.Int64
	markedFrames atomic.Int64
	keySeen      atomic.Bool
}

// send paces the plan into write until stop closes: a video frame every
// 1/30 s (when video), an Opus packet every 20 ms.
func (p *mediaPlan) send(stop <-chan struct{}, video bool, c *sendCounts, write func(kind int, pkt *rtp.Packet) error) {
	ssrc := [2]uint32{uint32(time.Now().UnixNano()), uint32(time.Now().UnixNano() >> 8)}
	var seqA, seqV uint16
	var tsA, tsV uint32
	go paced(stop, 20*time.Millisecond, func(i int) {
		pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: seqA, Timestamp: tsA, SSRC: ssrc[0], Marker: i == 0},
			Payload: p.opus[i%len(p.opus)]}
		seqA, tsA = seqA+1, tsA+960
		if write(kindAudio, pkt) == nil {
			c.packets[kindAudio].Add(1)
			if c.marked.Load() {
				c.markedAudio.Add(1)
			}
		}
	})
	if !video {
		return
	}
	go paced(stop, time.Second/30, func(i int) {
		n := i % len(p.frames)
		frame := p.frames[n]
		if c.marked.Load() && (p.keys[n] || c.keySeen.Load()) {
			c.keySeen.Store(true)
			c.markedFrames.Add(1)
		}
		for j, payload := range frame {
			pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seqV, Timestamp: tsV, SSRC: ssrc[1], Marker: j == len(frame)-1},
				Payload: payload}
			seqV++
			if write(kindVideo, pkt) == nil {
				c.packets[kindVideo].Add(1)
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

// total is every packet counted.
func (c *sendCounts) total() int64 { return c.packets[0].Load() + c.packets[1].Load() }
