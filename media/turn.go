package media

import (
	"context"
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // TURN REST credentials are defined as HMAC-SHA1.
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pion/logging"
	"github.com/pion/stun/v4"
	"github.com/pion/turn/v5"
	"github.com/pion/webrtc/v4"
)

const (
	turnDefaultListenAddr = ":3478"
	// turnDefaultTLSAddr is the standard port of TURN over TLS (RFC 8656).
	turnDefaultTLSAddr = ":5349"
	turnDefaultRealm   = "livemall"
	turnDefaultTTL     = 10 * time.Minute
	// turnMaxAllocationsPerUser bounds the relay sockets one user can hold:
	// the TURN server shares the process's file descriptors with everything
	// else. A browser needs about one allocation per network interface and
	// peer connection.
	turnMaxAllocationsPerUser = 16
)

// TURNConfig configures the built-in TURN server. The command fills it from
// its flags; the zero value of each optional field picks the documented
// default.
type TURNConfig struct {
	// ListenAddr is the address to listen on, over UDP and TCP on the same
	// port, e.g. ":3478" (the default) or "127.0.0.1:0" in tests (a port
	// free for both).
	ListenAddr string
	// TLSCertFile and TLSKeyFile, both or neither, are the PEM certificate
	// chain and key of TURN over TLS ("turns:"), served on TLSAddr.
	TLSCertFile, TLSKeyFile string
	// TLSAddr is the TCP address of TURN over TLS; it defaults to ":5349".
	// Unused without a certificate.
	TLSAddr string
	// PublicIP is the relay address announced to clients. It defaults to
	// the listen IP, or 127.0.0.1 when listening on all interfaces — which
	// only works for browsers on this machine, so production sets it. The
	// listener and the relays use this address's family (IPv4 or IPv6).
	PublicIP string
	// RelayPortMin and RelayPortMax, both or neither, bound the UDP ports
	// relays are allocated from (inclusive), so a container or firewall can
	// publish exactly those; zero lets the system pick any free port.
	RelayPortMin, RelayPortMax uint16
	// Realm defaults to "livemall".
	Realm string
	// Secret is the HMAC key shared with whoever issues credentials
	// (see Credentials). Required.
	Secret []byte
	// CredentialTTL is how long a credential from Credentials may start an
	// allocation. Defaults to 10 minutes.
	CredentialTTL time.Duration
	// AllowPrivatePeers permits relaying to loopback, private and other
	// internal addresses (see turnPeerAllowed). Only for local testing: on a
	// public server it lets any signed-in user reach the server's network.
	AllowPrivatePeers bool
}

// TURNServer is a running TURN server (RFC 8656) that authenticates
// clients with short-lived TURN REST credentials and refuses to relay to
// internal addresses. Clients reach it over UDP, over TCP on the same port
// (for networks that block UDP), and over TLS when it has a certificate
// (for networks that only let HTTPS-like traffic out); the relays it
// allocates are UDP. It is safe for concurrent use.
type TURNServer struct {
	server       *turn.Server
	addr         *net.UDPAddr
	tcpAddr      *net.TCPAddr
	tlsAddr      *net.TCPAddr // nil without TLS
	publicIP     net.IP
	realm        string
	secret       []byte
	ttl          time.Duration
	allowPrivate bool
	log          *slog.Logger

	mu     sync.Mutex
	allocs map[string]int // live allocations per user
}

