package media

import (
	"io"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// TestResendAnswersOnlyWhatTheHistoryHolds: after 600 packets (more than
// the history keeps), a retransmission request for a recent one sends it
// again with its sequence number; one for a packet pushed out of the
// history, or never sent, sends nothing.
func TestResendAnswersOnlyWhatTheHistoryHolds(t *testing.T) {
	sender, w, raw, track := forwardPath(t)
	sent := 0
	sender.readFrom(webrtc.RTPCodecTypeVideo, func(buf []byte) (int, error) {
		if sent == 600 {
			return 0, io.EOF
		}
		sent++
		raw[2], raw[3] = byte(sent>>8), byte(sent)
		return copy(buf, raw), nil
	})
	var scratch rtp.Packet
	for _, tc := range []struct {
		seq  uint16
		want bool
	}{
		{600, true}, {599, true}, {600 - historySize + 2, true},
		{600 - historySize + 1, false}, // its slot is the one the next read fills
		{600 - historySize, false},     // pushed out
		{1, false},                     // long gone
		{601, false},                   // never sent
	} {
		before := w.packets
		track.resend(tc.seq, nil, &scratch)
		if got := w.packets > before; got != tc.want {
			t.Errorf("resend of %d: sent %v, want %v", tc.seq, got, tc.want)
		} else if got && w.lastSeq != tc.seq {
			t.Errorf("resend of %d went out as %d", tc.seq, w.lastSeq)
		}
	}
	// Another participant feeds the track now: what the first one sent
	// is not answered from the new one's history.
	track.setSource(&Participant{ID: "next"})
	before := w.packets
	track.resend(600, nil, &scratch)
	if w.packets != before {
		t.Errorf("a packet of the previous source was sent again from the new one")
	}
}
