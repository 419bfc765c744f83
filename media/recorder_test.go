package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/at-wat/ebml-go"
	"github.com/at-wat/ebml-go/webm"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/ivfreader"
	"github.com/pion/webrtc/v4/pkg/media/oggreader"
)

// The fixtures are the first 6 s of the shared test media (see
// TestRecorderFixtures), cut byte for byte so that CI, which has no shared
// folder, runs the same tests.
const (
	recorderVP8Fixture  = "testdata/vp8-6s.ivf"
	recorderOpusFixture = "testdata/opus-6s.ogg"
	recorderFixtureSecs = 6
	recorderFixtureMax  = 1_500_000 // bytes, both files together
)

// recorderEvent is one RTP packet as a browser would send it, at its media
// time.
type recorderEvent struct {
	kind webrtc.RTPCodecType
	at   time.Duration
	pkt  *rtp.Packet
}

// recorderMedia packetizes the fixtures' first d of media: VP8 frames (30
// fps) through pion's packetizer, each Opus packet (20 ms) as one RTP
// packet; random SSRCs, sequence numbers and timestamps, as a browser
// starts them. Events come in media-time order.
func recorderMedia(t testing.TB, d time.Duration) []recorderEvent {
	t.Helper()
	frames := recorderVP8Frames(t)
	opus := recorderOpusPackets(t)
	var events []recorderEvent

	vp := rtp.NewPacketizer(1200, 96, rand.Uint32(), &codecs.VP8Payloader{}, rtp.NewRandomSequencer(), 90000)
	for i, f := range frames {
		at := time.Duration(i) * time.Second / 30
		if at >= d {
			break
		}
		for _, p := range vp.Packetize(f, 3000) {
			events = append(events, recorderEvent{webrtc.RTPCodecTypeVideo, at, p})
		}
	}
	seq, ts, ssrc := uint16(rand.Uint32()), rand.Uint32(), rand.Uint32()
	for i, p := range opus {
		at := time.Duration(i) * 20 * time.Millisecond
		if at >= d {
			break
		}
		events = append(events, recorderEvent{webrtc.RTPCodecTypeAudio, at, &rtp.Packet{
			Header:  rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: seq + uint16(i), Timestamp: ts + uint32(i)*960, SSRC: ssrc},
			Payload: p,
		}})
	}
	slices.SortStableFunc(events, func(a, b recorderEvent) int { return int(a.at - b.at) })
	return events
}

// feedRecorder writes the events as two tracks would, each from its own
// goroutine, in lockstep chunks of 100 ms of media (as real time would keep
// them together).
func feedRecorder(t testing.TB, r *Recorder, events []recorderEvent) {
	t.Helper()
	var errs [2]error
	for start := 0; start < len(events); {
		end := start
		chunk := events[start].at.Truncate(100 * time.Millisecond)
		for end < len(events) && events[end].at.Truncate(100*time.Millisecond) == chunk {
			end++
		}
		var wg sync.WaitGroup
		for i, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
			wg.Go(func() {
				for _, e := range events[start:end] {
					if e.kind == kind && errs[i] == nil {
						errs[i] = r.WriteRTP(e.kind, e.pkt)
					}
				}
			})
		}
		wg.Wait()
		start = end
	}
	for _, err := range errs {
		if err != nil {
			t.Fatalf("WriteRTP: %v", err)
		}
	}
}

// webmFile is what the tests read back of a WebM file.
type webmFile struct {
	Header  webm.EBMLHeader `ebml:"EBML"`
	Segment webm.Segment    `ebml:"Segment"`
}

// webmBlock is a block with its absolute time.
type webmBlock struct {
	track uint64
	at    time.Duration
	key   bool
	data  []byte
}

func readWebM(t *testing.T, path string) (webmFile, []webmBlock) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open recording: %v", err)
	}
	defer f.Close()
	var w webmFile
	if err := ebml.Unmarshal(f, &w); err != nil {
		t.Fatalf("parse WebM: %v", err)
	}
	var blocks []webmBlock
	for _, c := range w.Segment.Cluster {
		for _, b := range c.SimpleBlock {
			at := time.Duration(int64(c.Timecode)+int64(b.Timecode)) * time.Millisecond
			blocks = append(blocks, webmBlock{b.TrackNumber, at, b.Keyframe, b.Data[0]})
		}
	}
	return w, blocks
}