// StartTURN listens on cfg.ListenAddr and serves TURN until Close. It fails
// when the secret is empty, an address does not parse or the port is taken.
func StartTURN(cfg TURNConfig) (*TURNServer, error) {
	if len(cfg.Secret) == 0 {
		return nil, errors.New("start turn: secret is required")
	}
	if (cfg.RelayPortMin == 0) != (cfg.RelayPortMax == 0) || cfg.RelayPortMin > cfg.RelayPortMax {
		return nil, fmt.Errorf("start turn: relay port range %d-%d: give both ends, first ≤ last", cfg.RelayPortMin, cfg.RelayPortMax)
	}
	listenAddr := cfg.ListenAddr
	if listenAddr == "" {
		listenAddr = turnDefaultListenAddr
	}
	host, _, err := net.SplitHostPort(listenAddr)
	if err != nil {
		return nil, fmt.Errorf("start turn: listen address %q: %w", listenAddr, err)
	}
	var listenIP net.IP
	if host != "" {
		if listenIP = net.ParseIP(host); listenIP == nil {
			return nil, fmt.Errorf("start turn: listen address %q: host must be an IP address", listenAddr)
		}
	}
	log := slog.Default().With("component", "turn")

	var publicIP net.IP
	switch {
	case cfg.PublicIP != "":
		if publicIP = net.ParseIP(cfg.PublicIP); publicIP == nil {
			return nil, fmt.Errorf("start turn: public IP %q is not an IP address", cfg.PublicIP)
		}
	case listenIP != nil && !listenIP.IsUnspecified():
		publicIP = listenIP
	default:
		publicIP = net.IPv4(127, 0, 0, 1)
		log.Warn("turn public IP not set: relays announce 127.0.0.1, reachable from this machine only")
	}

	// One family for the listener and the relays: a relay can only carry
	// the family of the address it announces.
	network, relayBind := "udp4", "0.0.0.0"
	if publicIP.To4() == nil {
		network, relayBind = "udp6", "::"
	}
	if listenIP != nil && !listenIP.IsUnspecified() {
		relayBind = listenIP.String()
	}

	var cert *tls.Certificate
	if (cfg.TLSCertFile == "") != (cfg.TLSKeyFile == "") {
		return nil, errors.New("start turn: TLS needs both a certificate and a key file")
	}
	if cfg.TLSCertFile != "" {
		if cert, err = LoadTURNCertificate(cfg.TLSCertFile, cfg.TLSKeyFile); err != nil {
			return nil, fmt.Errorf("start turn: %w", err)
		}
	}

	tcpNetwork := "tcp4"
	if network == "udp6" {
		tcpNetwork = "tcp6"
	}
	conn, tcpListener, err := listenUDPAndTCP(network, tcpNetwork, listenAddr)
	if err != nil {
		return nil, fmt.Errorf("start turn: %w", err)
	}
	var tlsListener net.Listener
	if cert != nil {
		tlsAddr := cfg.TLSAddr
		if tlsAddr == "" {
			tlsAddr = turnDefaultTLSAddr
		}
		inner, err := net.Listen(tcpNetwork, tlsAddr)
		if err != nil {
			_ = conn.Close()
			_ = tcpListener.Close()
			return nil, fmt.Errorf("start turn: TLS: %w", err)
		}
		tlsListener = newTURNStreamListener(inner, &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12}, log)
	}
	tcpListener = newTURNStreamListener(tcpListener, nil, log)
	t := &TURNServer{
		addr:         conn.LocalAddr().(*net.UDPAddr),
		tcpAddr:      tcpListener.Addr().(*net.TCPAddr),
		publicIP:     publicIP,
		realm:        cfg.Realm,
		secret:       append([]byte(nil), cfg.Secret...),
		ttl:          cfg.CredentialTTL,
		allowPrivate: cfg.AllowPrivatePeers,
		log:          log,
		allocs:       map[string]int{},
	}
	if t.realm == "" {
		t.realm = turnDefaultRealm
	}
	if t.ttl <= 0 {
		t.ttl = turnDefaultTTL
	}
	if t.allowPrivate {
		log.Warn("turn relays to private and loopback addresses (testing only)")
	}

	if tlsListener != nil {
		t.tlsAddr = tlsListener.Addr().(*net.TCPAddr)
	}

	// One relay generator and permission policy whichever way a client
	// reaches the server: the relays are UDP in every case.
	relays := &turnRelayGenerator{
		RelayAddressGenerator: &turn.RelayAddressGeneratorStatic{RelayAddress: publicIP, Address: relayBind},
		self:                  &net.UDPAddr{IP: publicIP, Port: t.addr.Port},
	}
	if cfg.RelayPortMin != 0 {
		relays.RelayAddressGenerator = &turn.RelayAddressGeneratorPortRange{
			RelayAddress: publicIP, Address: relayBind, MinPort: cfg.RelayPortMin, MaxPort: cfg.RelayPortMax,
			// Every port of a small range is tried before giving up.
			MaxRetries: 4 * (int(cfg.RelayPortMax-cfg.RelayPortMin) + 1),
		}
		relays.min, relays.max = int(cfg.RelayPortMin), int(cfg.RelayPortMax)
	}
	listeners := []turn.ListenerConfig{{Listener: tcpListener, RelayAddressGenerator: relays, PermissionHandler: t.permit}}
	if tlsListener != nil {
		listeners = append(listeners, turn.ListenerConfig{Listener: tlsListener, RelayAddressGenerator: relays, PermissionHandler: t.permit})
	}
	t.server, err = turn.NewServer(turn.ServerConfig{
		Realm:         t.realm,
		AuthHandler:   t.authenticate,
		QuotaHandler:  t.underQuota,
		LoggerFactory: turnLogFactory{log: log},
		EventHandler: turn.EventHandler{
			OnAuth:              t.onAuth,
			OnAllocationCreated: t.onAllocationCreated,
			OnAllocationDeleted: t.onAllocationDeleted,
		},
		PacketConnConfigs: []turn.PacketConnConfig{{
			PacketConn:            conn,
			RelayAddressGenerator: relays,
			PermissionHandler:     t.permit,
		}},
		ListenerConfigs: listeners,
	})
	if err != nil {
		_ = conn.Close()
		_ = tcpListener.Close()
		if tlsListener != nil {
			_ = tlsListener.Close()
		}
		return nil, fmt.Errorf("start turn: %w", err)
	}
	attrs := []any{"addr", t.addr.String(), "tcp_addr", t.tcpAddr.String(), "relay_ip", publicIP.String(), "realm", t.realm}
	if t.tlsAddr != nil {
		attrs = append(attrs, "tls_addr", t.tlsAddr.String())
	}
	log.Info("turn listening", attrs...)
	return t, nil
}

