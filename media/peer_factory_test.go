package media

import (
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// fingerprintOf is the a=fingerprint line of a peer connection's offer.
func fingerprintOf(t *testing.T, pc *webrtc.PeerConnection) string {
	t.Helper()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(offer.SDP, "\r\n") {
		if strings.HasPrefix(line, "a=fingerprint:") {
			return line
		}
	}
	t.Fatalf("no fingerprint in the offer:\n%s", offer.SDP)
	return ""
}

// TestPeerConnectionsShareTheNodesCertificate opens two of the node's peer
// connections: both offer the same DTLS fingerprint (one certificate per
// node, not a key and certificate made per connection).
func TestPeerConnectionsShareTheNodesCertificate(t *testing.T) {
	sfu, err := NewSFU(SFUConfig{Loopback: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sfu.Close()
	var prints []string
	for range 2 {
		pc, err := sfu.peers.newPeerConnection()
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		prints = append(prints, fingerprintOf(t, pc))
	}
	if prints[0] != prints[1] {
		t.Fatalf("two connections of one node offer different certificates: %q and %q", prints[0], prints[1])
	}
}

// TestNodeCertificateIsRenewedBeforeItExpires keeps the certificate while
// it has more than certificateRenewal left and makes a new one after.
func TestNodeCertificateIsRenewedBeforeItExpires(t *testing.T) {
	f := &peerFactory{}
	now := time.Now()
	first, err := f.certificate(now)
	if err != nil {
		t.Fatal(err)
	}
	left := first.Expires().Sub(now)
	if left <= certificateRenewal {
		t.Fatalf("a new certificate lasts %v, no more than the renewal margin %v", left, certificateRenewal)
	}
	same, err := f.certificate(now.Add(left - certificateRenewal - time.Hour))
	if err != nil || same != first {
		t.Fatalf("renewed %v before the margin (err %v)", left-certificateRenewal-time.Hour, err)
	}
	renewed, err := f.certificate(now.Add(left - certificateRenewal + time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if renewed == first || renewed.Expires().Sub(now) <= left-time.Minute {
		t.Fatalf("not renewed inside the margin: expires %v, the first %v", renewed.Expires(), first.Expires())
	}
}
