package media

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/dtls/v3/pkg/crypto/fingerprint"
	dtlsnet "github.com/pion/dtls/v3/pkg/net"
	"github.com/pion/ice/v4"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// liteTransport is one participant's connection on the node's own media
// transport: an ICE-lite agent and a DTLS server for the handshake (pion's
// parts, fed by liteMux), then SRTP contexts of the node's own, so that
// media is decrypted on the socket's reader and encrypted by its writer
// with no pion goroutine or buffer in between; RTCP the same way, parsed.
type liteTransport struct {
	mux        *liteMux
	ufrag, pwd string
	cert       tls.Certificate
	agent      *ice.Agent
	// agentConns are the agent's conns, one for each of the mux's
	// sockets, in the same order.
	agentConns []*agentConn
	checkBack  liteCheckBack

	// onRTP gets every RTP packet decrypted, on the socket's reader: its
	// parsed header and the whole packet, both only borrowed. Set before
	// Connect.
	onRTP func(h *rtp.Header, packet []byte)
	// onRTCP gets every compound RTCP packet decrypted, raw and parsed,
	// on the socket's reader; both only borrowed. Set before Connect.
	onRTCP func(raw []byte, pkts []rtcp.Packet)
	// onDTLSClosed runs when the remote side ends the DTLS connection
	// (close_notify) or it fails after Connect. Set before Connect.
	onDTLSClosed func()

	recv   atomic.Pointer[srtp.Context] // decrypts; the reader's only
	plain  []byte                       // the reader's decrypted packet
	header rtp.Header                   // the reader's parsed header

	sendMu sync.Mutex
	send   *srtp.Context
	remote netip.AddrPort
	sock   liteSocket // the socket remote reached the node on
	packet []byte     // a packet being encrypted (sendMu)
	sealed []byte     // its encryption (sendMu)

	// mu guards the DTLS connection between Connect and Close.
	mu     sync.Mutex
	dtls   *dtls.Conn
	closed bool
}

// The lite agent's timeouts (ice.AgentConfig takes pointers).
var (
	liteDisconnectedTimeout = 5 * time.Second
	liteFailedTimeout       = 15 * time.Second
	liteKeepaliveInterval   = 2 * time.Second
)

// newLiteTransport opens a transport on the mux, with the node's DTLS
// certificate; Connect completes it.
func newLiteTransport(m *liteMux, cert tls.Certificate) (*liteTransport, error) {
	t := &liteTransport{mux: m, cert: cert,
		plain: make([]byte, maxDatagram), packet: make([]byte, maxDatagram), sealed: make([]byte, maxDatagram+64)}
	for _, sock := range m.socks {
		c := newAgentConn(m, sock)
		c.sent = func(b []byte, to netip.AddrPort, sock liteSocket) { t.checkBack.after(b, t.ufrag, to, sock) }
		t.agentConns = append(t.agentConns, c)
	}
	// The agent makes the ICE credentials; it asks the mux for its conn
	// only when it gathers (Connect), by then the transport is registered.
	agent, err := ice.NewAgent(&ice.AgentConfig{Lite: true, NetworkTypes: []ice.NetworkType{ice.NetworkTypeUDP4},
		CandidateTypes: []ice.CandidateType{ice.CandidateTypeHost}, UDPMux: m, IncludeLoopback: true,
		// As the SFU's peer connections (NewSFU): a device silent for 5 s
		// is disconnected, for 15 s gone.
		DisconnectedTimeout: &liteDisconnectedTimeout, FailedTimeout: &liteFailedTimeout, KeepaliveInterval: &liteKeepaliveInterval})
	if err != nil {
		return nil, fmt.Errorf("ICE agent: %w", err)
	}
	if t.ufrag, t.pwd, err = agent.GetLocalUserCredentials(); err == nil {
		err = m.add(t)
	}
	if err != nil {
		agent.Close()
		return nil, err
	}
	t.agent = agent
	return t, nil
}

// Fingerprint is the node's certificate's as an SDP attribute value.
func (t *liteTransport) Fingerprint() string {
	fp, err := certFingerprint(t.cert.Certificate[0])
	if err != nil {
		return "" // the node's own certificate parsed when it was made
	}
	return fp
}

// certFingerprint is "sha-256 ab:cd:…" of a DER certificate.
func certFingerprint(der []byte) (string, error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return "", err
	}
	fp, err := fingerprint.Fingerprint(cert, crypto.SHA256)
	if err != nil {
		return "", err
	}
	return "sha-256 " + fp, nil
}