// LoadTURNCertificate reads the PEM certificate chain and key of TURN over
// TLS. Its error names the files and says whether they could not be read,
// do not parse, or do not belong together.
func LoadTURNCertificate(certFile, keyFile string) (*tls.Certificate, error) {
	for _, f := range []string{certFile, keyFile} {
		if _, err := os.ReadFile(f); err != nil { //nolint:gosec // the operator names the files
			return nil, fmt.Errorf("TURN TLS: cannot read %s: %w", f, err)
		}
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("TURN TLS: certificate %s and key %s: %w", certFile, keyFile, err)
	}
	return &cert, nil
}

// turnPortTries bounds the search for a port free over both UDP and TCP
// when the listen address asks for any port (tests).
const turnPortTries = 20

// listenUDPAndTCP listens on addr over UDP and TCP on the same port, as
// clients expect ("turn:host:port?transport=udp" and "…=tcp" differ only
// in transport). With port 0 it tries ports the system picks for UDP until
// one is free over TCP too.
func listenUDPAndTCP(udpNetwork, tcpNetwork, addr string) (net.PacketConn, net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, err
	}
	tries := 1
	if port == "0" {
		tries = turnPortTries
	}
	var lastErr error
	for range tries {
		conn, err := net.ListenPacket(udpNetwork, addr)
		if err != nil {
			return nil, nil, err
		}
		udpPort := conn.LocalAddr().(*net.UDPAddr).Port
		ln, err := net.Listen(tcpNetwork, net.JoinHostPort(host, strconv.Itoa(udpPort)))
		if err == nil {
			return conn, ln, nil
		}
		_ = conn.Close()
		lastErr = fmt.Errorf("TCP on the UDP port %d: %w", udpPort, err)
	}
	return nil, nil, lastErr
}

// Close stops the server and releases every allocation.
func (t *TURNServer) Close() error {
	if err := t.server.Close(); err != nil {
		return fmt.Errorf("close turn: %w", err)
	}
	return nil
}

// Addr is the UDP address the server listens on (with the real port when
// ListenAddr asked for port 0).
func (t *TURNServer) Addr() *net.UDPAddr {
	a := *t.addr
	return &a
}

