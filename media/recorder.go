package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/at-wat/ebml-go/mkvcore"
	"github.com/at-wat/ebml-go/webm"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
	"github.com/pion/webrtc/v4/pkg/media/oggwriter"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"
)

// ErrEmptyRecording is returned by Finish when no playable media arrived
// (no audio, and no video from a keyframe on, or media that lasts no time:
// a single video frame). The temp file is removed.
var ErrEmptyRecording = errors.New("recording has no media")

// ErrRecorderClosed is returned by WriteRTP and Finish once the recording
// has been finished or aborted.
var ErrRecorderClosed = errors.New("recording already finished")

// Recording content types.
const (
	RecordingVideoType = "video/webm"
	RecordingAudioType = "audio/ogg"
)

const (
	recorderPrefix = "rec-"
	recorderTemp   = ".part"

	recorderAudioClock = 48000
	recorderVideoClock = 90000

	// How many packets the sample builders wait for a missing one (a NACKed
	// retransmission) before giving up on it: about 0.4 s of 720p video and
	// 0.2 s of audio.
	recorderVideoMaxLate = 64
	recorderAudioMaxLate = 10

	// A video recording keeps its audio in memory until the first video
	// keyframe tells the picture size. After this much audio without one it
	// gives up on video and records audio alone (still as WebM).
	recorderKeyframeWait = 10 * time.Second

	// How far apart audio and video blocks may arrive and still be
	// interleaved in timestamp order; later ones are dropped.
	recorderMaxSkewMs = 2000

	// WebM track numbers; audio comes first, as the WebM muxing guidelines
	// ask for blocks with equal timestamps.
	recorderAudioTrack = 1
	recorderVideoTrack = 2

	// An Opus gap filler (a code-0 packet with an empty frame, which
	// decoders conceal as a lost frame) is written for Ogg gaps of at least
	// one frame, up to this many in a row.
	recorderMaxFill = 3000
)

// RecordingResult is a finished recording.
type RecordingResult struct {
	// Path is the finished file, in the Recorder's scratch folder. The
	// caller owns it: store it (blob.Store.Put) and remove it.
	Path string
	// ContentType is RecordingVideoType or RecordingAudioType.
	ContentType string
	// Duration is the length of the media, from its RTP timestamps (not
	// from the wall clock).
	Duration time.Duration
	// Bytes is the file's size.
	Bytes int64
}

// Recorder turns the RTP packets of a caller's tracks into a file a browser
// plays: WebM (VP8 + Opus) for video mail, Ogg Opus for voice mail.
//
// Feed it with WriteRTP from each track's read loop (one goroutine per
// track is fine: a mutex serialises them), then call Finish, or Abort to
// throw the recording away. Time in the file runs from the first packet of
// either track; each track's RTP clock (48 kHz audio, 90 kHz video) places
// its media, and the wall-clock arrival of each track's first packet aligns
// the two tracks. Video is written from its first keyframe on: while
// NeedsKeyframe reports true the caller should send the sender a PLI.
type Recorder struct {
	mu sync.Mutex

	file      *os.File
	out       *recorderFile
	withVideo bool
	max       time.Duration

	started bool
	start   time.Time
	audio   recorderTrack
	video   recorderTrack
	full    bool
	closed  bool
	end     time.Duration // end of the latest media written
	blocks  int           // media blocks written

	// WebM: the block writers exist once the file's tracks are known.
	webmAudio    webm.BlockWriteCloser
	webmVideo    webm.BlockWriteCloser
	webmOpened   bool
	pending      []recorderBlock // audio held until the first keyframe
	videoStarted bool            // a keyframe has been written
	noVideo      bool            // gave up waiting for video
	wantKey      bool            // the last video frame was dropped

	// Ogg.
	ogg      *oggwriter.Writer
	oggTrack *oggwriter.Track
	granule  uint64 // samples written so far
	lastTOC  byte
}