// checkWebM checks a finished video recording and returns its blocks.
func checkWebM(t *testing.T, res RecordingResult, want time.Duration) []webmBlock {
	t.Helper()
	if res.ContentType != "video/webm" || !strings.HasSuffix(res.Path, ".webm") {
		t.Errorf("result %+v, want a video/webm .webm file", res)
	}
	if st, err := os.Stat(res.Path); err != nil || st.Size() != res.Bytes {
		t.Fatalf("result file: %v, size %d, want %d", err, st.Size(), res.Bytes)
	}
	w, blocks := readWebM(t, res.Path)
	if w.Header.DocType != "webm" {
		t.Errorf("DocType %q", w.Header.DocType)
	}
	tracks := map[uint64]webm.TrackEntry{}
	for _, te := range w.Segment.Tracks.TrackEntry {
		tracks[te.TrackNumber] = te
	}
	if a := tracks[recorderAudioTrack]; a.CodecID != "A_OPUS" || len(a.CodecPrivate) != 19 {
		t.Errorf("audio track %+v", a)
	}
	if v := tracks[recorderVideoTrack]; v.CodecID != "V_VP8" || v.Video == nil || v.Video.PixelWidth != 1280 || v.Video.PixelHeight != 720 {
		t.Errorf("video track %+v", v)
	}
	last := map[uint64]time.Duration{}
	count := map[uint64]int{}
	var prev time.Duration
	for i, b := range blocks {
		if b.at < prev {
			t.Fatalf("block %d at %v after one at %v: not in time order", i, b.at, prev)
		}
		if count[b.track] == 0 && b.track == recorderVideoTrack && !b.key {
			t.Errorf("video starts with a frame that is no keyframe")
		}
		prev, last[b.track] = b.at, b.at
		count[b.track]++
	}
	frames := int(want / (time.Second / 30))
	packets := int(want / (20 * time.Millisecond))
	if count[recorderVideoTrack] < frames*9/10 || count[recorderVideoTrack] > frames {
		t.Errorf("%d video blocks, want about %d", count[recorderVideoTrack], frames)
	}
	if count[recorderAudioTrack] < packets*9/10 || count[recorderAudioTrack] > packets {
		t.Errorf("%d audio blocks, want about %d", count[recorderAudioTrack], packets)
	}
	fileDur := time.Duration(w.Segment.Info.Duration * float64(w.Segment.Info.TimecodeScale))
	t.Logf("WebM: %d bytes, %d audio + %d video blocks, last block at %v, Duration element %v, result %v, %d cues",
		res.Bytes, count[recorderAudioTrack], count[recorderVideoTrack], prev, fileDur, res.Duration, len(w.Segment.Cues.CuePoint))
	within(t, "last block time", prev, want)
	within(t, "last video block", last[recorderVideoTrack], want)
	within(t, "Duration element", fileDur, want)
	within(t, "result Duration", res.Duration, want)
	if w.Segment.Cues == nil || len(w.Segment.Cues.CuePoint) == 0 {
		t.Errorf("no Cues: browsers cannot seek")
	}
	return blocks
}

func within(t *testing.T, what string, got, want time.Duration) {
	t.Helper()
	if got < want-500*time.Millisecond || got > want+500*time.Millisecond {
		t.Errorf("%s = %v, want %v ± 0.5 s", what, got, want)
	}
}

// checkOgg checks a finished voice recording with pion's Ogg reader.
func checkOgg(t *testing.T, res RecordingResult, want time.Duration) {
	t.Helper()
	if res.ContentType != "audio/ogg" || !strings.HasSuffix(res.Path, ".ogg") {
		t.Errorf("result %+v, want an audio/ogg .ogg file", res)
	}
	f, err := os.Open(res.Path)
	if err != nil {
		t.Fatalf("open recording: %v", err)
	}
	defer f.Close()
	r, head, err := oggreader.NewWith(f)
	if err != nil {
		t.Fatalf("parse Ogg: %v", err)
	}
	if head.SampleRate != 48000 || head.Channels != 2 {
		t.Errorf("OpusHead %+v", head)
	}
	var pages int
	var granule uint64
	for {
		_, h, err := r.ParseNextPage()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		if h.GranulePosition < granule {
			t.Fatalf("page %d: granule %d after %d", pages, h.GranulePosition, granule)
		}
		granule = h.GranulePosition
		pages++
	}
	got := time.Duration(granule) * time.Second / 48000
	t.Logf("Ogg: %d bytes, %d pages, last granule %d (%v), result %v", res.Bytes, pages, granule, got, res.Duration)
	within(t, "last granule", got, want)
	within(t, "result Duration", res.Duration, want)
}

