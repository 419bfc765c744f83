package directory_test

import (
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
	lmmedia "github.com/livemall/livemall/media"
)

// TestCallCarriesMediaWhenUDPIsBlocked: the node carries all UDP media on
// one port and offers ICE-TCP on another; a phone that has no UDP at all
// has a call with media both ways over TCP, with a phone on UDP that
// reaches the node on its one UDP port. On both media engines.
func TestCallCarriesMediaWhenUDPIsBlocked(t *testing.T) {
	for _, engine := range []string{config.MediaEnginePion, config.MediaEngineLite} {
		t.Run(engine, func(t *testing.T) { callOverTCP(t, engine) })
	}
}

// callOverTCP is TestCallCarriesMediaWhenUDPIsBlocked on one engine.
func callOverTCP(t *testing.T, engine string) {
	udpPort, tcpPort := apptest.FreePort(t, "udp4"), apptest.FreePort(t, "tcp4")
	a := apptest.New(t, func(c *config.Config) {
		c.MediaUDPPort, c.MediaTCPPort, c.MediaEngine = udpPort, tcpPort, engine
	})
	base := apptest.ServeOnLoopback(t, a)
	alice, bob := apptest.Member(t, a, "Alice Tcp"), apptest.Member(t, a, "Bob Udp")
	pa := apptest.NewPhoneOn(t, alice, base, lmmedia.NewLoopbackClientAPI(webrtc.NetworkTypeTCP4))
	pb := apptest.NewPhone(t, bob, base)
	bobNumber := bob.MyNumber()
	apptest.WaitFor(t, 3*time.Second, "bob online", func() bool { return alice.Resolve(bobNumber).State == "available" })

	pa.Send("call.dial", map[string]any{"number": bobNumber, "video": true})
	id := apptest.CallIDOf(pa.Expect("call.state", `"state":"ringing"`, 5*time.Second))
	pb.Expect("call.incoming", id, 5*time.Second)
	pb.Send("call.answer", map[string]any{"callId": id})
	pa.Expect("call.state", `"state":"active"`, 5*time.Second)
	pb.Expect("call.state", `"state":"active"`, 5*time.Second)
	apptest.WaitMedia(t, pa, pb)

	tcp, udp := pa.SelectedPair(), pb.SelectedPair()
	if tcp == nil || udp == nil {
		t.Fatalf("no selected candidate pair: TCP phone %v, UDP phone %v", tcp, udp)
	}
	if tcp.Local.Protocol != webrtc.ICEProtocolTCP || tcp.Remote.Protocol != webrtc.ICEProtocolTCP || int(tcp.Remote.Port) != tcpPort {
		t.Fatalf("the phone without UDP uses %s, want TCP to the node's media TCP port %d", tcp, tcpPort)
	}
	if udp.Remote.Protocol != webrtc.ICEProtocolUDP || int(udp.Remote.Port) != udpPort {
		t.Fatalf("the UDP phone uses %s, want the node's one media UDP port %d", udp, udpPort)
	}
	pb.Send("call.hangup", map[string]any{"callId": id})
	pa.Expect("call.state", `"state":"ended"`, 5*time.Second)
}

// TestCallCarriesMediaOnTheLiteEngine: with --media-engine lite, a call
// between two phones carries media both ways through the node's own
// transport, on its one UDP port.
func TestCallCarriesMediaOnTheLiteEngine(t *testing.T) {
	udpPort := apptest.FreePort(t, "udp4")
	a := apptest.New(t, func(c *config.Config) { c.MediaUDPPort, c.MediaEngine = udpPort, config.MediaEngineLite })
	base := apptest.ServeOnLoopback(t, a)
	alice, bob := apptest.Member(t, a, "Alice Lite"), apptest.Member(t, a, "Bob Lite")
	pa, pb := apptest.NewPhone(t, alice, base), apptest.NewPhone(t, bob, base)
	id := apptest.Connect(t, alice, pa, bob, pb)
	apptest.WaitMedia(t, pa, pb)
	for _, p := range []*apptest.Phone{pa, pb} {
		pair := p.SelectedPair()
		if pair == nil || pair.Remote.Protocol != webrtc.ICEProtocolUDP || int(pair.Remote.Port) != udpPort {
			t.Fatalf("a phone uses %v, want the node's one media UDP port %d", pair, udpPort)
		}
	}
	pb.Send("call.hangup", map[string]any{"callId": id})
	pa.Expect("call.state", `"state":"ended"`, 5*time.Second)
}