// recorderTrack is one incoming RTP stream.
type recorderTrack struct {
	builder *samplebuilder.SampleBuilder
	clock   int64
	seen    bool
	offset  time.Duration // arrival of the first packet, from the recording's start
	refTS   uint32        // the last RTP timestamp mapped...
	refExt  int64         // ...and its distance in ticks from the first packet
	wrote   bool
	last    time.Duration // timestamp of the last block written
}

type recorderBlock struct {
	at   time.Duration
	data []byte
}

// NewRecorder starts a recording in a temp file in scratchDir (created if
// missing): WebM when withVideo, Ogg Opus otherwise. Media at or after
// maxDuration (which must be positive) is ignored and Full reports true.
func NewRecorder(scratchDir string, withVideo bool, maxDuration time.Duration) (*Recorder, error) {
	if maxDuration <= 0 {
		return nil, fmt.Errorf("new recorder: max duration %v is not positive", maxDuration)
	}
	if err := os.MkdirAll(scratchDir, 0o750); err != nil {
		return nil, fmt.Errorf("new recorder: %w", err)
	}
	ext := ".ogg"
	if withVideo {
		ext = ".webm"
	}
	f, err := os.CreateTemp(scratchDir, recorderPrefix+"*"+ext+recorderTemp)
	if err != nil {
		return nil, fmt.Errorf("new recorder: %w", err)
	}
	r := &Recorder{
		file:      f,
		out:       &recorderFile{f: f},
		withVideo: withVideo,
		max:       maxDuration,
		audio: recorderTrack{
			builder: samplebuilder.New(recorderAudioMaxLate, &codecs.OpusPacket{}, recorderAudioClock),
			clock:   recorderAudioClock,
		},
	}
	if withVideo {
		r.video = recorderTrack{
			// No WithMaxTimeDelay: its check scans the whole window on every
			// purge step, seconds of CPU after a jump in sequence numbers.
			builder: samplebuilder.New(recorderVideoMaxLate, &codecs.VP8Packet{}, recorderVideoClock,
				samplebuilder.WithRTPHeaders(true)),
			clock: recorderVideoClock,
		}
		return r, nil
	}
	r.ogg, err = oggwriter.NewWriter(r.out, oggwriter.WithSeekableOutput(r.out))
	if err == nil {
		r.oggTrack, err = r.ogg.NewTrack(1)
	}
	if err != nil {
		r.discard()
		return nil, fmt.Errorf("new recorder: %w", err)
	}
	return r, nil
}

// WriteRTP adds a packet of the audio (Opus) or video (VP8) track. It copies
// the packet. Packets of a voice recording's video track and media past
// maxDuration are ignored (a packet may still complete earlier media of the
// other track, so keep feeding until the call ends); late, duplicated and undecodable ones are
// dropped. It returns an error only for a kind other than audio or video,
// a finished recording, or a failed write of the file, after which the
// recording cannot succeed.
func (r *Recorder) WriteRTP(kind webrtc.RTPCodecType, pkt *rtp.Packet) error {
	if pkt == nil {
		return errors.New("record rtp: nil packet")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrRecorderClosed
	}
	if err := r.out.failed(); err != nil {
		return fmt.Errorf("record rtp: %w", err)
	}
	var t *recorderTrack
	switch kind {
	case webrtc.RTPCodecTypeAudio:
		t = &r.audio
	case webrtc.RTPCodecTypeVideo:
		if !r.withVideo || r.noVideo {
			return nil
		}
		t = &r.video
	default:
		return fmt.Errorf("record rtp: unknown track kind %v", kind)
	}
	now := time.Now()
	if !r.started {
		r.started, r.start = true, now
	}
	if !t.seen {
		t.seen, t.offset, t.refTS = true, now.Sub(r.start), pkt.Timestamp
	}
	t.builder.Push(pkt.Clone())
	r.drain(kind, t)
	return r.out.failed()
}

