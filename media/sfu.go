package media

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/webrtc/v4"
)

// SFUConfig tunes the SFU of a node.
type SFUConfig struct {
	// Loopback includes loopback ICE candidates: needed when browsers and
	// the server share a host without another interface (tests, laptops).
	Loopback bool
	// MaxRooms bounds the rooms one node carries at once (0: 1000).
	MaxRooms int
	// UDPPort carries all of the node's WebRTC media on one UDP port (ICE
	// UDP mux) through batched sockets (batch_socket.go); 0 lets each
	// connection take a port of its own.
	UDPPort int
	// TCPPort offers ICE-TCP on one TCP port, for clients whose UDP is
	// blocked; 0 offers no TCP.
	TCPPort int
	// PublicIPs are the node's public IPv4 addresses behind a 1:1 NAT:
	// they are announced beside the host candidates.
	PublicIPs []string
	// LiteTransport carries participants on the node's own transport
	// (liteEngine: ICE-lite, DTLS, SRTP on the socket's reader) instead of
	// pion's peer connections, on UDPPort (0: a port the system picks),
	// with ICE-TCP on TCPPort (lite_tcp.go).
	LiteTransport bool
}

// SFU forwards media between the participants of rooms. Each call is one
// room on the node that placed it; the SFU holds only what this node hosts.
type SFU struct {
	peers *peerFactory
	cfg   SFUConfig
	// closers release the shared media ports at Close.
	closers []func() error
	// stats are the media counters Collector exports (metrics.go).
	stats sfuStats

	mu    sync.Mutex
	rooms map[string]*Room
}

// ErrTooManyRooms means the node carries as many rooms as it may.
var ErrTooManyRooms = errors.New("this node carries as many calls as it can")

// NewSFU builds the WebRTC stack: Opus and VP8, the interceptors a
// forwarder needs (forwarderInterceptors), UDP over IPv4, no mDNS.
func NewSFU(cfg SFUConfig) (*SFU, error) {
	if cfg.MaxRooms == 0 {
		cfg.MaxRooms = 1000
	}
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return nil, fmt.Errorf("register codecs: %w", err)
	}
	reg, err := forwarderInterceptors(m)
	if err != nil {
		return nil, err
	}
	sfu := &SFU{cfg: cfg, rooms: map[string]*Room{}}
	reg.Add(statsInterceptorFactory{stats: &sfu.stats})
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(cfg.Loopback)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetICETimeouts(5*time.Second, 15*time.Second, 2*time.Second)
	ports := cfg
	if cfg.LiteTransport {
		ports.UDPPort, ports.TCPPort = 0, 0 // the lite engine's
	}
	if err := sfu.openPorts(&se, ports); err != nil {
		sfu.Close()
		return nil, err
	}
	if sfu.peers, err = newPeerFactory(m, reg, se); err != nil {
		sfu.Close()
		return nil, err
	}
	if cfg.LiteTransport {
		certs, err := newLiteCert(time.Now)
		if err != nil {
			sfu.Close()
			return nil, err
		}
		e, err := openLiteEngine(cfg.UDPPort, cfg.TCPPort, cfg.Loopback, cfg.PublicIPs, certs)
		if err != nil {
			sfu.Close()
			return nil, err
		}
		e.stats = &sfu.stats
		sfu.closers = append(sfu.closers, e.Close)
		sfu.peers.lite = e
	}
	return sfu, nil
}

