package media_test

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

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