func newTestRecorder(t *testing.T, dir string, video bool, max time.Duration) *Recorder {
	t.Helper()
	r, err := NewRecorder(dir, video, max)
	if err != nil {
		t.Fatalf("NewRecorder: %v", err)
	}
	return r
}

// scratchFiles lists what is left in a scratch folder.
func scratchFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestRecorderWebM(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "scratch") // created by NewRecorder
	r := newTestRecorder(t, dir, true, time.Minute)
	if !r.NeedsKeyframe() {
		t.Errorf("NeedsKeyframe false before any video")
	}
	feedRecorder(t, r, recorderMedia(t, 5*time.Second))
	if r.NeedsKeyframe() || r.Full() {
		t.Errorf("NeedsKeyframe %v, Full %v after 5 s of a 1 min recording", r.NeedsKeyframe(), r.Full())
	}
	res, err := r.Finish()
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	checkWebM(t, res, 5*time.Second)
	if got := scratchFiles(t, dir); len(got) != 1 || filepath.Join(dir, got[0]) != res.Path {
		t.Errorf("scratch holds %v, want only %s", got, filepath.Base(res.Path))
	}
	if _, err := r.Finish(); !errors.Is(err, ErrRecorderClosed) {
		t.Errorf("second Finish = %v, want ErrRecorderClosed", err)
	}
	if err := r.WriteRTP(webrtc.RTPCodecTypeAudio, &rtp.Packet{}); !errors.Is(err, ErrRecorderClosed) {
		t.Errorf("WriteRTP after Finish = %v, want ErrRecorderClosed", err)
	}
}

func TestRecorderOgg(t *testing.T) {
	dir := t.TempDir()
	r := newTestRecorder(t, dir, false, time.Minute)
	feedRecorder(t, r, recorderMedia(t, 5*time.Second)) // video is ignored
	res, err := r.Finish()
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	checkOgg(t, res, 5*time.Second)
}

// A lost audio packet leaves a gap the Ogg stream fills, so its granule
// positions keep following the RTP clock.
func TestRecorderOggGap(t *testing.T) {
	r := newTestRecorder(t, t.TempDir(), false, time.Minute)
	var kept []recorderEvent
	for _, e := range recorderMedia(t, 5*time.Second) {
		if e.kind == webrtc.RTPCodecTypeAudio && (e.at < 2*time.Second || e.at >= 2500*time.Millisecond) {
			kept = append(kept, e)
		}
	}
	feedRecorder(t, r, kept)
	res, err := r.Finish()
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	checkOgg(t, res, 5*time.Second)
}

func TestRecorderMaxDuration(t *testing.T) {
	events := recorderMedia(t, 6*time.Second)
	for _, video := range []bool{true, false} {
		t.Run(map[bool]string{true: "webm", false: "ogg"}[video], func(t *testing.T) {
			r := newTestRecorder(t, t.TempDir(), video, 2*time.Second)
			feedRecorder(t, r, events)
			if !r.Full() {
				t.Errorf("Full() = false after 6 s of a 2 s recording")
			}
			res, err := r.Finish()
			if err != nil {
				t.Fatalf("Finish: %v", err)
			}
			if video {
				checkWebM(t, res, 2*time.Second)
			} else {
				checkOgg(t, res, 2*time.Second)
			}
		})
	}
}

