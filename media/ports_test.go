package media_test

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/media"
)

// TestNodeAnnouncesItsMediaPortsAndPublicIP: with one UDP port, one TCP
// port and a public IP, every UDP candidate the node offers is on the UDP
// port, it offers passive ICE-TCP on the TCP port, and it announces the
// public IP beside its host candidates.
func TestNodeAnnouncesItsMediaPortsAndPublicIP(t *testing.T) {
	udpPort, tcpPort := apptest.FreePort(t, "udp4"), apptest.FreePort(t, "tcp4")
	sfu, err := media.NewSFU(media.SFUConfig{Loopback: true, UDPPort: udpPort, TCPPort: tcpPort, PublicIPs: []string{"203.0.113.7"}})
	if err != nil {
		t.Fatal(err)
	}
	defer sfu.Close()
	room, err := sfu.OpenRoom("ports")
	if err != nil {
		t.Fatal(err)
	}
	cands := make(chan string, 64)
	if _, err := room.Join("a", func(typ string, data any) {
		if c, ok := data.(*media.RtcCandidateData); ok {
			cands <- c.Candidate.Candidate
		}
	}); err != nil {
		t.Fatal(err)
	}
	var seen []string
	var public, tcp, udpHost bool
	deadline := time.After(10 * time.Second)
	for !(public && tcp && udpHost) {
		select {
		case c := <-cands:
			seen = append(seen, c)
			// candidate:<foundation> <component> <protocol> <priority> <ip> <port> typ <type> …
			f := strings.Fields(c)
			if len(f) < 8 {
				t.Fatalf("a candidate without address and type: %q", c)
			}
			proto, ip, typ := strings.ToLower(f[2]), f[4], f[7]
			port, _ := strconv.Atoi(f[5])
			switch {
			case proto == "udp" && port != udpPort:
				t.Fatalf("UDP candidate %q is not on the media UDP port %d", c, udpPort)
			case proto == "udp" && ip == "203.0.113.7" && typ == "host":
				public = true
			case proto == "udp" && typ == "host" && ip != "203.0.113.7":
				udpHost = true
			case proto == "tcp" && strings.Contains(c, "tcptype passive") && port == tcpPort:
				tcp = true
			}
		case <-deadline:
			t.Fatalf("after 10 s: public IP %v, passive TCP %v, UDP host %v; candidates:\n%s", public, tcp, udpHost, strings.Join(seen, "\n"))
		}
	}
}

// TestMediaPortInUseIsAClearError: a node whose media port is taken does
// not start, and says which port.
func TestMediaPortInUseIsAClearError(t *testing.T) {
	udp, err := net.ListenPacket("udp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	tcp, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	udpPort, tcpPort := udp.LocalAddr().(*net.UDPAddr).Port, tcp.Addr().(*net.TCPAddr).Port
	for _, tt := range []struct {
		name string
		cfg  media.SFUConfig
		want string
	}{
		{"UDP port taken", media.SFUConfig{UDPPort: udpPort}, "media UDP port " + strconv.Itoa(udpPort)},
		{"TCP port taken", media.SFUConfig{TCPPort: tcpPort}, "media TCP port " + strconv.Itoa(tcpPort)},
		{"bad public IP", media.SFUConfig{PublicIPs: []string{"not-an-ip"}}, "public IPs"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sfu, err := media.NewSFU(tt.cfg)
			if err == nil {
				sfu.Close()
				t.Fatalf("media.NewSFU started on %+v, want an error naming %q", tt.cfg, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("media.NewSFU error %q, want it to name %q", err, tt.want)
			}
		})
	}
}

// TestPublicIPThatIsALocalAddressCarriesMedia: a node whose --public-ip
// is one of its own addresses (a node on a plain network, as
// scripts/cluster.sh starts them) connects a client that can reach only
// that address, with loopback candidates on. (Walking the browser story
// through `make cluster` found such calls stuck in "connecting": the
// public IP was appended to every socket's candidates, including the
// loopback one; see publicIPRules.)
func TestPublicIPThatIsALocalAddressCarriesMedia(t *testing.T) {
	hostIP := nonLoopbackIPv4(t)
	udpPort, tcpPort := apptest.FreePort(t, "udp4"), apptest.FreePort(t, "tcp4")
	sfu, err := media.NewSFU(media.SFUConfig{Loopback: true, UDPPort: udpPort, TCPPort: tcpPort, PublicIPs: []string{hostIP}})
	if err != nil {
		t.Fatal(err)
	}
	defer sfu.Close()
	room, err := sfu.OpenRoom("public-is-local")
	if err != nil {
		t.Fatal(err)
	}

	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIPFilter(func(ip net.IP) bool { return ip.String() == hostIP })
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	connected := make(chan struct{})
	pc.OnICEConnectionStateChange(func(s webrtc.ICEConnectionState) {
		if s == webrtc.ICEConnectionStateConnected {
			close(connected)
		}
	})

	offers := make(chan string, 1)
	remote := make(chan webrtc.ICECandidateInit, 64)
	part, err := room.Join("a", func(typ string, data any) {
		switch d := data.(type) {
		case *media.RtcOfferData:
			offers <- d.SDP
		case *media.RtcCandidateData:
			// The client reaches the node only at hostIP.
			if f := strings.Fields(d.Candidate.Candidate); len(f) > 4 && f[4] == hostIP && strings.EqualFold(f[2], "udp") {
				remote <- d.Candidate
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			if err := part.AddCandidate(c.ToJSON()); err != nil {
				t.Errorf("add client candidate: %v", err)
			}
		}
	})
	var offer string
	select {
	case offer = <-offers:
	case <-time.After(10 * time.Second):
		t.Fatal("no offer from the room")
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		t.Fatal(err)
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	if err := part.Answer(answer.SDP); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(20 * time.Second)
	for {
		select {
		case c := <-remote:
			if err := pc.AddICECandidate(c); err != nil {
				t.Fatalf("add node candidate %q: %v", c.Candidate, err)
			}
		case <-connected:
			return
		case <-deadline:
			t.Fatalf("ICE did not connect through %s:%d (public IP = a local address)", hostIP, udpPort)
		}
	}
}

// nonLoopbackIPv4 returns an IPv4 address of this machine other than
// loopback. A machine without one (a bare container) gets a dummy
// interface for the test, which needs root, as CI has.
func nonLoopbackIPv4(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	name := "lmdummy" + strconv.Itoa(os.Getpid()%10000)
	for _, args := range [][]string{{"link", "add", name, "type", "dummy"}, {"addr", "add", "10.95.0.1/32", "dev", name}, {"link", "set", name, "up"}} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("this machine has no IPv4 address but loopback, and ip %v failed (root needed): %v\n%s", args, err, out)
		}
	}
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", name).Run() })
	return "10.95.0.1"
}