// TCPAddr is the TCP address the server listens on: the UDP port, over TCP.
func (t *TURNServer) TCPAddr() *net.TCPAddr {
	a := *t.tcpAddr
	return &a
}

// TLSAddr is the address of TURN over TLS, or nil when the server has no
// certificate.
func (t *TURNServer) TLSAddr() *net.TCPAddr {
	if t.tlsAddr == nil {
		return nil
	}
	a := *t.tlsAddr
	return &a
}

// Credentials issues a TURN REST credential (draft-uberti-behave-turn-rest)
// for user, valid for starting allocations until expires (now plus the
// credential TTL, to the second): username is "<expiry unix seconds>:<user>"
// and password is base64(HMAC-SHA1(secret, username)). Any node holding the
// same secret accepts it. An allocation started before expiry keeps working
// after it, as with coturn: calls outlive their credentials.
func (t *TURNServer) Credentials(user string, now time.Time) (username, password string, expires time.Time) {
	expires = time.Unix(now.Add(t.ttl).Unix(), 0)
	username = strconv.FormatInt(expires.Unix(), 10) + ":" + user
	return username, turnPassword(t.secret, username), expires
}

// ICEServers returns the ICE server list the signaling layer hands to a
// browser: this TURN server as "turn:host:port?transport=udp", the same
// port over TCP ("?transport=tcp"), and with a certificate
// "turns:host:tlsport?transport=tcp", all with one fresh credential for
// user. ICE tries them after the direct paths, so a client behind a
// firewall that blocks UDP, or lets only TLS out, still connects. host is
// the name browsers reach the server by (and the name the TLS certificate
// must carry); when empty the public IP is used.
func (t *TURNServer) ICEServers(host string, user string, now time.Time) []webrtc.ICEServer {
	if host == "" {
		host = t.publicIP.String()
	}
	username, password, _ := t.Credentials(user, now)
	port := strconv.Itoa(t.addr.Port)
	urls := []string{
		"turn:" + net.JoinHostPort(host, port) + "?transport=udp",
		"turn:" + net.JoinHostPort(host, port) + "?transport=tcp",
	}
	if t.tlsAddr != nil {
		urls = append(urls, "turns:"+net.JoinHostPort(host, strconv.Itoa(t.tlsAddr.Port))+"?transport=tcp")
	}
	return []webrtc.ICEServer{{
		URLs:           urls,
		Username:       username,
		Credential:     password,
		CredentialType: webrtc.ICECredentialTypePassword,
	}}
}

