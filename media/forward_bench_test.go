package media

import (
	"io"
	"testing"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// countingContext binds a downstream track to a writer that counts what
// arrives, standing in for a peer connection's sender.
type countingContext struct{ w *countingWriter }

func (c countingContext) CodecParameters() []webrtc.RTPCodecParameters {
	return []webrtc.RTPCodecParameters{{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, PayloadType: 96}}
}
func (countingContext) HeaderExtensions() []webrtc.RTPHeaderExtensionParameter { return nil }
func (countingContext) SSRC() webrtc.SSRC                                      { return 1234 }
func (countingContext) SSRCRetransmission() webrtc.SSRC                        { return 0 }
func (countingContext) SSRCForwardErrorCorrection() webrtc.SSRC                { return 0 }
func (c countingContext) WriteStream() webrtc.TrackLocalWriter                 { return c.w }
func (countingContext) ID() string                                             { return "bench" }
func (countingContext) RTCPReader() interceptor.RTCPReader                     { return nil }

// countingWriter counts the packets and payload bytes written to it and
// keeps the last sequence number.
type countingWriter struct {
	packets, bytes int
	lastSeq        uint16
	lastSSRC       uint32
}

func (w *countingWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	w.packets++
	w.bytes += len(payload)
	w.lastSeq, w.lastSSRC = h.SequenceNumber, h.SSRC
	return len(payload), nil
}

func (w *countingWriter) Write(b []byte) (int, error) { return len(b), nil }

// forwardPath wires sender → route sink → receiver's downstream video
// track → a counting writer, as a room does, without the network.
func forwardPath(tb testing.TB) (*Participant, *countingWriter, []byte, *outTrack) {
	tb.Helper()
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", "s")
	if err != nil {
		tb.Fatal(err)
	}
	w := &countingWriter{}
	if _, err := track.Bind(countingContext{w: w}); err != nil {
		tb.Fatal(err)
	}
	sender := &Participant{ID: "sender"}
	o := newOutTrack(track, nil)
	o.setSource(sender)
	rt := &route{video: o}
	sender.AddSink(rt.sink(sender))
	raw, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 1, Timestamp: 3000, SSRC: 42},
		Payload: make([]byte, 1100)}).Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	return sender, w, raw, o
}

// TestForwardPathDeliversEachPacketOnce: a packet the sender sends reaches
// the receiver's track once, with its sequence number and the track's
// SSRC; a packet that does not parse goes nowhere.
func TestForwardPathDeliversEachPacketOnce(t *testing.T) {
	sender, w, raw, _ := forwardPath(t)
	sent := 0
	sender.readFrom(webrtc.RTPCodecTypeVideo, func(buf []byte) (int, error) {
		sent++
		switch {
		case sent <= 3:
			raw[2], raw[3] = 0, byte(sent)
			return copy(buf, raw), nil
		case sent == 4:
			return copy(buf, raw[:5]), nil // truncated
		}
		return 0, io.EOF
	})
	if w.packets != 3 || w.bytes != 3*1100 || w.lastSeq != 3 || w.lastSSRC != 1234 {
		t.Fatalf("forwarded %d packets, %d bytes, last seq %d, ssrc %d; want 3, 3300, 3, 1234", w.packets, w.bytes, w.lastSeq, w.lastSSRC)
	}
}

// BenchmarkForwardPath is one upstream packet read into the history,
// parsed and forwarded to one downstream track: it must not allocate.
func BenchmarkForwardPath(b *testing.B) {
	sender, w, raw, _ := forwardPath(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	i := 0
	sender.readFrom(webrtc.RTPCodecTypeVideo, func(buf []byte) (int, error) {
		if !b.Loop() {
			return 0, io.EOF
		}
		i++
		raw[2], raw[3] = byte(i>>8), byte(i)
		return copy(buf, raw), nil
	})
	if w.packets == 0 {
		b.Fatal("nothing was forwarded")
	}
}
