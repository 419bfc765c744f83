package directory_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/logging"
	"github.com/pion/stun/v4"
	"github.com/pion/turn/v5"
	"github.com/pion/webrtc/v4"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
)

// TestTURNRelaysOverTCPAndTLS: the built-in TURN serves TCP on its UDP
// port and TLS on its own; the node offers all three with one credential.
// A phone that may only use relayed candidates through TURN over TCP calls
// a phone that may only use relayed candidates through TURN over TLS (a
// certificate made by the test, which that phone trusts): media arrives
// both ways through the node. Over TCP and TLS a wrong or expired
// credential is refused.
func TestTURNRelaysOverTCPAndTLS(t *testing.T) {
	certFile, keyFile, roots := selfSignedTURNCert(t)
	a := apptest.New(t, func(c *config.Config) {
		c.TURNAddr, c.TURNAllowPrivate = "127.0.0.1:0", true
		c.TURNTLSCert, c.TURNTLSKey, c.TURNTLSAddr = certFile, keyFile, "127.0.0.1:0"
	})
	if a.TURN.TCPAddr().Port != a.TURN.Addr().Port || a.TURN.TLSAddr() == nil {
		t.Fatalf("TURN listens on UDP %v, TCP %v, TLS %v: want TCP on the UDP port and TLS", a.TURN.Addr(), a.TURN.TCPAddr(), a.TURN.TLSAddr())
	}
	base := apptest.ServeOnLoopback(t, a)
	alice, bob := apptest.Member(t, a, "Alice Turntcp"), apptest.Member(t, a, "Bob Turntls")

	// The phones keep only the TURN URL of their transport, as a browser
	// behind a firewall that blocks the others ends up doing.
	offered := make(chan []string, 2)
	relayOnly := func(scheme, transport string) func([]webrtc.ICEServer) webrtc.Configuration {
		return func(servers []webrtc.ICEServer) webrtc.Configuration {
			var kept []webrtc.ICEServer
			for _, s := range servers {
				select {
				case offered <- s.URLs:
				default:
				}
				for _, u := range s.URLs {
					if strings.HasPrefix(u, scheme+":") && strings.HasSuffix(u, "?transport="+transport) {
						kept = append(kept, webrtc.ICEServer{URLs: []string{u}, Username: s.Username, Credential: s.Credential, CredentialType: s.CredentialType})
					}
				}
			}
			return webrtc.Configuration{ICEServers: kept, ICETransportPolicy: webrtc.ICETransportPolicyRelay}
		}
	}
	pa := apptest.NewPhoneUsing(t, alice, base, relayClientAPI(nil), relayOnly("turn", "tcp"))
	pb := apptest.NewPhoneUsing(t, bob, base, relayClientAPI(roots), relayOnly("turns", "tcp"))
	bobNumber := bob.MyNumber()
	apptest.WaitFor(t, 3*time.Second, "bob online", func() bool { return alice.Resolve(bobNumber).State == "available" })

	pa.Send("call.dial", map[string]any{"number": bobNumber, "video": true})
	id := apptest.CallIDOf(pa.Expect("call.state", `"state":"ringing"`, 5*time.Second))
	pb.Expect("call.incoming", id, 5*time.Second)
	pb.Send("call.answer", map[string]any{"callId": id})
	pa.Expect("call.state", `"state":"active"`, 5*time.Second)
	pb.Expect("call.state", `"state":"active"`, 5*time.Second)
	apptest.WaitMedia(t, pa, pb)

	urls := <-offered
	if len(urls) != 3 || !strings.HasSuffix(urls[0], "?transport=udp") || !strings.HasSuffix(urls[1], "?transport=tcp") || !strings.HasPrefix(urls[2], "turns:") {
		t.Fatalf("the node offers %v, want TURN over UDP, TCP and TLS", urls)
	}
	for _, p := range []struct {
		name, relayProtocol string
		phone               *apptest.Phone
	}{{"TCP phone", "tcp", pa}, {"TLS phone", "tls", pb}} {
		pair := p.phone.SelectedPair()
		if pair == nil || pair.Local.Typ != webrtc.ICECandidateTypeRelay {
			t.Fatalf("%s's selected pair is %v, want a relayed local candidate", p.name, pair)
		}
		if got := relayProtocolOf(t, p.phone, pair.Local); got != p.relayProtocol {
			t.Fatalf("%s reaches TURN over %q, want %q", p.name, got, p.relayProtocol)
		}
	}
	pb.Send("call.hangup", map[string]any{"callId": id})
	pa.Expect("call.state", `"state":"ended"`, 5*time.Second)

	// Refusals over TCP and TLS: the same credential checks as over UDP.
	valid, _, _ := a.TURN.Credentials("mallory", time.Now())
	expired, expiredPassword, _ := a.TURN.Credentials("mallory", time.Now().Add(-time.Hour))
	dialTCP := func() (net.Conn, error) { return net.Dial("tcp4", a.TURN.TCPAddr().String()) }
	dialTLS := func() (net.Conn, error) {
		return tls.Dial("tcp4", a.TURN.TLSAddr().String(), &tls.Config{RootCAs: roots, ServerName: "localhost", MinVersion: tls.VersionTLS12})
	}
	for _, tt := range []struct {
		name               string
		dial               func() (net.Conn, error)
		username, password string
	}{
		{"TCP wrong password", dialTCP, valid, "not-the-password"},
		{"TCP expired", dialTCP, expired, expiredPassword},
		{"TLS wrong password", dialTLS, valid, "not-the-password"},
		{"TLS expired", dialTLS, expired, expiredPassword},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := allocateOver(t, tt.dial, tt.username, tt.password)
			var te *stun.TurnError
			if !errors.As(err, &te) || te.ErrorCodeAttr.Code != stun.CodeUnauthorized {
				t.Fatalf("allocate: err = %v, want 401 Unauthorized", err)
			}
		})
	}
	// And a good credential over each allocates a relay.
	for name, dial := range map[string]func() (net.Conn, error){"TCP": dialTCP, "TLS": dialTLS} {
		username, password, _ := a.TURN.Credentials("carol", time.Now())
		relay, err := allocateOver(t, dial, username, password)
		if err != nil {
			t.Fatalf("allocate over %s with a valid credential: %v", name, err)
		}
		_ = relay.Close()
	}

	// A client that does not trust the certificate does not get through.
	conn, err := tls.Dial("tcp4", a.TURN.TLSAddr().String(), &tls.Config{ServerName: "localhost", MinVersion: tls.VersionTLS12})
	if err == nil {
		conn.Close()
		t.Fatal("TLS handshake succeeded without trusting the test certificate")
	}
}

