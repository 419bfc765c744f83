package main

import (
	"bytes"
	"fmt"
	"time"

	"github.com/at-wat/ebml-go"
	"github.com/at-wat/ebml-go/webm"
)

// runRecord measures voice/video mail: first o.recordings calls where only
// the caller sends (plain forwarding), then o.recordings callers leaving
// messages for offline callees at once. It reports the server CPU a
// recorded stream costs over a forwarded one, and media sent during the
// recording that is missing from the file.
func runRecord(o options) (*report, error) {
	r, plan, srv, err := mediaScenario(o, "record", "recordings", o.recordings)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	n := newNode(srv.Addr)

	fwdPhones, err := connectCalls(n, o.recordings, plan, "fwd", false)
	defer func() {
		for _, p := range fwdPhones {
			p.close()
		}
	}()
	if err != nil {
		return nil, err
	}
	cpuFwd, fwd, _, _, _, err := measureCalls(srv, fwdPhones, o.duration, func() (int, int64) { return 0, 0 })
	if err != nil {
		return nil, err
	}

	callers, offline, err := n.signUpTwo("rec-caller", o.recordings, "rec-offline", o.recordings)
	if err != nil {
		return nil, err
	}
	src := &sources{n: 2}
	var phones []*phone
	var chans []chan wsMessage
	defer func() {
		for _, p := range phones {
			p.close()
		}
	}()
	for i, m := range callers {
		ch, on := callMsgs()
		p, err := connectPhone(m, fmt.Sprintf("bench-rec-%04d", i), src, plan, on)
		if err != nil {
			return nil, err
		}
		p.answer.Store(true)
		p.send.Store(true)
		phones, chans = append(phones, p), append(chans, ch)
	}
	ids := make([]string, len(phones))
	for i, p := range phones {
		p.sendMsg("call.dial", map[string]any{"number": offline[i].number, "video": true})
	}
	for i, p := range phones {
		m, ok := await(chans[i], 60*time.Second, func(m wsMessage) bool { return m.Type == "call.state" && stateOf(m) == "recording" })
		if !ok {
			return nil, fmt.Errorf("recording %d never started", i)
		}
		ids[i] = callIDOf(m)
		p.sent.marked.Store(true)
	}
	time.Sleep(min(time.Second, o.duration))
	cpu0 := srv.cpu()
	time.Sleep(o.duration)
	cpuRec := srv.cpu() - cpu0
	for _, p := range phones {
		p.pauseMedia()
	}
	time.Sleep(500 * time.Millisecond)
	for i, p := range phones {
		p.sendMsg("call.hangup", map[string]any{"callId": ids[i]})
	}
	for i := range phones {
		await(chans[i], 15*time.Second, func(m wsMessage) bool { return m.Type == "call.state" && stateOf(m) == "ended" })
	}

	var sentAudio, sentFrames, fileAudio, fileFrames int64
	for i, m := range offline {
		a, v, err := fetchMessage(m)
		if err != nil {
			return nil, fmt.Errorf("message %d: %w", i, err)
		}
		fileAudio, fileFrames = fileAudio+a, fileFrames+v
		sentAudio += phones[i].sent.markedAudio.Load()
		sentFrames += phones[i].sent.markedFrames.Load()
	}
	perFwd := float64(cpuFwd) / float64(o.recordings)
	perRec := float64(cpuRec) / float64(o.recordings)
	added := 100 * (perRec - perFwd) / perFwd
	r.set("server_cpu_pct_per_forwarded_stream", 100*perFwd/float64(o.duration), "% of a core")
	r.set("server_cpu_pct_per_recorded_stream", 100*perRec/float64(o.duration), "% of a core")
	r.set("forwarded_packets_in_window", fwd.window, "")
	r.set("cpu_added_by_recording_pct", added, "%")
	r.set("audio_packets_sent_while_recording", sentAudio, "")
	r.set("audio_packets_in_files", fileAudio, "")
	r.set("video_frames_sent_from_first_keyframe", sentFrames, "")
	r.set("video_frames_in_files", fileFrames, "")
	lost := max(0, sentAudio-fileAudio) + max(0, sentFrames-fileFrames)
	r.set("lost_to_file", lost, "packets+frames")
	r.target("record_cpu", added <= 20, "%.1f %% CPU added per recorded stream over a forwarded one (target ≤ 20 %%)", added)
	r.target("record_loss", lost == 0, "%d audio packets or video frames missing from the files (target 0)", lost)
	return r, nil
}

// fetchMessage waits for the member's one message, downloads it and
// counts its audio and video blocks.
func fetchMessage(m *member) (audio, video int64, err error) {
	var box struct {
		Messages []struct{ MediaURL string }
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(box.Messages) == 0 {
		if time.Now().After(deadline) {
			return 0, 0, fmt.Errorf("no message in the mailbox of %s", m.name)
		}
		time.Sleep(100 * time.Millisecond)
		if err := m.must(200, "GET", "/api/v1/mailbox", nil, &box); err != nil {
			return 0, 0, err
		}
	}
	st, raw, err := m.do("GET", box.Messages[0].MediaURL, nil)
	if err != nil || st != 200 {
		return 0, 0, fmt.Errorf("download message: %d %v", st, err)
	}
	var file struct {
		Header  webm.EBMLHeader `ebml:"EBML"`
		Segment webm.Segment    `ebml:"Segment"`
	}
	if err := ebml.Unmarshal(bytes.NewReader(raw), &file); err != nil {
		return 0, 0, fmt.Errorf("parse WebM: %w", err)
	}
	kinds := map[uint64]string{}
	for _, t := range file.Segment.Tracks.TrackEntry {
		kinds[t.TrackNumber] = t.CodecID
	}
	for _, c := range file.Segment.Cluster {
		for _, b := range c.SimpleBlock {
			if kinds[b.TrackNumber] == "V_VP8" {
				video++
			} else {
				audio++
			}
		}
	}
	return audio, video, nil
}