// forwarderInterceptors are pion's default interceptors but its stats
// (nothing reads GetStats; the SFU counts with its own, metrics.go) and
// its NACK responder (the node's own answers from history.go): NACK
// requests upstream, RTCP sender and
// receiver reports, transport-wide congestion control feedback to the
// sender, and the simulcast header extensions.
func forwarderInterceptors(m *webrtc.MediaEngine) (*interceptor.Registry, error) {
	reg := &interceptor.Registry{}
	// First, so that it is the innermost reader: the others read the
	// header it parsed.
	reg.Add(headerReuseFactory{})
	// NACK: pion's generator asks senders for what did not arrive; the
	// node answers its receivers' requests itself, from each sender's
	// history (history.go), instead of pion's responder, which copies
	// every packet of every downstream track.
	generator, err := nack.NewGeneratorInterceptor()
	if err != nil {
		return nil, fmt.Errorf("register NACK: %w", err)
	}
	m.RegisterFeedback(webrtc.RTCPFeedback{Type: "nack"}, webrtc.RTPCodecTypeVideo)
	m.RegisterFeedback(webrtc.RTCPFeedback{Type: "nack", Parameter: "pli"}, webrtc.RTPCodecTypeVideo)
	reg.Add(generator)
	if err := webrtc.ConfigureRTCPReports(reg); err != nil {
		return nil, fmt.Errorf("register RTCP reports: %w", err)
	}
	if err := webrtc.ConfigureSimulcastExtensionHeaders(m); err != nil {
		return nil, fmt.Errorf("register simulcast headers: %w", err)
	}
	if err := webrtc.ConfigureTWCCSender(m, reg); err != nil {
		return nil, fmt.Errorf("register TWCC: %w", err)
	}
	return reg, nil
}

// openPorts sets up the ports media arrives on: one shared UDP port and
// one ICE-TCP port when configured, and the public addresses to announce.
func (s *SFU) openPorts(se *webrtc.SettingEngine, cfg SFUConfig) error {
	networks := []webrtc.NetworkType{webrtc.NetworkTypeUDP4}
	if cfg.UDPPort > 0 {
		mux, err := listenMediaUDP(cfg.UDPPort, cfg.Loopback)
		if err != nil {
			return err
		}
		s.closers = append(s.closers, mux.Close)
		se.SetICEUDPMux(mux)
	}
	if cfg.TCPPort > 0 {
		l, err := net.ListenTCP("tcp4", &net.TCPAddr{Port: cfg.TCPPort})
		if err != nil {
			return fmt.Errorf("media TCP port %d: %w", cfg.TCPPort, err)
		}
		mux := webrtc.NewICETCPMux(nil, l, 8)
		s.closers = append(s.closers, mux.Close)
		se.SetICETCPMux(mux)
		networks = append(networks, webrtc.NetworkTypeTCP4)
	}
	se.SetNetworkTypes(networks)
	if len(s.cfg.PublicIPs) > 0 {
		rules, err := publicIPRules(s.cfg.PublicIPs, localIPv4s())
		if err != nil {
			return err
		}
		if len(rules) > 0 {
			if err := se.SetICEAddressRewriteRules(rules...); err != nil {
				return fmt.Errorf("public IPs %v: %w", s.cfg.PublicIPs, err)
			}
		}
	}
	return nil
}

// publicIPRules announces the public IPs as extra host candidates on the
// same ports as each private address in locals. Each rule is pinned to one
// private address: a catch-all rule would also append the public IP to the
// loopback socket, and pion keeps the first candidate of an address, so
// the public candidate could ride the loopback socket and never be
// reachable (the socket of the real address then has no connection for
// the call, and drops its checks). A public IP that is one of the node's
// own addresses is a host candidate already and gets no rule.
func publicIPRules(publicIPs, locals []string) ([]webrtc.ICEAddressRewriteRule, error) {
	var external []string
	for _, ip := range publicIPs {
		if a := net.ParseIP(ip); a == nil || a.To4() == nil {
			return nil, fmt.Errorf("public IPs: %q is not an IPv4 address", ip)
		}
		if !slices.Contains(locals, ip) && !slices.Contains(external, ip) {
			external = append(external, ip)
		}
	}
	if len(external) == 0 {
		return nil, nil
	}
	var rules []webrtc.ICEAddressRewriteRule
	for _, local := range locals {
		rules = append(rules, webrtc.ICEAddressRewriteRule{External: external, Local: local,
			AsCandidateType: webrtc.ICECandidateTypeHost, Mode: webrtc.ICEAddressRewriteAppend})
	}
	return rules, nil
}