func turnPassword(secret []byte, username string) string {
	mac := hmac.New(sha1.New, secret)
	mac.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

var (
	errTURNUsernameNoColon = errors.New("turn username has no ':'")
	errTURNUsernameExpiry  = errors.New("turn username expiry is not a unix time")
)

// parseTURNUsername splits a TURN REST username "<expiry>:<user>". The user
// part may itself contain colons; the expiry is decimal digits only.
func parseTURNUsername(username string) (expires time.Time, user string, err error) {
	expiry, user, ok := strings.Cut(username, ":")
	if !ok {
		return time.Time{}, "", errTURNUsernameNoColon
	}
	if expiry == "" || len(expiry) > 18 || strings.TrimLeft(expiry, "0123456789") != "" {
		return time.Time{}, "", errTURNUsernameExpiry
	}
	secs, err := strconv.ParseInt(expiry, 10, 64)
	if err != nil {
		return time.Time{}, "", errTURNUsernameExpiry
	}
	return time.Unix(secs, 0), user, nil
}

// authenticate is pion's AuthHandler: it recomputes the password from the
// username and returns the long-term key; pion then checks the request's
// MESSAGE-INTEGRITY with it, which is where a credential signed with another
// secret fails. Expiry is only enforced when starting an allocation, so
// Refresh, CreatePermission and ChannelBind keep a long call alive.
func (t *TURNServer) authenticate(ra *turn.RequestAttributes) (userID string, key []byte, ok bool) {
	if ra.Realm != t.realm {
		t.log.Info("turn credential refused", "reason", "realm", "client", addrString(ra.SrcAddr), "realm", ra.Realm)
		return "", nil, false
	}
	expires, user, err := parseTURNUsername(ra.Username)
	if err != nil {
		t.log.Info("turn credential refused", "reason", err.Error(), "client", addrString(ra.SrcAddr), "username", ra.Username)
		return "", nil, false
	}
	if ra.Method == stun.MethodAllocate && time.Now().After(expires) {
		t.log.Info("turn credential refused", "reason", "expired", "client", addrString(ra.SrcAddr), "username", ra.Username, "expired", expires)
		return "", nil, false
	}
	return user, turn.GenerateAuthKey(ra.Username, t.realm, turnPassword(t.secret, ra.Username)), true
}

// onAuth reports the verdicts authenticate cannot see: a well-formed
// username whose password (MESSAGE-INTEGRITY) does not match.
func (t *TURNServer) onAuth(src, _ net.Addr, _, username, _, method string, verdict bool) {
	if !verdict {
		t.log.Info("turn credential refused", "reason", "bad signature", "client", addrString(src), "username", username, "method", method)
	}
}

func (t *TURNServer) underQuota(userID, _ string, src net.Addr) bool {
	t.mu.Lock()
	n := t.allocs[userID]
	t.mu.Unlock()
	if n >= turnMaxAllocationsPerUser {
		t.log.Info("turn allocation refused", "reason", "quota", "client", addrString(src), "user", userID, "allocations", n)
		return false
	}
	return true
}

func (t *TURNServer) onAllocationCreated(src, _ net.Addr, _, userID, _ string, relay net.Addr, _ int) {
	t.mu.Lock()
	t.allocs[userID]++
	t.mu.Unlock()
	t.log.Debug("turn allocation", "client", addrString(src), "user", userID, "relay", addrString(relay))
}

func (t *TURNServer) onAllocationDeleted(src, _ net.Addr, _, userID, _ string) {
	t.mu.Lock()
	if t.allocs[userID] <= 1 {
		delete(t.allocs, userID)
	} else {
		t.allocs[userID]--
	}
	t.mu.Unlock()
	t.log.Debug("turn allocation closed", "client", addrString(src), "user", userID)
}

// permit is pion's PermissionHandler, consulted for CreatePermission and
// ChannelBind; without a permission pion relays nothing either way.
// Refusals log at Debug: browsers routinely ask for the peer's private host
// candidates, so they are normal ICE traffic, not an incident.
func (t *TURNServer) permit(client net.Addr, peer net.IP) bool {
	if t.allowPrivate || turnPeerAllowed(peer) {
		return true
	}
	t.log.Debug("turn peer refused", "client", addrString(client), "peer", peer.String())
	return false
}

// turnBlockedPrefixes are the peers a public relay must not reach: the
// server's own host and networks (loopback, private, CGNAT, link-local —
// which includes cloud metadata at 169.254.169.254 — unique-local),
// addresses that are not unicast destinations, and IPv6 forms that embed an
// IPv4 address whose embedded address turnPeerAllowed checks separately.
var turnBlockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network", includes unspecified
	netip.MustParsePrefix("10.0.0.0/8"),     // private
	netip.MustParsePrefix("100.64.0.0/10"),  // CGNAT
	netip.MustParsePrefix("127.0.0.0/8"),    // loopback
	netip.MustParsePrefix("169.254.0.0/16"), // link-local
	netip.MustParsePrefix("172.16.0.0/12"),  // private
	netip.MustParsePrefix("192.168.0.0/16"), // private
	netip.MustParsePrefix("224.0.0.0/4"),    // multicast
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, broadcast
	netip.MustParsePrefix("::/96"),          // unspecified, loopback, IPv4-compatible
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
	netip.MustParsePrefix("fc00::/7"),       // unique-local
	netip.MustParsePrefix("fe80::/10"),      // link-local
	netip.MustParsePrefix("fec0::/10"),      // deprecated site-local
	netip.MustParsePrefix("ff00::/8"),       // multicast
}

var (
	turnNAT64Prefix = netip.MustParsePrefix("64:ff9b::/96") // RFC 6052: IPv4 in the last 32 bits
	turn6to4Prefix  = netip.MustParsePrefix("2002::/16")    // RFC 3056: IPv4 in bits 16-47
)

