package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The sfu scenario's peer: livekit-server v1.13.5 in dev mode on
// loopback, carrying the same 1:1 calls as livemall (bench/livekitload,
// a module of its own so that LiveKit's SDK stays out of livemall's
// go.mod, drives them). Both binaries go into .bin/ the first time.

// liveKitModule is the LiveKit server the sweep measures against.
const liveKitModule = "github.com/livekit/livekit-server/cmd/server@v1.13.5"

// liveKitBins are the LiveKit server and the load generator.
type liveKitBins struct{ server, load string }

// ensureLiveKit installs livekit-server into .bin/ (go install names it
// server; it is renamed livekit-server) and builds bench/livekitload
// into .bin/livekitload, unless they are there.
func ensureLiveKit(repo string) (liveKitBins, error) {
	bin := filepath.Join(repo, ".bin")
	b := liveKitBins{server: filepath.Join(bin, "livekit-server"), load: filepath.Join(bin, "livekitload")}
	if _, err := os.Stat(b.server); err != nil {
		fmt.Fprintf(os.Stderr, "installing %s into .bin/ (several minutes the first time)\n", liveKitModule)
		cmd := exec.Command("go", "install", liveKitModule)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GOBIN="+bin, "GOFLAGS=-mod=mod")
		if out, err := cmd.CombinedOutput(); err != nil {
			return b, fmt.Errorf("go install %s failed: %v: %s", liveKitModule, err, lastLines(string(out), 5))
		}
		if err := os.Rename(filepath.Join(bin, "server"), b.server); err != nil {
			return b, err
		}
	}
	// Built every run (seconds once cached), so it matches its source.
	cmd := exec.Command("go", "build", "-o", b.load, ".")
	cmd.Dir = filepath.Join(repo, "bench", "livekitload")
	if out, err := cmd.CombinedOutput(); err != nil {
		return b, fmt.Errorf("build bench/livekitload: %v: %s", err, lastLines(string(out), 5))
	}
	return b, nil
}