// drain writes the samples t's builder has completed.
func (r *Recorder) drain(kind webrtc.RTPCodecType, t *recorderTrack) {
	for s := t.builder.Pop(); s != nil; s = t.builder.Pop() {
		if kind == webrtc.RTPCodecTypeAudio {
			r.writeAudio(s)
		} else {
			r.writeVideo(s)
		}
	}
}

// Full reports whether media reached maxDuration: the recording has stopped
// and the caller may end the call.
func (r *Recorder) Full() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.full
}

// NeedsKeyframe reports whether the video track waits for a keyframe (at
// the start, or after a frame had to be dropped): the caller should send the
// sender a PLI. Always false for a voice recording.
func (r *Recorder) NeedsKeyframe() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.withVideo && !r.noVideo && !r.closed && !r.full && (!r.videoStarted || r.wantKey)
}

// at maps an RTP timestamp of t to the recording's time line.
func (t *recorderTrack) at(ts uint32) time.Duration {
	ext := t.refExt + int64(int32(ts-t.refTS))
	t.refTS, t.refExt = ts, ext
	if ext > 1<<40 { // nonsense (days), but keep the arithmetic in range
		ext = 1 << 40
	}
	sec, rem := ext/t.clock, ext%t.clock
	return t.offset + time.Duration(sec)*time.Second + time.Duration(rem*int64(time.Second)/t.clock)
}

// place returns where a sample goes on the time line, or false when it must
// be dropped: before the start, out of order or a duplicate, or past
// maxDuration (which fills the recording).
func (r *Recorder) place(t *recorderTrack, s *media.Sample) (time.Duration, bool) {
	at := t.at(s.PacketTimestamp)
	switch {
	case at < 0:
		return 0, false
	case at >= r.max:
		r.full = true
		return 0, false
	case t.wrote && at <= t.last:
		return 0, false
	}
	return at, true
}

func (r *Recorder) writeAudio(s *media.Sample) {
	dur := opusPacketDuration(s.Data)
	if dur == 0 {
		return // not an Opus packet a decoder would take
	}
	at, ok := r.place(&r.audio, s)
	if !ok {
		return
	}
	r.audio.wrote, r.audio.last = true, at
	if !r.withVideo {
		r.writeOgg(at, s.Data)
	} else {
		r.writeWebMAudio(at, s.Data)
	}
	r.end = max(r.end, at+dur)
	r.blocks++
}

func (r *Recorder) writeVideo(s *media.Sample) {
	key, width, height, valid := vp8FrameInfo(s.Data)
	// The builder only joins consecutive packets from a frame's first one;
	// a frame whose last packet (the one with the marker) is missing would
	// stop a browser's decoder, so it is dropped.
	complete := len(s.RTPHeaders) > 0 && s.RTPHeaders[len(s.RTPHeaders)-1].Marker
	if !valid || !complete {
		r.wantKey = true
		return
	}
	if !key && !r.videoStarted {
		return
	}
	at, ok := r.place(&r.video, s)
	if !ok {
		return
	}
	if !r.webmOpened {
		if err := r.openWebM(true, width, height); err != nil {
			r.out.fail(err)
			return
		}
	}
	if !key && !r.videoStarted || r.webmVideo == nil {
		return
	}
	r.video.wrote, r.video.last = true, at
	r.videoStarted = true
	if key {
		r.wantKey = false
	}
	_, _ = r.webmVideo.Write(key, at.Milliseconds(), s.Data)
	r.end = max(r.end, at+min(max(s.Duration, 0), time.Second))
	r.blocks++
}

func (r *Recorder) writeWebMAudio(at time.Duration, data []byte) {
	if !r.webmOpened {
		r.pending = append(r.pending, recorderBlock{at: at, data: data})
		if at-r.pending[0].at < recorderKeyframeWait {
			return
		}
		// No picture in sight: record the voice alone.
		r.noVideo = true
		if err := r.openWebM(false, 0, 0); err != nil {
			r.out.fail(err)
		}
		return
	}
	_, _ = r.webmAudio.Write(true, at.Milliseconds(), data)
}