// Packets swapped within a few places, repeated, and (for video) a frame
// lost: the file still has its media in order and from a keyframe on.
func TestRecorderReorderedAndDuplicated(t *testing.T) {
	events := recorderMedia(t, 5*time.Second)
	rng := rand.New(rand.NewPCG(1, 2))
	var mixed []recorderEvent
	for i := 0; i < len(events); i++ {
		e := events[i]
		switch {
		case i%37 == 5 && i+3 < len(events):
			// Three packets arrive in reverse order.
			mixed = append(mixed, events[i+2], events[i+1], e)
			i += 2
		case i%53 == 7:
			// A packet arrives twice, the copy a little later.
			mixed = append(mixed, e)
			j := min(i+1+rng.IntN(4), len(events)-1)
			events = slices.Insert(events, j+1, recorderEvent{e.kind, events[j].at, e.pkt.Clone()})
		case i%211 == 100 && i > 0:
			// A stale copy of an old packet (already written).
			mixed = append(mixed, e, recorderEvent{events[i-60].kind, e.at, events[i-60].pkt.Clone()})
		default:
			mixed = append(mixed, e)
		}
	}
	r := newTestRecorder(t, t.TempDir(), true, time.Minute)
	// One goroutine, so the order above is the order of arrival.
	for _, e := range mixed {
		if err := r.WriteRTP(e.kind, e.pkt); err != nil {
			t.Fatalf("WriteRTP: %v", err)
		}
	}
	res, err := r.Finish()
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	blocks := checkWebM(t, res, 5*time.Second)
	seen := map[[2]int64]bool{}
	for _, b := range blocks {
		k := [2]int64{int64(b.track), int64(b.at)}
		if seen[k] && b.track == recorderAudioTrack {
			t.Errorf("audio block at %v written twice", b.at)
		}
		seen[k] = true
	}
}

// The recording time line starts at the first packet of either track, and a
// video track starts at a keyframe: frames before the first one are dropped
// and the audio before it is kept.
func TestRecorderVideoStartsAtKeyframe(t *testing.T) {
	events := recorderMedia(t, 3*time.Second)
	r := newTestRecorder(t, t.TempDir(), true, time.Minute)
	for _, e := range events {
		// Drop the first 10 frames (the keyframe among them).
		if e.kind == webrtc.RTPCodecTypeVideo && e.at < 10*time.Second/30 {
			continue
		}
		if e.at == time.Second && !r.NeedsKeyframe() {
			t.Errorf("NeedsKeyframe false without a keyframe")
		}
		if err := r.WriteRTP(e.kind, e.pkt); err != nil {
			t.Fatalf("WriteRTP: %v", err)
		}
	}
	if r.NeedsKeyframe() {
		t.Errorf("NeedsKeyframe true after a keyframe")
	}
	res, err := r.Finish()
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	// The fixture's next keyframe is at 2 s (one every 60 frames).
	w, blocks := readWebM(t, res.Path)
	tracks := w.Segment.Tracks.TrackEntry
	if len(tracks) != 2 {
		t.Fatalf("%d tracks, want audio and video", len(tracks))
	}
	var firstVideo time.Duration = -1
	var audio int
	for _, b := range blocks {
		if b.track == recorderVideoTrack && firstVideo < 0 {
			firstVideo = b.at
			if !b.key {
				t.Errorf("video starts with a frame that is no keyframe")
			}
		}
		if b.track == recorderAudioTrack {
			audio++
		}
	}
	within(t, "first video block", firstVideo, 2*time.Second)
	if audio < 140 {
		t.Errorf("%d audio blocks, want about 150", audio)
	}
	within(t, "result Duration", res.Duration, 3*time.Second)
}

// Video that never shows a keyframe leaves a voice-only WebM.
func TestRecorderVideoWithoutKeyframe(t *testing.T) {
	r := newTestRecorder(t, t.TempDir(), true, time.Minute)
	for _, e := range recorderMedia(t, 1500*time.Millisecond) {
		if e.kind == webrtc.RTPCodecTypeVideo && e.at == 0 {
			continue // the only keyframe
		}
		if err := r.WriteRTP(e.kind, e.pkt); err != nil {
			t.Fatalf("WriteRTP: %v", err)
		}
	}
	res, err := r.Finish()
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	w, blocks := readWebM(t, res.Path)
	if len(w.Segment.Tracks.TrackEntry) != 1 || w.Segment.Tracks.TrackEntry[0].CodecID != "A_OPUS" {
		t.Fatalf("tracks %+v, want Opus alone", w.Segment.Tracks.TrackEntry)
	}
	if len(blocks) < 70 || res.ContentType != "video/webm" {
		t.Errorf("%d blocks, %+v", len(blocks), res)
	}
	within(t, "result Duration", res.Duration, 1500*time.Millisecond)
}