// Connect waits for the remote side's ICE checks and DTLS handshake (the
// node is ICE-lite and the DTLS server, setup:passive) and installs the
// SRTP keys. The remote certificate must have the fingerprint its offer
// gave.
func (t *liteTransport) Connect(ctx context.Context, remoteUfrag, remotePwd, remoteFingerprint string) error {
	return t.connect(ctx, remoteUfrag, remotePwd, remoteFingerprint, false)
}

// connect is Connect with the node as the DTLS client when dtlsClient:
// an answer may take either role (browsers answer setup:active, pion
// answers an ICE-lite offer setup:passive).
func (t *liteTransport) connect(ctx context.Context, remoteUfrag, remotePwd, remoteFingerprint string, dtlsClient bool) error {
	if err := t.agent.OnCandidate(func(ice.Candidate) {}); err != nil {
		return err
	}
	if err := t.agent.GatherCandidates(); err != nil {
		return fmt.Errorf("ICE candidates: %w", err)
	}
	t.checkBack.setRemote(remoteUfrag, remotePwd)
	iceConn, err := t.agent.Accept(ctx, remoteUfrag, remotePwd)
	if err != nil {
		return fmt.Errorf("ICE: %w", err)
	}
	remote, ok := iceConn.RemoteAddr().(*net.UDPAddr)
	if !ok {
		return errors.New("ICE: the selected pair is not UDP")
	}
	remoteAP := netip.AddrPortFrom(remote.AddrPort().Addr().Unmap(), remote.AddrPort().Port())
	sock := t.mux.socketFor(remoteAP)
	if sock == nil {
		return errors.New("ICE: the selected address is not one the node was reached from")
	}
	if _, tcp := sock.(*tcpSocket); !tcp {
		// The selected pair's own socket: the device checked that
		// address, not necessarily the first it reached.
		sock = t.agentConnFor(nil).sock
		for _, c := range t.agentConns {
			if c.sock.LocalAddr().String() == iceConn.LocalAddr().String() {
				sock = c.sock
			}
		}
	}
	handshake := dtls.Server
	if dtlsClient {
		handshake = dtls.Client
	}
	conn, err := handshake(dtlsnet.PacketConnFromConn(iceConn), remote, &dtls.Config{
		Certificates:           []tls.Certificate{t.cert},
		SRTPProtectionProfiles: []dtls.SRTPProtectionProfile{dtls.SRTP_AEAD_AES_128_GCM, dtls.SRTP_AES128_CM_HMAC_SHA1_80},
		ClientAuth:             dtls.RequireAnyClientCert,
		ExtendedMasterSecret:   dtls.RequireExtendedMasterSecret,
		// Browsers' certificates are self-signed: the offer's fingerprint
		// is what vouches for them.
		InsecureSkipVerify: true,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return errors.New("the remote side sent no certificate")
			}
			if fp, err := certFingerprint(raw[0]); err != nil || !strings.EqualFold(fp, remoteFingerprint) {
				return errors.New("the remote certificate does not match the offer's fingerprint")
			}
			return nil
		},
	})
	if err != nil {
		return fmt.Errorf("DTLS: %w", err)
	}
	if err := conn.HandshakeContext(ctx); err != nil {
		conn.Close()
		return fmt.Errorf("DTLS handshake: %w", err)
	}
	t.mu.Lock()
	closed := t.closed
	if !closed {
		t.dtls = conn
	}
	t.mu.Unlock()
	if closed {
		conn.Close()
		return errLiteTransportClosed
	}
	go t.drainDTLS(conn) // alerts and close_notify are read, and nothing else comes
	return t.installKeys(conn, remoteAP, sock, dtlsClient)
}

// installKeys derives the SRTP contexts from the finished handshake.
func (t *liteTransport) installKeys(conn *dtls.Conn, remote netip.AddrPort, sock liteSocket, dtlsClient bool) error {
	state, ok := conn.ConnectionState()
	if !ok {
		return errors.New("DTLS: no connection state after the handshake")
	}
	chosen, ok := conn.SelectedSRTPProtectionProfile()
	if !ok {
		return errors.New("DTLS: no SRTP profile was agreed")
	}
	profile := srtp.ProtectionProfile(chosen)
	cfg := &srtp.Config{Profile: profile}
	if err := cfg.ExtractSessionKeysFromDTLS(&state, dtlsClient); err != nil {
		return fmt.Errorf("SRTP keys: %w", err)
	}
	recv, err := srtp.CreateContext(cfg.Keys.RemoteMasterKey, cfg.Keys.RemoteMasterSalt, profile)
	if err != nil {
		return fmt.Errorf("SRTP: %w", err)
	}
	send, err := srtp.CreateContext(cfg.Keys.LocalMasterKey, cfg.Keys.LocalMasterSalt, profile)
	if err != nil {
		return fmt.Errorf("SRTP: %w", err)
	}
	t.sendMu.Lock()
	t.send, t.remote, t.sock = send, remote, sock
	t.sendMu.Unlock()
	t.recv.Store(recv)
	return nil
}

