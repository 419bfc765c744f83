package media

import (
	"testing"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// TestUpstreamHeadersAreParsedOnceWithoutAllocating: the interceptors
// above headerReuse see each packet's own header through its attributes,
// and reading a packet through it allocates nothing; a packet that does
// not parse carries no header.
func TestUpstreamHeadersAreParsedOnceWithoutAllocating(t *testing.T) {
	packets := [][]byte{}
	for seq := uint16(7); seq < 10; seq++ {
		raw, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: 3000 * uint32(seq), SSRC: 42}, Payload: []byte{1, 2, 3}}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		packets = append(packets, raw)
	}
	next := 0
	source := interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n := copy(b, packets[next%len(packets)])
		next++
		return n, a, nil
	})
	reader := (&headerReuse{}).BindRemoteStream(&interceptor.StreamInfo{}, source)
	buf := make([]byte, 1500)
	for i, raw := range packets {
		_, attrs, err := reader.Read(buf, nil)
		if err != nil {
			t.Fatal(err)
		}
		h, err := attrs.GetRTPHeader(buf)
		if err != nil || h.SequenceNumber != uint16(7+i) || h.Timestamp != 3000*uint32(7+i) || len(raw) == 0 {
			t.Fatalf("packet %d: header %+v %v, want sequence %d", i, h, err, 7+i)
		}
	}
	if allocs := testing.AllocsPerRun(100, func() {
		_, attrs, _ := reader.Read(buf, nil)
		attrs.GetRTPHeader(buf)
	}); allocs != 0 {
		t.Errorf("reading a packet allocates %.1f times, want 0", allocs)
	}
	packets = [][]byte{{0x80, 96}} // too short to be RTP
	next = 0
	_, attrs, err := reader.Read(buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := attrs.GetRTPHeader(buf[:2]); err == nil {
		t.Errorf("a packet too short to parse came with a header")
	}
}