func TestRecorderEmpty(t *testing.T) {
	videoOnly := func(e recorderEvent) bool { return e.kind == webrtc.RTPCodecTypeVideo && e.at > 0 }
	tests := []struct {
		name  string
		video bool
		keep  func(recorderEvent) bool
	}{
		{"webm nothing", true, func(recorderEvent) bool { return false }},
		{"ogg nothing", false, func(recorderEvent) bool { return false }},
		{"webm video without keyframe", true, videoOnly},
		{"ogg video only", false, func(e recorderEvent) bool { return e.kind == webrtc.RTPCodecTypeVideo }},
	}
	events := recorderMedia(t, time.Second)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			r := newTestRecorder(t, dir, tt.video, time.Minute)
			for _, e := range events {
				if tt.keep(e) {
					if err := r.WriteRTP(e.kind, e.pkt); err != nil {
						t.Fatalf("WriteRTP: %v", err)
					}
				}
			}
			if _, err := r.Finish(); !errors.Is(err, ErrEmptyRecording) {
				t.Fatalf("Finish = %v, want ErrEmptyRecording", err)
			}
			if left := scratchFiles(t, dir); len(left) != 0 {
				t.Errorf("files left: %v", left)
			}
		})
	}
	if _, err := NewRecorder(t.TempDir(), true, 0); err == nil {
		t.Errorf("NewRecorder accepted a zero max duration")
	}
	r := newTestRecorder(t, t.TempDir(), true, time.Minute)
	defer r.Abort()
	if err := r.WriteRTP(webrtc.RTPCodecType(0), &rtp.Packet{}); err == nil {
		t.Errorf("WriteRTP accepted a data track")
	}
	if err := r.WriteRTP(webrtc.RTPCodecTypeAudio, nil); err == nil {
		t.Errorf("WriteRTP accepted a nil packet")
	}
}

func TestRecorderAbortAndSweep(t *testing.T) {
	dir := t.TempDir()
	events := recorderMedia(t, time.Second)

	// Abort removes the temp file, even midway through a WebM file.
	r := newTestRecorder(t, dir, true, time.Minute)
	feedRecorder(t, r, events)
	r.Abort()
	r.Abort()
	if left := scratchFiles(t, dir); len(left) != 0 {
		t.Fatalf("Abort left %v", left)
	}
	if _, err := r.Finish(); !errors.Is(err, ErrRecorderClosed) {
		t.Errorf("Finish after Abort = %v, want ErrRecorderClosed", err)
	}

	// A crash: recordings never finished, and a finished one never
	// collected, leave their files; the sweep at start removes them and
	// nothing else.
	for _, video := range []bool{true, false} {
		r := newTestRecorder(t, dir, video, time.Minute)
		feedRecorder(t, r, events)
		defer r.Abort()
	}
	done := newTestRecorder(t, dir, false, time.Minute)
	feedRecorder(t, done, events)
	if _, err := done.Finish(); err != nil {
		t.Fatalf("Finish: %v", err)
	}
	other := filepath.Join(dir, "not-a-recording.txt")
	if err := os.WriteFile(other, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	left := scratchFiles(t, dir)
	if len(left) != 4 {
		t.Fatalf("scratch holds %v, want 3 recordings and another file", left)
	}
	n, err := SweepRecorderScratch(dir)
	if err != nil || n != 3 {
		t.Fatalf("SweepRecorderScratch = %d, %v; want 3, nil", n, err)
	}
	if left := scratchFiles(t, dir); !slices.Equal(left, []string{"not-a-recording.txt"}) {
		t.Errorf("after the sweep: %v", left)
	}
	if n, err := SweepRecorderScratch(filepath.Join(dir, "missing")); n != 0 || err != nil {
		t.Errorf("sweep of a missing folder = %d, %v", n, err)
	}
}

func TestRecorderFixtures(t *testing.T) {
	if os.Getenv("LIVEMALL_CUT_RECORDER_FIXTURES") != "" {
		// Refresh from the shared media: LIVEMALL_CUT_RECORDER_FIXTURES=1
		// go test ./media/ -run TestRecorderFixtures
		cutIVF(t, "../../shared/media/testsrc-720p-vp8-1500k-20s.ivf", recorderVP8Fixture, recorderFixtureSecs)
		cutOgg(t, "../../shared/media/sine-440-opus-32k-20s.ogg", recorderOpusFixture, recorderFixtureSecs)
	}
	var total int64
	for _, p := range []string{recorderVP8Fixture, recorderOpusFixture} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d bytes", p, st.Size())
		total += st.Size()
	}
	if total > recorderFixtureMax {
		t.Errorf("fixtures take %d bytes, more than %d", total, recorderFixtureMax)
	}
	if n := len(recorderVP8Frames(t)); n != 30*recorderFixtureSecs {
		t.Errorf("%d VP8 frames, want %d", n, 30*recorderFixtureSecs)
	}
	if n := len(recorderOpusPackets(t)); n != 50*recorderFixtureSecs {
		t.Errorf("%d Opus packets, want %d", n, 50*recorderFixtureSecs)
	}
}

