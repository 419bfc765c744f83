package media

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	mathrand "math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/stun/v4"
	"github.com/pion/turn/v5"
)

var turnTestSecret = []byte("turn-test-secret")

// startTestTURN starts a TURN server on a random loopback port.
func startTestTURN(t *testing.T, cfg TURNConfig) *TURNServer {
	t.Helper()
	if cfg.ListenAddr == "" {
		cfg.ListenAddr = "127.0.0.1:0"
	}
	if cfg.Secret == nil {
		cfg.Secret = turnTestSecret
	}
	srv, err := StartTURN(cfg)
	if err != nil {
		t.Fatalf("start turn: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// newTestTURNClient connects a pion TURN client to srv from a random
// loopback port.
func newTestTURNClient(t *testing.T, srv *TURNServer, username, password string) *turn.Client {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := srv.Addr().String()
	c, err := turn.NewClient(&turn.ClientConfig{
		STUNServerAddr: addr,
		TURNServerAddr: addr,
		Conn:           conn,
		Username:       username,
		Password:       password,
		RTO:            100 * time.Millisecond,
		LoggerFactory:  turnLogFactory{log: slog.New(slog.DiscardHandler)},
	})
	if err != nil {
		t.Fatalf("turn client: %v", err)
	}
	if err := c.Listen(); err != nil {
		t.Fatalf("turn client listen: %v", err)
	}
	t.Cleanup(func() {
		c.Close()
		_ = conn.Close()
	})
	return c
}

// allocateTestRelay allocates a relay for a fresh client with a valid
// credential.
func allocateTestRelay(t *testing.T, srv *TURNServer) (*turn.Client, net.PacketConn) {
	t.Helper()
	username, password, _ := srv.Credentials("alice", time.Now())
	c := newTestTURNClient(t, srv, username, password)
	relay, err := c.Allocate()
	if err != nil {
		t.Fatalf("allocate: %v", err)
	}
	t.Cleanup(func() { _ = relay.Close() })
	return c, relay
}

// turnErrorCode is the STUN error code carried by a pion client error, or 0.
func turnErrorCode(err error) int {
	var te *stun.TurnError
	if errors.As(err, &te) {
		return int(te.ErrorCodeAttr.Code)
	}
	return 0
}

func TestTURNAllocateAndPeerPolicy(t *testing.T) {
	t.Parallel()
	srv := startTestTURN(t, TURNConfig{})
	c, relay := allocateTestRelay(t, srv)

	relayAddr := relay.LocalAddr().(*net.UDPAddr)
	if !relayAddr.IP.Equal(net.IPv4(127, 0, 0, 1)) || relayAddr.Port == 0 {
		t.Fatalf("relay address = %v, want 127.0.0.1 (the listen IP) and a port", relayAddr)
	}

	if err := c.CreatePermission(&net.UDPAddr{IP: net.ParseIP("8.8.8.8"), Port: 53}); err != nil {
		t.Fatalf("permission to 8.8.8.8: %v", err)
	}
	for _, peer := range []string{"127.0.0.1", "10.1.2.3", "172.16.5.5", "192.168.1.1", "169.254.1.1", "100.64.1.1", "0.0.0.0"} {
		err := c.CreatePermission(&net.UDPAddr{IP: net.ParseIP(peer), Port: 9})
		if code := turnErrorCode(err); code != int(stun.CodeForbidden) {
			t.Errorf("permission to %s: err = %v, want 403 Forbidden", peer, err)
		}
	}

	// Writing through the relay asks for the permission first and surfaces
	// the same refusal.
	_, err := relay.WriteTo([]byte("hi"), &net.UDPAddr{IP: net.ParseIP("192.168.0.10"), Port: 5000})
	if code := turnErrorCode(err); code != int(stun.CodeForbidden) {
		t.Errorf("write to 192.168.0.10 through relay: err = %v, want 403 Forbidden", err)
	}
}

func TestTURNRelaysToLoopbackWhenPrivatePeersAllowed(t *testing.T) {
	t.Parallel()
	srv := startTestTURN(t, TURNConfig{AllowPrivatePeers: true})
	_, relay := allocateTestRelay(t, srv)

	peer, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen peer: %v", err)
	}
	defer peer.Close()
	deadline := time.Now().Add(3 * time.Second)
	_ = peer.SetDeadline(deadline)
	_ = relay.SetReadDeadline(deadline)

	if _, err := relay.WriteTo([]byte("ping"), peer.LocalAddr()); err != nil {
		t.Fatalf("write through relay: %v", err)
	}
	buf := make([]byte, 64)
	n, from, err := peer.ReadFrom(buf)
	if err != nil {
		t.Fatalf("peer read: %v", err)
	}
	if string(buf[:n]) != "ping" || from.String() != relay.LocalAddr().String() {
		t.Fatalf("peer got %q from %v, want \"ping\" from the relay %v", buf[:n], from, relay.LocalAddr())
	}

	if _, err := peer.WriteTo([]byte("pong"), from); err != nil {
		t.Fatalf("peer write: %v", err)
	}
	n, from, err = relay.ReadFrom(buf)
	if err != nil {
		t.Fatalf("relay read: %v", err)
	}
	if string(buf[:n]) != "pong" || from.String() != peer.LocalAddr().String() {
		t.Fatalf("relay got %q from %v, want \"pong\" from %v", buf[:n], from, peer.LocalAddr())
	}
}

func TestTURNRefusesBadCredentials(t *testing.T) {
	t.Parallel()
	srv := startTestTURN(t, TURNConfig{CredentialTTL: 10 * time.Minute})
	expired, expiredPassword, _ := srv.Credentials("alice", time.Now().Add(-time.Hour))
	valid, _, _ := srv.Credentials("alice", time.Now())

	tests := []struct {
		name, username, password string
	}{
		{"expired", expired, expiredPassword},
		{"other secret", valid, turnPassword([]byte("another-secret"), valid)},
		{"wrong password", valid, "not-the-password"},
		{"no colon", "alice", turnPassword(turnTestSecret, "alice")},
		{"non-numeric expiry", "soon:alice", turnPassword(turnTestSecret, "soon:alice")},
		{"negative expiry", "-99999999999:alice", turnPassword(turnTestSecret, "-99999999999:alice")},
		{"empty expiry", ":alice", turnPassword(turnTestSecret, ":alice")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newTestTURNClient(t, srv, tt.username, tt.password)
			relay, err := c.Allocate()
			if err == nil {
				_ = relay.Close()
				t.Fatalf("allocate succeeded, want 401")
			}
			if code := turnErrorCode(err); code != int(stun.CodeUnauthorized) {
				t.Fatalf("allocate: err = %v, want 401 Unauthorized", err)
			}
		})
	}
}

func TestTURNExpiryOnlyGuardsNewAllocations(t *testing.T) {
	t.Parallel()
	srv := startTestTURN(t, TURNConfig{})
	expired, _, _ := srv.Credentials("alice", time.Now().Add(-time.Hour))
	for _, method := range []stun.Method{stun.MethodRefresh, stun.MethodCreatePermission, stun.MethodChannelBind} {
		ra := &turn.RequestAttributes{Username: expired, Realm: "livemall", Method: method}
		if user, key, ok := srv.authenticate(ra); !ok || user != "alice" || len(key) == 0 {
			t.Errorf("%v with expired credential = %q, %v; want accepted for the running allocation", method, user, ok)
		}
	}
	ra := &turn.RequestAttributes{Username: expired, Realm: "livemall", Method: stun.MethodAllocate}
	if _, _, ok := srv.authenticate(ra); ok {
		t.Errorf("Allocate with expired credential accepted")
	}
	valid, _, _ := srv.Credentials("alice", time.Now())
	ra = &turn.RequestAttributes{Username: valid, Realm: "elsewhere", Method: stun.MethodAllocate}
	if _, _, ok := srv.authenticate(ra); ok {
		t.Errorf("Allocate in another realm accepted")
	}
}

func TestTURNAllocationQuotaPerUser(t *testing.T) {
	t.Parallel()
	srv := startTestTURN(t, TURNConfig{})
	username, password, _ := srv.Credentials("bob", time.Now())
	var relays []net.PacketConn
	for i := range turnMaxAllocationsPerUser {
		relay, err := newTestTURNClient(t, srv, username, password).Allocate()
		if err != nil {
			t.Fatalf("allocation %d: %v", i+1, err)
		}
		relays = append(relays, relay)
	}
	t.Cleanup(func() {
		for _, r := range relays {
			_ = r.Close()
		}
	})
	_, err := newTestTURNClient(t, srv, username, password).Allocate()
	if code := turnErrorCode(err); code != int(stun.CodeAllocQuotaReached) {
		t.Fatalf("allocation over quota: err = %v, want 486", err)
	}
	other, otherPassword, _ := srv.Credentials("carol", time.Now())
	if _, err := newTestTURNClient(t, srv, other, otherPassword).Allocate(); err != nil {
		t.Fatalf("another user's allocation: %v", err)
	}

	// Closing a relay deallocates it and frees a slot.
	if err := relays[0].Close(); err != nil {
		t.Fatalf("close relay: %v", err)
	}
	relays = relays[1:]
	if _, err := newTestTURNClient(t, srv, username, password).Allocate(); err != nil {
		t.Fatalf("allocation after closing one: %v", err)
	}
}

func TestTURNRelayRefusesLoopToItself(t *testing.T) {
	t.Parallel()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer conn.Close()
	self := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 3478}
	rc := &turnRelayConn{PacketConn: conn, self: self}
	if _, err := rc.WriteTo([]byte("x"), &net.UDPAddr{IP: net.ParseIP("::ffff:127.0.0.1"), Port: 3478}); !errors.Is(err, errTURNRelayLoop) {
		t.Errorf("write to own listener: err = %v, want errTURNRelayLoop", err)
	}
	if _, err := rc.WriteTo([]byte("x"), conn.LocalAddr()); err != nil {
		t.Errorf("write to another port: %v", err)
	}
}