// turnPeerAllowed reports whether the relay may send to ip. IPv4-mapped
// IPv6 addresses are judged as the IPv4 address they carry, and so are
// NAT64 and 6to4 addresses. A nil or malformed IP is refused.
func turnPeerAllowed(ip net.IP) bool {
	addr, ok := netip.AddrFromSlice(ip)
	if !ok {
		return false
	}
	addr = addr.Unmap()
	if addr.Zone() != "" {
		return false
	}
	for _, p := range turnBlockedPrefixes {
		if p.Contains(addr) {
			return false
		}
	}
	b := addr.As16()
	switch {
	case turnNAT64Prefix.Contains(addr):
		return turnPeerAllowed(net.IP(b[12:16]))
	case turn6to4Prefix.Contains(addr):
		return turnPeerAllowed(net.IP(b[2:6]))
	}
	return true
}

// turnRelayGenerator is one of pion's relay generators (any port, or a
// port range) whose relays refuse to send to the TURN server's own
// listening address: a client must not nest allocations through the server
// to multiply its traffic. The relay address itself stays reachable, so two
// clients relayed by this server can still talk to each other when PublicIP
// is public. With a range, a port a client asks for must lie inside it.
type turnRelayGenerator struct {
	turn.RelayAddressGenerator
	self     *net.UDPAddr
	min, max int // the relay port range; both zero for any port
}

var errTURNRelayPortOutsideRange = errors.New("turn relay port requested outside the configured range")

func (g *turnRelayGenerator) AllocatePacketConn(conf turn.AllocateListenerConfig) (net.PacketConn, net.Addr, error) {
	if g.max != 0 && conf.RequestedPort != 0 && (conf.RequestedPort < g.min || conf.RequestedPort > g.max) {
		return nil, nil, errTURNRelayPortOutsideRange
	}
	conn, addr, err := g.RelayAddressGenerator.AllocatePacketConn(conf)
	if err != nil {
		return nil, nil, err
	}
	return &turnRelayConn{PacketConn: conn, self: g.self}, addr, nil
}

var errTURNRelayLoop = errors.New("turn relay to the server's own listener refused")

type turnRelayConn struct {
	net.PacketConn
	self *net.UDPAddr
}

func (c *turnRelayConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if u, ok := addr.(*net.UDPAddr); ok && u.Port == c.self.Port && u.IP.Equal(c.self.IP) {
		return 0, errTURNRelayLoop
	}
	return c.PacketConn.WriteTo(p, addr)
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// turnLogFactory sends pion's logs to slog. pion logs every packet at Trace
// and Debug, and unsolicited inbound packets at Info, so Trace is dropped
// and Info is lowered to Debug.
type turnLogFactory struct{ log *slog.Logger }

func (f turnLogFactory) NewLogger(scope string) logging.LeveledLogger {
	return turnLogger{log: f.log.With("scope", "pion/"+scope)}
}

type turnLogger struct{ log *slog.Logger }

func (l turnLogger) logf(level slog.Level, format string, args ...any) {
	if l.log.Enabled(context.Background(), level) {
		l.log.Log(context.Background(), level, fmt.Sprintf(format, args...))
	}
}

func (l turnLogger) Trace(string)                      {}
func (l turnLogger) Tracef(string, ...any)             {}
func (l turnLogger) Debug(msg string)                  { l.logf(slog.LevelDebug, "%s", msg) }
func (l turnLogger) Debugf(format string, args ...any) { l.logf(slog.LevelDebug, format, args...) }
func (l turnLogger) Info(msg string)                   { l.logf(slog.LevelDebug, "%s", msg) }
func (l turnLogger) Infof(format string, args ...any)  { l.logf(slog.LevelDebug, format, args...) }
func (l turnLogger) Warn(msg string)                   { l.logf(slog.LevelWarn, "%s", msg) }
func (l turnLogger) Warnf(format string, args ...any)  { l.logf(slog.LevelWarn, format, args...) }
func (l turnLogger) Error(msg string)                  { l.logf(slog.LevelError, "%s", msg) }
func (l turnLogger) Errorf(format string, args ...any) { l.logf(slog.LevelError, format, args...) }