// recorderVP8Frames reads the VP8 fixture's frames.
func recorderVP8Frames(t testing.TB) [][]byte {
	t.Helper()
	f, err := os.Open(recorderVP8Fixture)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, _, err := ivfreader.NewWith(f)
	if err != nil {
		t.Fatal(err)
	}
	var frames [][]byte
	for {
		frame, _, err := r.ParseNextFrame()
		if errors.Is(err, io.EOF) {
			return frames
		}
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, frame)
	}
}

// recorderOpusPackets reads the Opus fixture's audio packets. Its pages
// hold 50 packets each, so they are split along the lacing values, which
// pion's oggreader does not expose.
func recorderOpusPackets(t testing.TB) [][]byte {
	t.Helper()
	b, err := os.ReadFile(recorderOpusFixture)
	if err != nil {
		t.Fatal(err)
	}
	var packets [][]byte
	var cur []byte
	for _, page := range oggPages(t, b) {
		n := int(page[26])
		body := page[27+n:]
		for _, lace := range page[27 : 27+n] {
			cur = append(cur, body[:lace]...)
			body = body[lace:]
			if lace < 255 {
				packets = append(packets, cur)
				cur = nil
			}
		}
	}
	if len(packets) < 2 || !bytes.HasPrefix(packets[0], []byte("OpusHead")) {
		t.Fatalf("%s is not Ogg Opus", recorderOpusFixture)
	}
	return packets[2:] // after OpusHead and OpusTags
}

// oggPages splits an Ogg stream into its pages.
func oggPages(t testing.TB, b []byte) [][]byte {
	t.Helper()
	var pages [][]byte
	for len(b) > 0 {
		if len(b) < 27 || string(b[:4]) != "OggS" || len(b) < 27+int(b[26]) {
			t.Fatalf("bad Ogg page")
		}
		size := 27 + int(b[26])
		for _, lace := range b[27 : 27+int(b[26])] {
			size += int(lace)
		}
		if size > len(b) {
			t.Fatalf("truncated Ogg page")
		}
		pages = append(pages, b[:size])
		b = b[size:]
	}
	return pages
}

