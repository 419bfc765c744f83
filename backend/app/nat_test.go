package app_test

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/livemall/livemall/backend/app/apptest"
	lmmedia "github.com/livemall/livemall/media"
)

// natLab is a node behind a 1:1 NAT on this machine: the node's network
// namespace holds its private address, the router's namespace holds the
// public address and translates it to the private one (DNAT in, masquerade
// out), and the test's own namespace is "the internet": one veth to the
// router's public side, and no route to the private network at all.
//
//	test ns 10.92.S.2 ── veth ── 10.92.S.1 router 10.91.S.1 ── veth ── 10.91.S.2 node
type natLab struct {
	node, router      string // namespace names
	publicIP, private string
}

// runIP runs a command of the lab's setup, failing the test with its output.
func runIP(t *testing.T, stdin string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// newNATLab builds the namespaces, veths, routes and the router's nftables
// rules, named and numbered after this process so runs do not collide,
// and removes them all when the test ends, passed or not. It fails the
// test (never skips: CI runs as root) when it cannot.
func newNATLab(t *testing.T) *natLab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("TestCallThroughNATWithPublicIP builds network namespaces and must run as root (CI does); run the tests as root")
	}
	for _, tool := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found (%v): install iproute2 and nftables (scripts/deps.sh does)", tool, err)
		}
	}
	sweepStaleNATLabs(t)
	pid := os.Getpid()
	s := natSubnet(pid)
	lab := &natLab{
		node:     fmt.Sprintf("lmnat-%d-node", pid),
		router:   fmt.Sprintf("lmnat-%d-router", pid),
		publicIP: fmt.Sprintf("10.92.%d.1", s),
		private:  fmt.Sprintf("10.91.%d.2", s),
	}
	outside, public := fmt.Sprintf("lmn%dh", pid), fmt.Sprintf("lmn%dg", pid)  // test ns ─ router
	inside, nodeSide := fmt.Sprintf("lmn%dr", pid), fmt.Sprintf("lmn%dn", pid) // router ─ node
	privateNet := fmt.Sprintf("10.91.%d.0/24", s)

	t.Cleanup(func() { removeNATLab(pid) })
	if out, err := exec.Command("ip", "netns", "add", lab.router).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s\nthis test needs network namespaces (root with CAP_NET_ADMIN and CAP_SYS_ADMIN)", lab.router, err, out)
	}
	runIP(t, "", "ip", "netns", "add", lab.node)
	for _, cmd := range [][]string{
		{"link", "add", outside, "type", "veth", "peer", "name", public},
		{"link", "set", public, "netns", lab.router},
		{"link", "add", inside, "type", "veth", "peer", "name", nodeSide},
		{"link", "set", inside, "netns", lab.router},
		{"link", "set", nodeSide, "netns", lab.node},
		{"addr", "add", fmt.Sprintf("10.92.%d.2/24", s), "dev", outside},
		{"link", "set", outside, "up"},
		// Nothing the node announces privately may leave this machine by
		// the default route: the private network is unreachable from here.
		{"route", "add", "unreachable", privateNet},
		{"-n", lab.router, "link", "set", "lo", "up"},
		{"-n", lab.router, "addr", "add", lab.publicIP + "/24", "dev", public},
		{"-n", lab.router, "link", "set", public, "up"},
		{"-n", lab.router, "addr", "add", fmt.Sprintf("10.91.%d.1/24", s), "dev", inside},
		{"-n", lab.router, "link", "set", inside, "up"},
		{"-n", lab.node, "link", "set", "lo", "up"},
		{"-n", lab.node, "addr", "add", lab.private + "/24", "dev", nodeSide},
		{"-n", lab.node, "link", "set", nodeSide, "up"},
		{"-n", lab.node, "route", "add", "default", "via", fmt.Sprintf("10.91.%d.1", s)},
	} {
		runIP(t, "", "ip", cmd...)
	}
	runIP(t, "", "ip", "netns", "exec", lab.router, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
	// The router: the public address is the node's (DNAT in), the node's
	// traffic out leaves as the public address (masquerade), and nothing
	// from outside reaches the private network except what was translated.
	// It also stands for the clients' own stateful firewall (a home
	// router's): the node's packets pass only in answer to a client's, so
	// the node's connectivity checks cannot open the way (as they would as
	// peer-reflexive candidates on an open network) and a call connects
	// only if the clients learn the public address from the candidates.
	// The router has no default route: packets to anywhere else die here.
	rules := fmt.Sprintf(`table ip lmnat {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		iifname %q ip daddr %s dnat to %s
	}
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname %q ip saddr %s masquerade
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		iifname %q ct status dnat accept
	}
}
`, public, lab.publicIP, lab.private, public, privateNet, public)
	runIP(t, rules, "ip", "netns", "exec", lab.router, "nft", "-f", "-")
	return lab
}