// drainDTLS reads the DTLS connection until it ends, then tells
// onDTLSClosed.
func (t *liteTransport) drainDTLS(conn *dtls.Conn) {
	buf := make([]byte, maxDatagram)
	for {
		if _, err := conn.Read(buf); err != nil {
			break
		}
	}
	if t.onDTLSClosed != nil {
		t.onDTLSClosed()
	}
}

// toAgent copies a STUN or DTLS datagram that came in on sock to the ICE
// agent's conn for that socket (the first, for an ICE-TCP connection).
func (t *liteTransport) toAgent(b []byte, from netip.AddrPort, sock liteSocket) bool {
	t.agentConnFor(sock).deliver(b, from)
	return true
}

// agentConnFor is the agent's conn for one of the mux's sockets, or the
// first.
func (t *liteTransport) agentConnFor(sock liteSocket) *agentConn {
	for _, c := range t.agentConns {
		if c.sock == sock {
			return c
		}
	}
	return t.agentConns[0]
}

// onSRTP decrypts an SRTP or SRTCP packet (RFC 5761: payload types
// 192–223 are RTCP on the shared port) and hands it to onRTP or onRTCP,
// on the reader. A packet that does not decrypt or parse is dropped.
func (t *liteTransport) onSRTP(b []byte) bool {
	recv := t.recv.Load()
	if recv == nil {
		return true // before the keys: nothing can read it
	}
	if len(b) > 1 && b[1]&0x7f >= 64 && b[1]&0x7f <= 95 {
		if t.onRTCP == nil {
			return true
		}
		dec, err := recv.DecryptRTCP(t.plain, b, nil)
		if err != nil {
			return true
		}
		if pkts, err := rtcp.Unmarshal(dec); err == nil {
			t.onRTCP(dec, pkts)
		}
		return true
	}
	if t.onRTP == nil {
		return true
	}
	dec, err := recv.DecryptRTP(t.plain, b, &t.header)
	if err != nil {
		return true
	}
	t.onRTP(&t.header, dec)
	return true
}

// errLiteTransportClosed is what a Connect still running at Close gets.
var errLiteTransportClosed = errors.New("the transport closed while it connected")

// errNotConnected is what a write before Connect finished gets.
var errNotConnected = errors.New("the transport is not connected yet")

// WriteRTP encrypts a packet for the remote side and sends it.
func (t *liteTransport) WriteRTP(h *rtp.Header, payload []byte) error {
	t.sendMu.Lock()
	defer t.sendMu.Unlock()
	if t.send == nil {
		return errNotConnected
	}
	n, err := h.MarshalTo(t.packet)
	if err != nil {
		return err
	}
	if n+len(payload) > len(t.packet) {
		return errors.New("an RTP packet larger than a datagram")
	}
	n += copy(t.packet[n:], payload)
	sealed, err := t.send.EncryptRTP(t.sealed, t.packet[:n], h)
	if err != nil {
		return err
	}
	_, err = t.sock.WriteToAddrPort(sealed, t.remote)
	return err
}

// WriteRTCP encrypts a compound RTCP packet for the remote side and sends
// it.
func (t *liteTransport) WriteRTCP(pkts []rtcp.Packet) error {
	raw, err := rtcp.Marshal(pkts)
	if err != nil {
		return err
	}
	t.sendMu.Lock()
	defer t.sendMu.Unlock()
	if t.send == nil {
		return errNotConnected
	}
	sealed, err := t.send.EncryptRTCP(t.sealed, raw, nil)
	if err != nil {
		return err
	}
	_, err = t.sock.WriteToAddrPort(sealed, t.remote)
	return err
}

// Close ends the transport and forgets its addresses.
func (t *liteTransport) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	conn := t.dtls
	t.mu.Unlock()
	// DTLS first: its close_notify tells the device the connection is
	// over (it opens a new one for a next call), and it goes out only
	// while the mux still routes the device's address.
	if conn != nil {
		conn.Close()
	}
	t.mux.remove(t)
	t.agent.Close()
	for _, c := range t.agentConns {
		c.Close()
	}
	return nil
}