// cutIVF copies the first secs seconds of an IVF file.
func cutIVF(t *testing.T, src, dst string, secs int) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	rate, scale := binary.LittleEndian.Uint32(b[16:]), binary.LittleEndian.Uint32(b[20:])
	out := slices.Clone(b[:32])
	var n uint32
	for rest := b[32:]; len(rest) >= 12; n++ {
		size := binary.LittleEndian.Uint32(rest)
		pts := binary.LittleEndian.Uint64(rest[4:])
		if pts*uint64(scale) >= uint64(secs)*uint64(rate) {
			break
		}
		out = append(out, rest[:12+size]...)
		rest = rest[12+size:]
	}
	binary.LittleEndian.PutUint32(out[24:], n)
	if err := os.WriteFile(dst, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// cutOgg copies the pages of an Ogg Opus file that end within secs seconds
// (its pages end on whole seconds).
func cutOgg(t *testing.T, src, dst string, secs int) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for _, page := range oggPages(t, b) {
		if binary.LittleEndian.Uint64(page[6:]) > uint64(secs)*48000 {
			break
		}
		out = append(out, page...)
	}
	if err := os.WriteFile(dst, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// FuzzRecorderRTP feeds arbitrary packets: the Recorder must not panic, and
// Finish must return a file or an error, leaving nothing else behind.
//
// Each packet is encoded as: flags (bit 0 video, bit 1 marker), sequence
// number step, timestamp step (2 bytes, ×16 ticks), payload length (2
// bytes), payload.
func FuzzRecorderRTP(f *testing.F) {
	type packet struct {
		video, marker bool
		seq           uint16
		ts            uint32
		payload       []byte
	}
	encode := func(packets []packet) []byte {
		var b []byte
		var seq [2]uint16
		var ts [2]uint32
		for _, p := range packets {
			k := 0
			if p.video {
				k = 1
			}
			flags := byte(k)
			if p.marker {
				flags |= 2
			}
			step := (p.ts - ts[k]) / 16
			b = append(b, flags, byte(p.seq-seq[k]), byte(step>>8), byte(step), byte(len(p.payload)>>8), byte(len(p.payload)))
			b = append(b, p.payload...)
			seq[k], ts[k] = p.seq, p.ts
		}
		return b
	}
	// Real media.
	var real []packet
	for _, e := range recorderMedia(f, 100*time.Millisecond) {
		real = append(real, packet{e.kind == webrtc.RTPCodecTypeVideo, e.pkt.Marker, e.pkt.SequenceNumber, e.pkt.Timestamp, e.pkt.Payload})
	}
	f.Add(true, encode(real))
	f.Add(false, encode(real))
	// A small frame that passes for a 16×16 keyframe, an inter frame (each
	// after a one-byte VP8 payload descriptor), and 20 ms Opus packets (one
	// of 60 ms, one empty frame).
	key := []byte{0x10, 0x30, 0, 0, 0x9d, 0x01, 0x2a, 16, 0, 16, 0, 1, 2, 3, 4}
	inter := []byte{0x10, 0x31, 0, 0, 4, 5, 6}
	small := []packet{
		{false, false, 1, 0, []byte{0xfc, 1, 2}},
		{true, true, 1, 0, key},
		{false, false, 2, 960, []byte{0xfc, 4, 5}},
		{false, false, 3, 1920, []byte{0x1b, 4, 5}},
		{true, true, 2, 3000, inter},
		{false, false, 4, 4800, []byte{0xfc}},
		{true, true, 3, 6000, inter},
		{false, false, 6, 6720, []byte{0xff, 0x03, 1, 1, 1}},
	}
	f.Add(true, encode(small))
	f.Add(false, encode(small))
	f.Fuzz(func(t *testing.T, video bool, data []byte) {
		dir := t.TempDir()
		r, err := NewRecorder(dir, video, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var seq [2]uint16
		var ts [2]uint32
		for len(data) >= 6 {
			k := int(data[0] & 1)
			seq[k] += uint16(data[1])
			ts[k] += (uint32(data[2])<<8 | uint32(data[3])) * 16
			n := min(int(data[4])<<8|int(data[5]), len(data)-6)
			kind := webrtc.RTPCodecTypeAudio
			if k == 1 {
				kind = webrtc.RTPCodecTypeVideo
			}
			pkt := &rtp.Packet{
				Header:  rtp.Header{Version: 2, Marker: data[0]&2 != 0, SequenceNumber: seq[k], Timestamp: ts[k], SSRC: uint32(k + 1)},
				Payload: data[6 : 6+n],
			}
			if err := r.WriteRTP(kind, pkt); err != nil {
				t.Fatalf("WriteRTP: %v", err)
			}
			data = data[6+n:]
		}
		res, err := r.Finish()
		left := scratchFiles(t, dir)
		if err != nil {
			if len(left) != 0 {
				t.Fatalf("Finish failed (%v) and left %v", err, left)
			}
			return
		}
		if len(left) != 1 || filepath.Join(dir, left[0]) != res.Path || res.Bytes == 0 || res.Duration <= 0 || res.Duration > time.Second+200*time.Millisecond {
			t.Fatalf("Finish = %+v, scratch holds %v", res, left)
		}
	})
}