// openWebM starts the WebM file with an audio track and, when withVideo, a
// VP8 track of the given size, and writes the audio held so far.
func (r *Recorder) openWebM(withVideo bool, width, height int) error {
	r.webmOpened = true
	tracks := []webm.TrackEntry{{
		Name:        "Audio",
		TrackNumber: recorderAudioTrack,
		TrackUID:    recorderAudioTrack,
		CodecID:     "A_OPUS",
		// OpusHead: version 1, 2 channels, no pre-skip, 48 kHz, no gain,
		// mapping family 0 — what "opus/48000/2" in the SDP means.
		CodecPrivate: opusHead(),
		TrackType:    2,
		SeekPreRoll:  uint64(80 * time.Millisecond),
		Audio:        &webm.Audio{SamplingFrequency: recorderAudioClock, Channels: 2},
	}}
	main := uint64(recorderAudioTrack)
	if withVideo {
		main = recorderVideoTrack
		tracks = append(tracks, webm.TrackEntry{
			Name:        "Video",
			TrackNumber: recorderVideoTrack,
			TrackUID:    recorderVideoTrack,
			CodecID:     "V_VP8",
			TrackType:   1,
			Video:       &webm.Video{PixelWidth: uint64(width), PixelHeight: uint64(height)},
		})
	}
	sorter, err := mkvcore.NewMultiTrackBlockSorter(
		mkvcore.WithMaxTimescaleDelay(recorderMaxSkewMs),
		mkvcore.WithSortRule(mkvcore.BlockSorterDropOutdated),
	)
	if err != nil {
		return err
	}
	// Room for one cue per cluster (a cluster starts at a keyframe after
	// at least a second, or every 5 s); the writer thins the cues out if
	// they do not fit.
	cues := 48*int(r.max/time.Second+8) + 64
	ws, err := webm.NewSimpleBlockWriter(r.out, tracks,
		// A fresh Info each time: the writer sets Duration in the one it is
		// given (the package default is shared by every writer).
		mkvcore.WithSegmentInfo(&webm.Info{TimecodeScale: uint64(time.Millisecond), MuxingApp: "livemall", WritingApp: "livemall"}),
		mkvcore.WithSeekHead(true),
		mkvcore.WithCues(cues),
		mkvcore.WithMinMaxClusterDuration(main, 1000, 5000),
		mkvcore.WithBlockInterceptor(sorter),
		mkvcore.WithOnErrorHandler(func(error) {}), // a block too old to sort in: dropped
		mkvcore.WithOnFatalHandler(r.out.fail),
	)
	if err != nil {
		return err
	}
	r.webmAudio = ws[0]
	if withVideo {
		r.webmVideo = ws[1]
	}
	for _, b := range r.pending {
		_, _ = r.webmAudio.Write(true, b.at.Milliseconds(), b.data)
	}
	r.pending = nil
	return nil
}

// writeOgg appends an Opus packet to the Ogg stream, first filling any gap
// since the previous one with empty frames so that the stream's granule
// positions keep following the RTP clock.
func (r *Recorder) writeOgg(at time.Duration, data []byte) {
	target := uint64(at) * recorderAudioClock / uint64(time.Second)
	if r.granule == 0 {
		r.lastTOC = data[0]
	}
	filler := []byte{r.lastTOC &^ 0x03}
	step := opusSamples(filler)
	for n := 0; n < recorderMaxFill && r.granule+step <= target; n++ {
		if err := r.oggTrack.WriteRTP(&rtp.Packet{Header: rtp.Header{SSRC: 1}, Payload: filler}); err != nil {
			r.out.fail(err)
			return
		}
		r.granule += step
	}
	if err := r.oggTrack.WriteRTP(&rtp.Packet{Header: rtp.Header{SSRC: 1}, Payload: data}); err != nil {
		r.out.fail(err)
		return
	}
	r.granule += opusSamples(data)
	r.lastTOC = data[0]
}

