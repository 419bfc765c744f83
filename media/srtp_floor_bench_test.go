package media

import (
	"crypto/rand"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// srtpFloorPackets is how many encrypted packets the floor benchmark
// cycles through: one decrypting context takes each sequence number once.
const srtpFloorPackets = 8192

// newSRTPFloorContext returns an AES-GCM SRTP context on fixed keys, as
// DTLS-SRTP negotiates with browsers.
func newSRTPFloorContext(tb testing.TB, key, salt []byte) *srtp.Context {
	tb.Helper()
	c, err := srtp.CreateContext(key, salt, srtp.ProtectionProfileAeadAes128Gcm)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// BenchmarkSRTPForwardFloor is what forwarding a video packet costs at
// the least once it has arrived, with no transport stack around it: SRTP
// decrypt of the sender's packet, its header parsed, SSRC and sequence
// rewritten, and SRTP encrypt for the receiver. Set beside bench sfu's
// µs per packet and the UDP relay's, it says what a node that handled
// SRTP on its socket's reader would cost (BENCHMARKS, sfu, session 20).
func BenchmarkSRTPForwardFloor(b *testing.B) {
	key, salt := make([]byte, 16), make([]byte, 12)
	rand.Read(key)
	rand.Read(salt)
	sender := newSRTPFloorContext(b, key, salt)
	in := make([][]byte, srtpFloorPackets)
	for i := range in {
		raw, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: uint16(i), Timestamp: uint32(i / 6 * 3000), SSRC: 42, Marker: i%6 == 5},
			Payload: make([]byte, 1100)}).Marshal()
		if err != nil {
			b.Fatal(err)
		}
		if in[i], err = sender.EncryptRTP(nil, raw, nil); err != nil {
			b.Fatal(err)
		}
	}
	outKey, outSalt := make([]byte, 16), make([]byte, 12)
	rand.Read(outKey)
	rand.Read(outSalt)
	receiver := newSRTPFloorContext(b, outKey, outSalt)
	plain, out := make([]byte, 1500), make([]byte, 1500)
	var h rtp.Header
	var decrypt *srtp.Context
	b.ReportAllocs()
	b.SetBytes(1100)
	n := 0
	for b.Loop() {
		i := n % srtpFloorPackets
		if i == 0 { // each cycle replays the sequence numbers: a fresh context
			b.StopTimer()
			decrypt = newSRTPFloorContext(b, key, salt)
			b.StartTimer()
		}
		dec, err := decrypt.DecryptRTP(plain, in[i], &h)
		if err != nil {
			b.Fatal(err)
		}
		h.SSRC, h.SequenceNumber = 1234, uint16(n)
		if _, err := h.MarshalTo(dec); err != nil { // the same size: in place
			b.Fatal(err)
		}
		if _, err := receiver.EncryptRTP(out, dec, &h); err != nil {
			b.Fatal(err)
		}
		n++
	}
}