// natSubnet is the third octet of the lab subnets of the test process pid.
func natSubnet(pid int) int { return pid%200 + 20 }

// removeNATLab removes what newNATLab built for the test process pid.
// Deleting a namespace destroys its veth ends and with them their peers;
// the route is the test's namespace's own.
func removeNATLab(pid int) {
	for _, args := range [][]string{
		{"netns", "del", fmt.Sprintf("lmnat-%d-node", pid)}, {"netns", "del", fmt.Sprintf("lmnat-%d-router", pid)},
		{"link", "del", fmt.Sprintf("lmn%dh", pid)}, {"route", "del", "unreachable", fmt.Sprintf("10.91.%d.0/24", natSubnet(pid))},
	} {
		_ = exec.Command("ip", args...).Run()
	}
}

// sweepStaleNATLabs removes the labs of test processes that no longer run
// (killed by a timeout before their cleanup), whose addresses a new lab
// could otherwise collide with.
func sweepStaleNATLabs(t *testing.T) {
	t.Helper()
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		rest, ok := strings.CutPrefix(name, "lmnat-")
		if !ok {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); os.IsNotExist(err) {
			t.Logf("removing the NAT lab of process %d, which is gone", pid)
			removeNATLab(pid)
		}
	}
}

// TestCallThroughNATWithPublicIP: the node runs in a network namespace
// behind a 1:1 NAT, started with --public-ip, one media UDP port and no
// TURN. Two phones outside the NAT sign up, signal and call each other
// through the public address only; media arrives both ways, and each
// phone's media goes to the public address on the media port, not to the
// node's private address (which it cannot reach).
func TestCallThroughNATWithPublicIP(t *testing.T) {
	lab := newNATLab(t)
	bin := buildLivemall(t)
	const mediaPort = 50000 // the node's namespace is its own: no other process has ports there
	args := []string{"netns", "exec", lab.node, bin, "serve", "--addr", "0.0.0.0:8080", "--turn-addr", "", "--metrics-addr", "",
		"--payments", "offline", "--data", t.TempDir(), "--public-url", apptest.Origin, "--node", "nat-node", "--auth-rate-limit", "1000",
		"--media-udp-port", strconv.Itoa(mediaPort), "--public-ip", lab.publicIP}
	log := &apptest.LockedBuffer{}
	defer func() {
		if t.Failed() {
			t.Logf("server log:\n%s", log.String())
		}
	}()
	startChild(t, "ip", log, args...)
	base := "http://" + lab.publicIP + ":8080" // all signaling goes to the public address too

	alice, bob := remoteMember(t, base, "Alice Outside"), remoteMember(t, base, "Bob Outside")
	pa := apptest.NewPhoneOn(t, alice, base, lmmedia.NewLoopbackClientAPI())
	pb := apptest.NewPhoneOn(t, bob, base, lmmedia.NewLoopbackClientAPI())
	bobNumber := bob.MyNumber()
	apptest.WaitFor(t, 10*time.Second, "bob online", func() bool { return alice.Resolve(bobNumber).State == "available" })

	pa.Send("call.dial", map[string]any{"number": bobNumber, "video": true})
	id := apptest.CallIDOf(pa.Expect("call.state", `"state":"ringing"`, 10*time.Second))
	pb.Expect("call.incoming", id, 10*time.Second)
	pb.Send("call.answer", map[string]any{"callId": id})
	pa.Expect("call.state", `"state":"active"`, 10*time.Second)
	pb.Expect("call.state", `"state":"active"`, 10*time.Second)
	apptest.WaitMedia(t, pa, pb)

	for name, p := range map[string]*apptest.Phone{"alice": pa, "bob": pb} {
		pair := p.SelectedPair()
		if pair == nil {
			t.Fatalf("%s has no selected candidate pair", name)
		}
		if pair.Remote.Address != lab.publicIP || int(pair.Remote.Port) != mediaPort || pair.Remote.Protocol != webrtc.ICEProtocolUDP || pair.Remote.Typ != webrtc.ICECandidateTypeHost {
			t.Fatalf("%s's media goes to %s, want the announced public address %s:%d over UDP (the node is at %s inside)", name, pair.Remote, lab.publicIP, mediaPort, lab.private)
		}
	}
	pb.Send("call.hangup", map[string]any{"callId": id})
	pa.Expect("call.state", `"state":"ended"`, 10*time.Second)
}