// Finish writes what the sample builders still hold, completes the file
// (WebM with Duration and Cues, Ogg with its end-of-stream flag), syncs it
// to disk and returns it. A recording without media returns an error
// wrapping ErrEmptyRecording; on any error the file is removed.
func (r *Recorder) Finish() (RecordingResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return RecordingResult{}, ErrRecorderClosed
	}
	r.closed = true
	r.audio.builder.Flush()
	r.drain(webrtc.RTPCodecTypeAudio, &r.audio)
	if r.withVideo && !r.noVideo {
		r.video.builder.Flush()
		r.drain(webrtc.RTPCodecTypeVideo, &r.video)
	}
	if r.withVideo && !r.webmOpened && len(r.pending) > 0 {
		r.noVideo = true
		if err := r.openWebM(false, 0, 0); err != nil {
			r.out.fail(err)
		}
	}
	r.closeWriters()
	// A recording that lasts no time at all (one video frame and no
	// sound) plays as nothing: it is empty too.
	if r.blocks == 0 || r.end <= 0 {
		r.discard()
		return RecordingResult{}, fmt.Errorf("finish recording: %w", ErrEmptyRecording)
	}
	if err := r.out.failed(); err != nil {
		r.discard()
		return RecordingResult{}, fmt.Errorf("finish recording: %w", err)
	}
	err := r.file.Sync()
	var st os.FileInfo
	if err == nil {
		st, err = r.file.Stat()
	}
	if cerr := r.file.Close(); err == nil {
		err = cerr
	}
	final := strings.TrimSuffix(r.file.Name(), recorderTemp)
	if err == nil {
		err = os.Rename(r.file.Name(), final)
	}
	if err != nil {
		os.Remove(r.file.Name())
		return RecordingResult{}, fmt.Errorf("finish recording: %w", err)
	}
	res := RecordingResult{Path: final, ContentType: RecordingAudioType, Duration: r.end, Bytes: st.Size()}
	if r.withVideo {
		res.ContentType = RecordingVideoType
	}
	return res, nil
}

// Abort throws the recording away: it closes and removes the temp file.
// It does nothing once the recording is finished or aborted.
func (r *Recorder) Abort() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.closed = true
	r.closeWriters()
	r.discard()
}

// closeWriters completes the container. Closing the last WebM block writer
// waits until the file is finalized.
func (r *Recorder) closeWriters() {
	if r.webmAudio != nil {
		_ = r.webmAudio.Close()
	}
	if r.webmVideo != nil {
		_ = r.webmVideo.Close()
	}
	if r.ogg != nil {
		if err := r.ogg.Close(); err != nil {
			r.out.fail(err)
		}
	}
	r.webmAudio, r.webmVideo, r.ogg = nil, nil, nil
}

// discard closes and removes the temp file.
func (r *Recorder) discard() {
	r.file.Close()
	os.Remove(r.file.Name())
}

// SweepRecorderScratch removes what recordings left in dir: temp files of
// recordings a crash interrupted, and finished files nobody collected. It
// must not run while recordings are in progress there: call it at start.
// A missing dir holds nothing to remove.
func SweepRecorderScratch(dir string) (removed int, err error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sweep recordings: %w", err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), recorderPrefix) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			return removed, fmt.Errorf("sweep recordings: %w", err)
		}
		removed++
	}
	return removed, nil
}

// recorderFile is the recording's output. It keeps the first write error
// and swallows the rest, so that the WebM writer's goroutine never stops
// midway (blocking its callers) and never panics; Finish reports the error.
// Close does nothing: the Recorder syncs and closes the file itself.
type recorderFile struct {
	f   *os.File
	mu  sync.Mutex
	err error
}

func (w *recorderFile) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

func (w *recorderFile) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *recorderFile) Write(p []byte) (int, error) {
	if w.failed() == nil {
		if _, err := w.f.Write(p); err != nil {
			w.fail(err)
		}
	}
	return len(p), nil
}