// listenMediaUDP opens the node's media port on each local IPv4 address
// (and loopback when asked) as batched sockets behind one ICE UDP mux.
func listenMediaUDP(port int, loopback bool) (*ice.MultiUDPMuxDefault, error) {
	addrs := localIPv4s()
	if loopback {
		addrs = append(addrs, "127.0.0.1")
	}
	var muxes []ice.UDPMux
	for _, a := range addrs {
		sock, err := listenBatchSocket(&net.UDPAddr{IP: net.ParseIP(a), Port: port})
		if err != nil {
			for _, m := range muxes {
				m.Close()
			}
			return nil, fmt.Errorf("media UDP port %d on %s: %w", port, a, err)
		}
		muxes = append(muxes, ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: sock}))
	}
	if len(muxes) == 0 {
		return nil, errors.New("media UDP: the node has no IPv4 address to listen on")
	}
	return ice.NewMultiUDPMuxDefault(muxes...), nil
}

// localIPv4s are the node's IPv4 addresses other than loopback and
// link-local: the addresses a public IP can stand for behind a 1:1 NAT.
func localIPv4s() []string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []string
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			out = append(out, n.IP.String())
		}
	}
	return out
}

// OpenRoom creates the room with the given id.
func (s *SFU) OpenRoom(id string) (*Room, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.rooms) >= s.cfg.MaxRooms {
		return nil, ErrTooManyRooms
	}
	if _, ok := s.rooms[id]; ok {
		return nil, fmt.Errorf("room %s exists", id)
	}
	r := &Room{ID: id, sfu: s, parts: map[string]*Participant{}}
	s.rooms[id] = r
	return r, nil
}

// Room returns the open room with the id, or nil.
func (s *SFU) Room(id string) *Room {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rooms[id]
}

// RoomCount is how many rooms are open on this node.
func (s *SFU) RoomCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.rooms)
}

func (s *SFU) forget(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.rooms, id)
}

// Close closes every room.
func (s *SFU) Close() {
	s.mu.Lock()
	rooms := make([]*Room, 0, len(s.rooms))
	for _, r := range s.rooms {
		rooms = append(rooms, r)
	}
	s.mu.Unlock()
	for _, r := range rooms {
		r.Close()
	}
	for _, c := range s.closers {
		c()
	}
	s.closers = nil
}

// Room is one call's media: its participants and who hears whom.
// Participants joined with a role (JoinAs, SetRole) are forwarded by the
// room itself (room.go); those joined with Join are wired by hand
// (ForwardTo, AddSink), as 1:1 calls are.
type Room struct {
	ID  string
	sfu *SFU

	mu     sync.Mutex
	parts  map[string]*Participant
	closed bool
	// order is the participants with a role, in the order they got one.
	order []string
	// routes are the room's forwardings, by sender and receiver.
	routes map[routeKey]*route
}

// Join adds a participant and starts negotiating with them: the server
// offers a send-receive audio and video line, and signal carries the offer
// and the server's ICE candidates to the participant's device. Its media
// is wired by hand (ForwardTo, AddSink) until SetRole gives it a role.
// A room holds at most MaxParticipants.
func (r *Room) Join(id string, signal func(typ string, data any)) (*Participant, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, errors.New("the call has ended")
	}
	if err := r.admits(id); err != nil {
		return nil, err
	}
	p, err := newParticipant(r.sfu.peers, id, signal)
	if err != nil {
		return nil, err
	}
	r.parts[id] = p
	return p, nil
}

// Participant returns the participant with the id, or nil.
func (r *Room) Participant(id string) *Participant {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.parts[id]
}

// Close ends the room: every participant's connection is closed.
func (r *Room) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	for k, rt := range r.routes {
		rt.stop()
		delete(r.routes, k)
	}
	parts := r.parts
	r.parts = map[string]*Participant{}
	r.mu.Unlock()
	for _, p := range parts {
		p.Close()
	}
	r.sfu.forget(r.ID)
}