func TestTURNCredentials(t *testing.T) {
	t.Parallel()
	srv := startTestTURN(t, TURNConfig{CredentialTTL: 5 * time.Minute})
	now := time.Unix(1700000000, 999_000_000)
	username, password, expires := srv.Credentials("alice:phone", now)
	if username != "1700000300:alice:phone" {
		t.Errorf("username = %q", username)
	}
	if !expires.Equal(time.Unix(1700000300, 0)) {
		t.Errorf("expires = %v", expires)
	}
	if want := turnPassword(turnTestSecret, username); password != want {
		t.Errorf("password = %q, want %q", password, want)
	}
	if exp, user, err := parseTURNUsername(username); err != nil || user != "alice:phone" || !exp.Equal(expires) {
		t.Errorf("parse %q = %v, %q, %v", username, exp, user, err)
	}

	// pion's own TURN REST implementation agrees on the password.
	pionUser, pionPassword, err := turn.GenerateLongTermTURNRESTCredentials(string(turnTestSecret), "alice", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got := turnPassword(turnTestSecret, pionUser); got != pionPassword {
		t.Errorf("password for pion's %q = %q, pion says %q", pionUser, got, pionPassword)
	}
}

func TestTURNICEServers(t *testing.T) {
	t.Parallel()
	srv := startTestTURN(t, TURNConfig{})
	port := strconv.Itoa(srv.Addr().Port)
	if srv.TCPAddr().Port != srv.Addr().Port || srv.TLSAddr() != nil {
		t.Fatalf("UDP %v, TCP %v, TLS %v: want TCP on the UDP port and no TLS without a certificate", srv.Addr(), srv.TCPAddr(), srv.TLSAddr())
	}
	now := time.Now()
	for host, hostPort := range map[string]string{
		"turn.example.com": "turn.example.com:" + port,
		"2001:db8::1":      "[2001:db8::1]:" + port,
		"":                 "127.0.0.1:" + port,
	} {
		want := []string{"turn:" + hostPort + "?transport=udp", "turn:" + hostPort + "?transport=tcp"}
		servers := srv.ICEServers(host, "alice", now)
		if len(servers) != 1 || strings.Join(servers[0].URLs, " ") != strings.Join(want, " ") {
			t.Fatalf("ICEServers(%q) = %+v, want one server with %v", host, servers, want)
		}
		username, password, _ := srv.Credentials("alice", now)
		if servers[0].Username != username || servers[0].Credential != password {
			t.Errorf("ICEServers(%q) credential = %q/%v, want %q/%q", host, servers[0].Username, servers[0].Credential, username, password)
		}
	}

	// With a certificate, TURN over TLS on its own port joins them.
	dir := t.TempDir()
	certFile, keyFile := writeTestCert(t, dir)
	tlsSrv := startTestTURN(t, TURNConfig{TLSCertFile: certFile, TLSKeyFile: keyFile, TLSAddr: "127.0.0.1:0"})
	tlsPort := strconv.Itoa(tlsSrv.TLSAddr().Port)
	servers := tlsSrv.ICEServers("turn.example.com", "alice", now)
	if len(servers) != 1 || len(servers[0].URLs) != 3 || servers[0].URLs[2] != "turns:turn.example.com:"+tlsPort+"?transport=tcp" {
		t.Fatalf("ICEServers with TLS = %+v, want the turns: URL on port %s third", servers, tlsPort)
	}
}

// writeTestCert writes a self-signed certificate for localhost and its key
// into dir.
func writeTestCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), DNSNames: []string{"localhost"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestStartTURNConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile := writeTestCert(t, dir)
	for name, cfg := range map[string]TURNConfig{
		"no secret":        {ListenAddr: "127.0.0.1:0"},
		"bad listen":       {ListenAddr: "127.0.0.1", Secret: turnTestSecret},
		"hostname":         {ListenAddr: "localhost:0", Secret: turnTestSecret},
		"bad public IP":    {ListenAddr: "127.0.0.1:0", PublicIP: "turn.example.com", Secret: turnTestSecret},
		"family differs":   {ListenAddr: "127.0.0.1:0", PublicIP: "2001:db8::1", Secret: turnTestSecret},
		"cert without key": {ListenAddr: "127.0.0.1:0", Secret: turnTestSecret, TLSCertFile: certFile},
		"key without cert": {ListenAddr: "127.0.0.1:0", Secret: turnTestSecret, TLSKeyFile: keyFile},
		"cert unreadable":  {ListenAddr: "127.0.0.1:0", Secret: turnTestSecret, TLSCertFile: filepath.Join(dir, "missing.pem"), TLSKeyFile: keyFile},
		"cert is the key":  {ListenAddr: "127.0.0.1:0", Secret: turnTestSecret, TLSCertFile: keyFile, TLSKeyFile: keyFile},
		"bad TLS address":  {ListenAddr: "127.0.0.1:0", Secret: turnTestSecret, TLSCertFile: certFile, TLSKeyFile: keyFile, TLSAddr: "127.0.0.1"},
	} {
		if srv, err := StartTURN(cfg); err == nil {
			_ = srv.Close()
			t.Errorf("%s: StartTURN(%+v) succeeded", name, cfg)
		}
	}

	srv := startTestTURN(t, TURNConfig{ListenAddr: "127.0.0.1:0", PublicIP: "203.0.113.7"})
	if srv.realm != "livemall" || srv.ttl != 10*time.Minute || !srv.publicIP.Equal(net.ParseIP("203.0.113.7")) {
		t.Errorf("defaults: realm %q, ttl %v, public IP %v", srv.realm, srv.ttl, srv.publicIP)
	}
	if a := srv.Addr(); a.Port == 0 || !a.IP.Equal(net.IPv4(127, 0, 0, 1)) {
		t.Errorf("Addr() = %v", a)
	}
}