func (w *recorderFile) WriteAt(p []byte, off int64) (int, error) {
	if w.failed() == nil {
		if _, err := w.f.WriteAt(p, off); err != nil {
			w.fail(err)
		}
	}
	return len(p), nil
}

func (w *recorderFile) Seek(offset int64, whence int) (int64, error) {
	return w.f.Seek(offset, whence)
}

func (w *recorderFile) Close() error { return nil }

var _ interface {
	io.WriteCloser
	io.WriterAt
	io.Seeker
} = (*recorderFile)(nil)

// opusHead is the Opus identification header (RFC 7845 §5.1) WebM keeps as
// the track's CodecPrivate.
func opusHead() []byte {
	h := make([]byte, 19)
	copy(h, "OpusHead")
	h[8] = 1 // version
	h[9] = 2 // channels
	binary.LittleEndian.PutUint32(h[12:], recorderAudioClock)
	return h
}

// opusSamples returns how many 48 kHz samples an Opus packet holds, from
// its TOC byte and frame count (RFC 6716 §3.1), or 0 when its framing is
// invalid (§3.4) or it is longer than the 120 ms a packet may hold.
func opusSamples(p []byte) uint64 {
	if len(p) == 0 {
		return 0
	}
	toc := p[0]
	var perFrame uint64
	switch cfg := toc >> 3; {
	case cfg < 12: // SILK: 10, 20, 40, 60 ms
		perFrame = []uint64{480, 960, 1920, 2880}[cfg&3]
	case cfg < 16: // hybrid: 10, 20 ms
		perFrame = []uint64{480, 960}[cfg&1]
	default: // CELT: 2.5, 5, 10, 20 ms
		perFrame = []uint64{120, 240, 480, 960}[cfg&3]
	}
	rest := len(p) - 1
	var frames uint64
	switch toc & 3 {
	case 0:
		frames = 1
	case 1:
		if rest%2 != 0 {
			return 0
		}
		frames = 2
	case 2:
		if rest < 1 {
			return 0
		}
		n, size := 1, int(p[1])
		if p[1] >= 252 {
			if rest < 2 {
				return 0
			}
			n, size = 2, int(p[1])+4*int(p[2])
		}
		if size > rest-n {
			return 0
		}
		frames = 2
	case 3:
		if rest < 1 {
			return 0
		}
		frames = uint64(p[1] & 0x3f)
		if frames == 0 {
			return 0
		}
	}
	if frames*perFrame > 5760 {
		return 0
	}
	return frames * perFrame
}

// opusPacketDuration is opusSamples as a duration.
func opusPacketDuration(p []byte) time.Duration {
	return time.Duration(opusSamples(p)) * time.Second / recorderAudioClock
}

// vp8FrameInfo reads a VP8 frame's header (RFC 6386 §9.1): whether it is a
// keyframe, the picture size a keyframe announces, and whether the header
// is sound enough to hand to a decoder.
func vp8FrameInfo(p []byte) (key bool, width, height int, ok bool) {
	if len(p) < 3 {
		return false, 0, 0, false
	}
	tag := uint32(p[0]) | uint32(p[1])<<8 | uint32(p[2])<<16
	key = tag&1 == 0
	version := (tag >> 1) & 7
	firstPartition := int(tag >> 5)
	if version > 3 {
		return false, 0, 0, false
	}
	if !key {
		return false, 0, 0, firstPartition <= len(p)-3
	}
	if len(p) < 10 || p[3] != 0x9d || p[4] != 0x01 || p[5] != 0x2a {
		return false, 0, 0, false
	}
	width = int(binary.LittleEndian.Uint16(p[6:]) & 0x3fff)
	height = int(binary.LittleEndian.Uint16(p[8:]) & 0x3fff)
	if width == 0 || height == 0 || firstPartition > len(p)-10 {
		return false, 0, 0, false
	}
	return true, width, height, true
}
