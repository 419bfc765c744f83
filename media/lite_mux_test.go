package media

import (
	"context"
	"crypto/tls"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pion/dtls/v3/pkg/crypto/selfsign"
	"github.com/pion/stun/v4"
	"github.com/pion/webrtc/v4"
)

// liteMuxOnLoopback is a mux on a new loopback UDP socket, read by the
// mux's plain reader when serve, with a fresh DTLS certificate and the
// socket's port.
func liteMuxOnLoopback(tb testing.TB, serve bool) (*liteMux, tls.Certificate, int) {
	tb.Helper()
	sock, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { sock.Close() })
	cert, err := selfsign.GenerateSelfSigned()
	if err != nil {
		tb.Fatal(err)
	}
	m := newLiteMux(udpSocket{sock})
	if serve {
		go m.serve(udpSocket{sock})
	}
	return m, cert, sock.LocalAddr().(*net.UDPAddr).Port
}

// newTestLiteMux is a mux on a loopback socket nobody reads, with one
// transport registered (not connected).
func newTestLiteMux(tb testing.TB) (*liteMux, *liteTransport) {
	tb.Helper()
	m, cert, _ := liteMuxOnLoopback(tb, false)
	tr, err := newLiteTransport(m, cert)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { tr.Close() })
	return m, tr
}

// bindingRequest is a STUN binding request with the USERNAME given and,
// when password is not empty, MESSAGE-INTEGRITY with it.
func bindingRequest(tb testing.TB, username, password string) []byte {
	tb.Helper()
	setters := []stun.Setter{stun.TransactionID, stun.BindingRequest}
	if username != "" {
		setters = append(setters, stun.NewUsername(username))
	}
	if password != "" {
		setters = append(setters, stun.NewShortTermIntegrity(password), stun.Fingerprint)
	}
	m, err := stun.Build(setters...)
	if err != nil {
		tb.Fatal(err)
	}
	return m.Raw
}

// TestALiteMuxRoutesOnlyWhatItCanPlace: datagrams the mux cannot place
// with a transport are refused and claim no address — among them binding
// requests that name a transport but are not signed with its password; a
// signed binding request claims its address for the transport, after
// which that address's DTLS and SRTP are that transport's.
func TestALiteMuxRoutesOnlyWhatItCanPlace(t *testing.T) {
	m, tr := newTestLiteMux(t)
	stranger := netip.MustParseAddrPort("127.0.0.1:40000")
	for _, c := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"a first byte of no kind (RFC 7983)", []byte{70, 1, 2, 3}},
		{"DTLS from an address no transport has", []byte{22, 254, 253, 0}},
		{"SRTP from an address no transport has", append([]byte{0x80, 96}, make([]byte, 30)...)},
		{"STUN that is not a STUN message", []byte{0, 1, 0, 0}},
		{"a binding request without USERNAME", bindingRequest(t, "", tr.pwd)},
		{"a binding request for another user fragment", bindingRequest(t, "nobodys:theirs", tr.pwd)},
		{"a USERNAME without a colon", bindingRequest(t, tr.ufrag, tr.pwd)},
		{"the transport's user fragment without MESSAGE-INTEGRITY", bindingRequest(t, tr.ufrag+":theirs", "")},
		{"the transport's user fragment signed with another password", bindingRequest(t, tr.ufrag+":theirs", "not-the-transports-password")},
	} {
		if m.route(c.b, stranger, m.socks[0]) {
			t.Errorf("%s: routed", c.name)
		}
	}
	m.mu.RLock()
	claimed := len(m.byAddr)
	m.mu.RUnlock()
	if claimed != 0 {
		t.Fatalf("refused datagrams claimed %d addresses", claimed)
	}

	if !m.route(bindingRequest(t, tr.ufrag+":theirs", tr.pwd), stranger, m.socks[0]) {
		t.Fatal("a binding request naming the transport was not routed")
	}
	m.mu.RLock()
	owner := m.byAddr[stranger]
	m.mu.RUnlock()
	if owner.t != tr || owner.sock != m.socks[0] {
		t.Fatal("the binding request did not give its address to the transport")
	}
	if !m.route([]byte{22, 254, 253, 0}, stranger, m.socks[0]) || !m.route(append([]byte{0x80, 96}, make([]byte, 30)...), stranger, m.socks[0]) {
		t.Fatal("DTLS or SRTP from the transport's address was not routed")
	}
	tr.Close()
	if m.route([]byte{22, 254, 253, 0}, stranger, m.socks[0]) {
		t.Fatal("a closed transport's address still routes")
	}
}

// TestALiteTransportRefusesACertificateNotInTheOffer: the DTLS handshake
// fails when the client's certificate is not the one its offer's
// fingerprint names.
func TestALiteTransportRefusesACertificateNotInTheOffer(t *testing.T) {
	mux, cert, port := liteMuxOnLoopback(t, true)
	tr, err := newLiteTransport(mux, cert)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	c := newLiteClient(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	errs := make(chan error, 1)
	wrong := "sha-256 " + strings.Repeat("AB:", 31) + "AB"
	go func() { errs <- tr.Connect(ctx, c.ufrag, c.pwd, wrong) }()
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: c.answer(tr, port, 5000)}); err != nil {
		t.Fatal(err)
	}
	err = <-errs
	if err == nil || !strings.Contains(err.Error(), "DTLS") {
		t.Fatalf("a certificate that is not the offer's: %v", err)
	}
	if tr.recv.Load() != nil {
		t.Fatal("keys were installed after a refused handshake")
	}
}

// FuzzLiteMuxRoute: whatever arrives from an address, route neither
// panics nor claims the address without a binding request that names a
// transport.
func FuzzLiteMuxRoute(f *testing.F) {
	for _, s := range [][]byte{nil, {0, 1, 0, 0}, {22, 254, 253}, {0x80, 96, 0, 1}, {0x80, 200, 0, 1}, bindingRequest(f, "a:b", "password-of-nobody")} {
		f.Add(s)
	}
	m, _ := newTestLiteMux(f)
	from := netip.MustParseAddrPort("127.0.0.1:40001")
	f.Fuzz(func(t *testing.T, b []byte) {
		m.route(b, from, m.socks[0])
		m.mu.Lock()
		claimed := m.byAddr[from]
		delete(m.byAddr, from)
		m.mu.Unlock()
		if claimed.t != nil && (len(b) == 0 || b[0] > firstSTUNMax) {
			t.Fatalf("%x claimed the address", b)
		}
	})
}