// freePort returns a port nothing listens on now (TCP or UDP).
func freePort(network string) (int, error) {
	if network == "udp" {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return 0, err
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port, nil
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startLiveKit starts livekit-server on free ports (on CPU 0 when
// pinned) and waits until it answers; it returns the process, its HTTP
// address and a channel closed once it has exited.
func startLiveKit(o options, b liveKitBins) (*exec.Cmd, string, <-chan struct{}, error) {
	var ports [3]int
	for i, nw := range []string{"tcp", "tcp", "udp"} {
		p, err := freePort(nw)
		if err != nil {
			return nil, "", nil, err
		}
		ports[i] = p
	}
	cfg := fmt.Sprintf("port: %d\nbind_addresses: [\"127.0.0.1\"]\nrtc:\n  tcp_port: %d\n  udp_port: %d\n  use_external_ip: false\nlogging:\n  level: warn\n",
		ports[0], ports[1], ports[2])
	cfgPath := filepath.Join(o.workDir, "livekit.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, "", nil, err
	}
	name, argv := b.server, []string{"--dev", "--config", cfgPath, "--node-ip", "127.0.0.1"}
	if o.pin {
		name, argv = "taskset", append([]string{"-c", "0", b.server}, argv...)
	}
	cmd := exec.Command(name, argv...)
	logPath := filepath.Join(o.workDir, "livekit.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, "", nil, err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, "", nil, err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	base := fmt.Sprintf("127.0.0.1:%d", ports[0])
	deadline := time.Now().Add(20 * time.Second)
	for {
		if res, err := http.Get("http://" + base + "/"); err == nil {
			res.Body.Close()
			return cmd, base, exited, nil
		}
		select {
		case <-exited:
		default:
			if time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			cmd.Process.Kill()
			<-exited
		}
		tail, _ := os.ReadFile(logPath)
		return nil, "", nil, fmt.Errorf("livekit-server did not start: %s", lastLines(string(tail), 1))
	}
}

// measureLiveKitCalls starts livekit-server (on CPU 0 when pinned) and
// has the load generator (on CPU 1) carry calls 1:1 rooms through it for
// the window. RSS per participant is what the rooms added over the
// server's RSS before the first participant joined.
func measureLiveKitCalls(o options, b liveKitBins, calls int) (sfuPoint, error) {
	// The free ports are picked from the ephemeral range, where the
	// bench's own connections may take one first: a start that finds a
	// port taken is tried again with new ones.
	var cmd *exec.Cmd
	var base string
	var exited <-chan struct{}
	var err error
	for try := 0; ; try++ {
		cmd, base, exited, err = startLiveKit(o, b)
		if err == nil || try == 2 || !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	if err != nil {
		return sfuPoint{}, err
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}()
	time.Sleep(300 * time.Millisecond)
	pid := cmd.Process.Pid
	rss0 := procRSS(pid)

	settle := min(2*time.Second, o.duration)
	lname, largv := b.load, []string{"-url", "ws://" + base, "-rooms", fmt.Sprint(calls), "-media", o.mediaDir,
		"-settle", settle.String(), "-window", o.duration.String(), "-drain", min(time.Second, o.duration).String()}
	if o.pin {
		lname, largv = "taskset", append([]string{"-c", loadCPUs(), b.load}, largv...)
	}
	load := exec.Command(lname, largv...)
	loadLog := filepath.Join(o.workDir, "livekitload.log")
	lf, err := os.Create(loadLog)
	if err != nil {
		return sfuPoint{}, err
	}
	defer lf.Close()
	load.Stderr = lf
	stdout, err := load.StdoutPipe()
	if err != nil {
		return sfuPoint{}, err
	}
	if err := load.Start(); err != nil {
		return sfuPoint{}, err
	}
	defer waitOrKill(load, 30*time.Second)
	// A generator that cannot bring its rooms up (a saturated machine)
	// is stopped: the point fails, the sweep goes on.
	giveUp := time.AfterFunc(3*time.Minute+2*o.duration, func() { load.Process.Kill() })
	defer giveUp.Stop()
	type line struct {
		Event    string `json:"event"`
		Sent     int64  `json:"sent"`
		Received int64  `json:"received"`
	}
	var start, end, drained line
	var cpu0, cpu1 time.Duration
	var rss1 int64
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		var l line
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			continue
		}
		switch l.Event {
		case "start":
			start, cpu0 = l, procCPU(pid)
		case "end":
			end, cpu1, rss1 = l, procCPU(pid), procRSS(pid)
		case "drained":
			drained = l
		}
	}
	if drained.Event == "" {
		load.Wait()
		why := "killed after 3 minutes"
		raw, _ := os.ReadFile(loadLog)
		for _, l := range strings.Split(string(raw), "\n") {
			if strings.HasPrefix(l, "livekitload: ") {
				why = strings.TrimPrefix(l, "livekitload: ")
			}
		}
		return sfuPoint{}, fmt.Errorf("the LiveKit load generator stopped early: %s (log %s)", why, loadLog)
	}
	cpu, fwd := cpu1-cpu0, end.Received-start.Received
	return sfuPoint{
		cpuPerPacket:         micros(cpu, fwd),
		packetsPerS:          float64(fwd) / o.duration.Seconds(),
		cores:                cpu.Seconds() / o.duration.Seconds(),
		lossPct:              100 * max(0, 1-ratio(float64(drained.Received-start.Received), float64(drained.Sent-start.Sent))),
		rssPerParticipantMiB: float64(rss1-rss0) / float64(2*calls) / (1 << 20),
	}, nil
}

// loadCPUs is the CPUs load generators run on when pinned: all but 0.
func loadCPUs() string {
	if n := numCPU(); n > 2 {
		return fmt.Sprintf("1-%d", n-1)
	}
	return "1"
}

// waitOrKill waits for cmd to end, killing it after d.
func waitOrKill(cmd *exec.Cmd, d time.Duration) {
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
	}
}

// runSFUSweep measures each call count of o.callCounts on livemall, on
// LiveKit (with --livekit) and on the UDP relay, o.repeat times
// interleaved, and reports means, spreads, ratios and fits.
func runSFUSweep(o options) (*report, error) {
	counts := o.callCounts
	if len(counts) == 0 {
		counts = []int{o.calls}
	}
	repeat := max(1, o.repeat)
	r := newReport("sfu")
	r.set("calls", fmt.Sprint(counts), "")
	r.set("window_s", o.duration.Seconds(), "s")
	r.set("repeat", repeat, "")
	if raw, err := os.ReadFile("/proc/loadavg"); err == nil {
		r.set("load_average_at_start", string(raw[:len(raw)-1]), "")
	}
	plan, err := loadMedia(o.mediaDir)
	if err != nil {
		return nil, err
	}
	var lk liveKitBins
	if o.livekit {
		if lk, err = ensureLiveKit(o.repoDir); err != nil {
			return nil, err
		}
	}
	res := sweepResult{}
	measure := map[string]func(calls int) (sfuPoint, error){
		"livemall": func(calls int) (sfuPoint, error) { return measureLivemallCalls(o, plan, calls) },
		"livekit":  func(calls int) (sfuPoint, error) { return measureLiveKitCalls(o, lk, calls) },
		"relay":    func(calls int) (sfuPoint, error) { return measureRelayCalls(o, plan, calls) },
	}
	for _, calls := range counts {
		for rep := range repeat {
			for _, srv := range sweepServers {
				if srv == "livekit" && !o.livekit {
					continue
				}
				began := time.Now()
				p, err := measure[srv](calls)
				if err != nil {
					// One point that fails (a busy machine) leaves the
					// others standing: it is named in the output.
					r.note("%s, %d calls, run %d: not measured: %s", srv, calls, rep+1, lastLines(err.Error(), 1))
					fmt.Fprintf(os.Stderr, "sfu: %s, %d calls, run %d: %v\n", srv, calls, rep+1, err)
					continue
				}
				fmt.Fprintf(os.Stderr, "sfu: %s, %d calls, run %d: %.1f µs per packet, %.0f packets/s (%.0f s)\n",
					srv, calls, rep+1, p.cpuPerPacket, p.packetsPerS, time.Since(began).Seconds())
				res.add(srv, calls, p)
			}
		}
	}
	res.report(r, counts)
	if raw, err := os.ReadFile("/proc/loadavg"); err == nil {
		r.set("load_average_at_end", string(raw[:len(raw)-1]), "")
	}
	return r, nil
}