// TestTURNRelaysComeFromTheConfiguredPortRange: with a relay port range,
// every relay is allocated inside it (so a container can publish exactly
// those ports), an exhausted range refuses the next allocation until one
// closes, and a client cannot ask for a port outside it.
func TestTURNRelaysComeFromTheConfiguredPortRange(t *testing.T) {
	t.Parallel()
	lo := freeUDPPortRange(t, 3)
	srv := startTestTURN(t, TURNConfig{ListenAddr: "127.0.0.1:0", RelayPortMin: lo, RelayPortMax: lo + 2})
	username, password, _ := srv.Credentials("alice", time.Now())
	var relays []net.PacketConn
	for range 3 {
		relay, err := newTestTURNClient(t, srv, username, password).Allocate()
		if err != nil {
			t.Fatalf("allocate %d: %v", len(relays)+1, err)
		}
		t.Cleanup(func() { _ = relay.Close() })
		port := relay.LocalAddr().(*net.UDPAddr).Port
		if port < int(lo) || port > int(lo)+2 {
			t.Errorf("relay on port %d, outside %d-%d", port, lo, lo+2)
		}
		relays = append(relays, relay)
	}
	if relay, err := newTestTURNClient(t, srv, username, password).Allocate(); err == nil {
		_ = relay.Close()
		t.Fatalf("a fourth relay was allocated on %v from a range of three", relay.LocalAddr())
	}
	if err := relays[0].Close(); err != nil {
		t.Fatalf("close relay: %v", err)
	}
	// The server frees the port when it handles the client's refresh with
	// lifetime 0; a new allocation may race it, so it is retried.
	for deadline := time.Now().Add(10 * time.Second); ; {
		relay, err := newTestTURNClient(t, srv, username, password).Allocate()
		if err == nil {
			t.Cleanup(func() { _ = relay.Close() })
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a freed port was not allocated again: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	g := &turnRelayGenerator{RelayAddressGenerator: &turn.RelayAddressGeneratorStatic{RelayAddress: net.IPv4(127, 0, 0, 1), Address: "127.0.0.1"},
		self: srv.Addr(), min: int(lo), max: int(lo) + 2}
	if conn, _, err := g.AllocatePacketConn(turn.AllocateListenerConfig{Network: "udp4", RequestedPort: int(lo) + 3}); !errors.Is(err, errTURNRelayPortOutsideRange) {
		if conn != nil {
			_ = conn.Close()
		}
		t.Errorf("requested port outside the range: err = %v", err)
	}
	if _, err := StartTURN(TURNConfig{ListenAddr: "127.0.0.1:0", Secret: turnTestSecret, RelayPortMin: lo}); err == nil {
		t.Errorf("a range without its last port started")
	}
}

// freeUDPPortRange finds n consecutive UDP ports on loopback, below the
// system's ephemeral range, that are free now.
func freeUDPPortRange(t *testing.T, n int) uint16 {
	t.Helper()
	for try := 0; try < 100; try++ {
		lo := 20000 + mathrand.IntN(10000)
		var held []net.PacketConn
		for p := lo; p < lo+n; p++ {
			c, err := net.ListenPacket("udp4", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				break
			}
			held = append(held, c)
		}
		for _, c := range held {
			_ = c.Close()
		}
		if len(held) == n {
			return uint16(lo)
		}
	}
	t.Fatalf("no %d free consecutive UDP ports", n)
	return 0
}

// TestTURNStreamConnectionsAreBounded: the TCP and TLS listeners of the
// TURN server hold a bounded number of connections, close those idle too
// long, and close TLS connections whose handshake does not finish, without
// holding up the next client.
func TestTURNStreamConnectionsAreBounded(t *testing.T) {
	t.Parallel()
	quiet := slog.New(slog.DiscardHandler)
	listen := func() net.Listener {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	dial := func(l net.Listener) net.Conn {
		c, err := net.Dial("tcp4", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	closedByServer := func(c net.Conn) bool {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err := c.Read(make([]byte, 1))
		var ne net.Error
		return err != nil && !(errors.As(err, &ne) && ne.Timeout())
	}
	accepted := func(l net.Listener) chan net.Conn {
		ch := make(chan net.Conn, 8)
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					close(ch)
					return
				}
				ch <- c
			}
		}()
		return ch
	}

	// Two slots: the third connection is closed, a slot freed takes the next.
	tcp := newTURNStreamListenerWithin(listen(), nil, quiet, 2, time.Hour, time.Hour)
	defer tcp.Close()
	got := accepted(tcp)
	dial(tcp)
	dial(tcp)
	first, second := <-got, <-got
	if third := dial(tcp); !closedByServer(third) {
		t.Fatal("a third connection beyond the limit of two stayed open")
	}
	first.Close()
	dial(tcp)
	if c := <-got; c == nil {
		t.Fatal("no connection accepted after a slot was freed")
	}
	second.Close()

	// A connection that says nothing is closed after the idle time.
	idle := newTURNStreamListenerWithin(listen(), nil, quiet, 2, 50*time.Millisecond, time.Hour)
	defer idle.Close()
	idleGot := accepted(idle)
	dial(idle)
	c := <-idleGot
	var ne net.Error
	if _, err := c.Read(make([]byte, 1)); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read on an idle connection: %v, want a timeout", err)
	}

	// TLS: a client that never finishes its handshake, and one that sends
	// garbage, are closed; a real client meanwhile gets through.
	certFile, keyFile := writeTestCert(t, t.TempDir())
	cert, err := LoadTURNCertificate(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	tlsL := newTURNStreamListenerWithin(listen(), &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12}, quiet, 8, time.Hour, 200*time.Millisecond)
	defer tlsL.Close()
	tlsGot := accepted(tlsL)
	silent, garbage := dial(tlsL), dial(tlsL)
	if _, err := garbage.Write([]byte("GET / HTTP/1.0\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	good, err := tls.Dial("tcp4", tlsL.Addr().String(), &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // the listener's bounds are tested here, not the certificate
	if err != nil {
		t.Fatalf("TLS client: %v", err)
	}
	defer good.Close()
	if c := <-tlsGot; c == nil {
		t.Fatal("the TLS client was not accepted")
	}
	if !closedByServer(silent) || !closedByServer(garbage) {
		t.Fatal("a TLS connection without a finished handshake stayed open")
	}
}

func TestTURNPeerAllowed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ip   string
		want bool
	}{
		// Public.
		{"8.8.8.8", true},
		{"1.1.1.1", true},
		{"2001:4860::8888", true},
		{"2606:4700:4700::1111", true},
		{"::ffff:8.8.8.8", true},
		// Edges around the refused IPv4 ranges.
		{"0.255.255.255", false},
		{"1.0.0.0", true},
		{"9.255.255.255", true},
		{"10.0.0.0", false},
		{"10.255.255.255", false},
		{"11.0.0.0", true},
		{"100.63.255.255", true},
		{"100.64.0.0", false},
		{"100.64.1.1", false},
		{"100.127.255.255", false},
		{"100.128.0.0", true},
		{"126.255.255.255", true},
		{"127.0.0.1", false},
		{"127.255.255.255", false},
		{"128.0.0.0", true},
		{"169.253.255.255", true},
		{"169.254.0.0", false},
		{"169.254.169.254", false},
		{"169.255.0.0", true},
		{"172.15.255.255", true},
		{"172.16.0.0", false},
		{"172.16.5.5", false},
		{"172.31.255.255", false},
		{"172.32.0.0", true},
		{"192.167.255.255", true},
		{"192.168.0.0", false},
		{"192.168.1.1", false},
		{"192.168.255.255", false},
		{"192.169.0.0", true},
		{"0.0.0.0", false},
		{"224.0.0.1", false},
		{"239.255.255.250", false},
		{"223.255.255.255", true},
		{"240.0.0.1", false},
		{"255.255.255.255", false},
		// IPv4-mapped forms are judged by the IPv4 address.
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.1.2.3", false},
		{"::ffff:192.168.1.1", false},
		{"::ffff:100.64.0.1", false},
		{"::ffff:0.0.0.0", false},
		// IPv6.
		{"::", false},
		{"::1", false},
		{"::127.0.0.1", false}, // IPv4-compatible
		{"fc00::1", false},
		{"fd12:3456:789a::1", false},
		{"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},
		{"fe00::", true},
		{"fe80::1", false},
		{"febf:ffff::1", false},
		{"fec0::1", false},
		{"ff02::1", false},
		// IPv6 addresses carrying IPv4 ones.
		{"64:ff9b::7f00:1", false},  // NAT64 of 127.0.0.1
		{"64:ff9b::a01:203", false}, // NAT64 of 10.1.2.3
		{"64:ff9b::808:808", true},  // NAT64 of 8.8.8.8
		{"64:ff9b:1::808:808", false},
		{"2002:c0a8:101::1", false}, // 6to4 of 192.168.1.1
		{"2002:808:808::1", true},   // 6to4 of 8.8.8.8
	}
	for _, tt := range tests {
		ip := net.ParseIP(tt.ip)
		if ip == nil {
			t.Fatalf("bad test IP %q", tt.ip)
		}
		if got := turnPeerAllowed(ip); got != tt.want {
			t.Errorf("turnPeerAllowed(%s) = %v, want %v", tt.ip, got, tt.want)
		}
		if v4 := ip.To4(); v4 != nil {
			if got := turnPeerAllowed(v4); got != tt.want {
				t.Errorf("turnPeerAllowed(%s as 4 bytes) = %v, want %v", tt.ip, got, tt.want)
			}
		}
	}
	for _, ip := range []net.IP{nil, {}, {1, 2, 3}, bytes.Repeat([]byte{8}, 5)} {
		if turnPeerAllowed(ip) {
			t.Errorf("turnPeerAllowed(%v) = true for a malformed IP", []byte(ip))
		}
	}
}

func FuzzTURNPeerPolicy(f *testing.F) {
	for _, s := range []string{"8.8.8.8", "127.0.0.1", "::ffff:10.0.0.1", "fe80::1", "64:ff9b::7f00:1", "2002:c0a8:101::1", "2001:4860::8888"} {
		f.Add([]byte(net.ParseIP(s)))
	}
	f.Add([]byte{127, 0, 0, 1})
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		ip := net.IP(b)
		got := turnPeerAllowed(ip)
		switch len(b) {
		case net.IPv4len:
			if mapped := turnPeerAllowed(ip.To16()); mapped != got {
				t.Fatalf("%v: 4-byte form says %v, mapped form %v", ip, got, mapped)
			}
		case net.IPv6len:
			if v4 := ip.To4(); v4 != nil {
				if unmapped := turnPeerAllowed(v4); unmapped != got {
					t.Fatalf("%v: mapped form says %v, 4-byte form %v", ip, got, unmapped)
				}
			}
		default:
			if got {
				t.Fatalf("%x: malformed IP allowed", b)
			}
		}
		// Nothing on this host's loopback is ever a peer.
		if got && ip.IsLoopback() {
			t.Fatalf("%v: loopback allowed", ip)
		}
		if got && (ip.IsPrivate() || ip.IsUnspecified() || ip.IsLinkLocalUnicast() || ip.IsMulticast()) {
			t.Fatalf("%v: internal address allowed", ip)
		}
	})
}

func FuzzTURNUsername(f *testing.F) {
	for _, s := range []string{"1700000000:alice", "alice", ":", "1:", "-1:x", "+1:x", "99999999999999999999:x", "1700000000:a:b"} {
		f.Add(s)
	}
	srv := &TURNServer{secret: turnTestSecret, ttl: time.Minute}
	f.Fuzz(func(t *testing.T, s string) {
		exp, user, err := parseTURNUsername(s)
		if err == nil {
			head, tail, _ := strings.Cut(s, ":")
			secs, perr := strconv.ParseInt(head, 10, 64)
			if perr != nil || secs < 0 || user != tail || exp.Unix() != secs {
				t.Fatalf("parse %q = %v, %q", s, exp.Unix(), user)
			}
		}
		// Whatever the user string, an issued credential parses back.
		username, _, expires := srv.Credentials(s, time.Unix(1700000000, 0))
		exp, user, err = parseTURNUsername(username)
		if err != nil || user != s || !exp.Equal(expires) {
			t.Fatalf("credential for %q: parse %q = %v, %q, %v", s, username, exp, user, err)
		}
	})
}