// allocateOver asks for a relay over a stream connection from dial.
func allocateOver(t *testing.T, dial func() (net.Conn, error), username, password string) (net.PacketConn, error) {
	t.Helper()
	conn, err := dial()
	if err != nil {
		t.Fatalf("dial TURN: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	c, err := turn.NewClient(&turn.ClientConfig{
		STUNServerAddr: conn.RemoteAddr().String(),
		TURNServerAddr: conn.RemoteAddr().String(),
		Conn:           turn.NewSTUNConn(conn),
		Username:       username,
		Password:       password,
		LoggerFactory:  quietLogs(),
	})
	if err != nil {
		t.Fatalf("turn client: %v", err)
	}
	t.Cleanup(c.Close)
	if err := c.Listen(); err != nil {
		t.Fatalf("turn client listen: %v", err)
	}
	return c.Allocate()
}

// relayProtocolOf is how the phone reaches its TURN server for the local
// relayed candidate c ("udp", "tcp" or "tls"), from its statistics.
func relayProtocolOf(t *testing.T, p *apptest.Phone, c *webrtc.ICECandidate) string {
	t.Helper()
	pc := p.PeerConnection()
	if pc == nil {
		t.Fatal("phone has no peer connection")
	}
	for _, s := range pc.GetStats() {
		if cs, ok := s.(webrtc.ICECandidateStats); ok && cs.Type == webrtc.StatsTypeLocalCandidate && cs.IP == c.Address && int(cs.Port) == int(c.Port) {
			return cs.RelayProtocol
		}
	}
	t.Fatalf("no statistics for local candidate %v", c)
	return ""
}

// relayClientAPI is pion for a phone that reaches TURN over TCP, or over
// TLS trusting roots when roots is not nil: pion's own "turns:" dialer
// checks against the system's roots, so that phone dials through a proxy
// dialer that does the TLS handshake with the test's root (pion hands
// "turns:" connections to it as they are).
func relayClientAPI(roots *x509.CertPool) *webrtc.API {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		panic(err)
	}
	reg := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, reg); err != nil {
		panic(err)
	}
	se := webrtc.SettingEngine{}
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeTCP4})
	if roots != nil {
		se.SetICEProxyDialer(tlsDialer{roots: roots})
	}
	if os.Getenv("DEBUGICE") != "" {
		f := logging.NewDefaultLoggerFactory()
		f.DefaultLogLevel = logging.LogLevelDebug
		se.LoggerFactory = f
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
}

// tlsDialer dials TLS to the TURN server, trusting only roots.
type tlsDialer struct{ roots *x509.CertPool }

func (d tlsDialer) Dial(network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	return tls.Dial(network, addr, &tls.Config{RootCAs: d.roots, ServerName: host, MinVersion: tls.VersionTLS12})
}

// selfSignedTURNCert writes a self-signed certificate for localhost and
// 127.0.0.1 and its key, and returns their files and a pool trusting it.
func selfSignedTURNCert(t *testing.T) (certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "livemall test TURN"},
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "turn.pem"), filepath.Join(dir, "turn.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots = x509.NewCertPool()
	roots.AddCert(cert)
	return certFile, keyFile, roots
}

// quietLogs drops the TURN client's logs.
func quietLogs() logging.LoggerFactory {
	f := logging.NewDefaultLoggerFactory()
	f.DefaultLogLevel = logging.LogLevelDisabled
	return f
}
