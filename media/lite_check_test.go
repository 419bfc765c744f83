package media

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/dtls/v3/pkg/crypto/selfsign"
	"github.com/pion/ice/v4"
	"github.com/pion/stun/v4"
)

// TestALiteTransportAnswersEachCheckWhereItWasSent: a device that checks
// two of the node's addresses from one address hears each answer from
// the address it checked, followed once per pair by a check of the
// node's own: signed with the device's password, named device:node,
// controlled; a second check on a pair brings an answer and no second
// check.
func TestALiteTransportAnswersEachCheckWhereItWasSent(t *testing.T) {
	var socks []liteSocket
	var addrs []netip.AddrPort
	for _, ip := range []string{"127.0.0.1", "127.0.0.2"} {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(ip)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		socks, addrs = append(socks, udpSocket{c}), append(addrs, c.LocalAddr().(*net.UDPAddr).AddrPort())
	}
	m := newLiteMux(socks...)
	for _, s := range socks {
		go m.serve(s)
	}
	cert, err := selfsign.GenerateSelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := newLiteTransport(m, cert)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	const deviceUfrag, devicePwd = "deviceUfrag1", "devicePassword0000000000"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go tr.Connect(ctx, deviceUfrag, devicePwd, "sha-256 00") //nolint:errcheck // never nominated: ends with ctx

	device, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer device.Close()
	check := func(to netip.AddrPort) {
		t.Helper()
		msg, err := stun.Build(stun.BindingRequest, stun.TransactionID, stun.NewUsername(tr.ufrag+":"+deviceUfrag),
			ice.AttrControlling(7), ice.PriorityAttr(1<<24), stun.NewShortTermIntegrity(tr.pwd), stun.Fingerprint)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := device.WriteToUDPAddrPort(msg.Raw, to); err != nil {
			t.Fatal(err)
		}
	}
	// next is the next STUN message the device gets within 2 s, and its
	// sender; nil when none comes.
	next := func() (*stun.Message, netip.AddrPort) {
		buf := make([]byte, 1500)
		_ = device.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, from, err := device.ReadFromUDPAddrPort(buf)
		if err != nil {
			return nil, netip.AddrPort{}
		}
		msg := &stun.Message{Raw: buf[:n]}
		if err := msg.Decode(); err != nil {
			t.Fatalf("not STUN from the node: %v", err)
		}
		return msg, netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	}
	// The agent answers once it gathers (at once: Connect has begun);
	// a check sent before then may be answered late, so answers may
	// repeat before the node's check comes.
	for _, to := range []netip.AddrPort{addrs[1], addrs[0]} {
		check(to)
		answered := false
		var back *stun.Message
		for back == nil {
			msg, from := next()
			switch {
			case msg == nil:
				t.Fatalf("a check to %s: answered %v, then no check from the node", to, answered)
			case from != to:
				t.Fatalf("a check to %s: %v came from %s, want the address checked", to, msg.Type, from)
			case msg.Type == stun.BindingSuccess:
				answered = true
			case msg.Type == stun.BindingRequest && answered:
				back = msg
			default:
				t.Fatalf("a check to %s: %v (answered %v), want an answer and then the node's check", to, msg.Type, answered)
			}
		}
		var user stun.Username
		if err := user.GetFrom(back); err != nil || user.String() != deviceUfrag+":"+tr.ufrag {
			t.Fatalf("the node's check is for %q, want %q", user, deviceUfrag+":"+tr.ufrag)
		}
		if err := stun.NewShortTermIntegrity(devicePwd).Check(back); err != nil {
			t.Fatalf("the node's check is not signed with the device's password: %v", err)
		}
		if !back.Contains(stun.AttrICEControlled) || back.Contains(stun.AttrICEControlling) || back.Contains(stun.AttrUseCandidate) {
			t.Fatal("the node's check does not say it is controlled, or nominates")
		}
	}
	// A second check on a pair: its answer, and no check back.
	check(addrs[0])
	answered := false
	for msg, from := next(); msg != nil; msg, from = next() {
		if msg.Type != stun.BindingSuccess || from != addrs[0] {
			t.Fatalf("after a second check on a pair: %v from %s, want its answer only", msg.Type, from)
		}
		answered = true
	}
	if !answered {
		t.Fatal("a second check on a pair got no answer")
	}
}
