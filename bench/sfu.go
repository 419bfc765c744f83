package main

import (
	"fmt"
	"time"
)

// runSFU carries o.calls 1:1 calls through one node, each side sending
// 720p VP8 and Opus from pion, and measures forwarded packets/s, server
// CPU per forwarded packet, loss, and goroutines and RSS per call; then
// the same packets through a plain UDP relay; then rooms of four parties
// on an SFU alone (rooms.go), for the cost of a forwarded packet in a
// call of several.
func runSFU(o options) (*report, error) {
	if o.livekit || len(o.callCounts) > 1 || o.repeat > 1 {
		return runSFUSweep(o)
	}
	r := newReport("sfu")
	r.set("calls", o.calls, "")
	r.set("window_s", o.duration.Seconds(), "s")
	plan, err := loadMedia(o.mediaDir)
	if err != nil {
		return nil, err
	}
	lm, err := measureLivemallCalls(o, plan, o.calls)
	if err != nil {
		return nil, err
	}
	r.set("forwarded_packets_per_s", lm.packetsPerS, "pkt/s")
	r.set("server_cpu_us_per_forwarded_packet", lm.cpuPerPacket, "µs")
	r.set("server_cpu_pct", 100*lm.cores, "% of a core")
	r.set("loss_pct", lm.lossPct, "%")
	r.set("goroutines_per_call", lm.goroutinesPerCall, "")
	r.set("rss_per_participant_mib", lm.rssPerParticipantMiB, "MiB")
	relay, err := measureRelayCalls(o, plan, o.calls)
	if err != nil {
		return nil, err
	}
	r.set("relay_forwarded_packets_per_s", relay.packetsPerS, "pkt/s")
	r.set("relay_cpu_us_per_forwarded_packet", relay.cpuPerPacket, "µs")
	us := lm.cpuPerPacket
	r.set("ratio_cpu_to_relay", ratio(us, relay.cpuPerPacket), "×")
	// Rooms of four parties, as many senders as the 1:1 calls had: each
	// packet in goes out three times.
	rooms := max(1, o.calls/2)
	rcpu4, rfwd4, err := measureRooms(o, plan, rooms)
	if err != nil {
		return nil, fmt.Errorf("%d-party rooms: %w", roomParties, err)
	}
	us4 := micros(rcpu4, rfwd4)
	r.set("room4_rooms", rooms, "")
	r.set("room4_forwarded_packets_per_s", float64(rfwd4)/o.duration.Seconds(), "pkt/s")
	r.set("room4_server_cpu_us_per_forwarded_packet", us4, "µs")
	r.set("ratio_room4_to_1to1_cpu_per_packet", ratio(us4, us), "×")
	r.target("sfu_cpu_vs_relay", us > 0 && us <= 2*relay.cpuPerPacket, "%.1f µs of server CPU per forwarded packet, %.2f× the bare relay (target ≤ 2×)", us, ratio(us, relay.cpuPerPacket))
	r.target("sfu_memory", lm.rssPerParticipantMiB <= 2, "%.2f MiB per participant (target ≤ 2 MiB)", lm.rssPerParticipantMiB)
	r.target("sfu_loss", lm.lossPct < 0.1, "%.3f %% loss (target < 0.1 %%)", lm.lossPct)
	return r, nil
}

// sfuPoint is one server measured carrying some 1:1 calls for a window.
type sfuPoint struct {
	// cpuPerPacket is the server's CPU per forwarded packet, in µs.
	cpuPerPacket float64
	// packetsPerS is the packets the receivers got per second.
	packetsPerS float64
	// cores is the server's CPU time per second of the window.
	cores float64
	// lossPct compares what the receivers got with what was sent,
	// counted until a moment after the senders stopped.
	lossPct float64
	// rssPerParticipantMiB is the RSS the calls added, per participant.
	rssPerParticipantMiB float64
	// goroutinesPerCall is what the calls added (livemall only).
	goroutinesPerCall float64
}

// measureLivemallCalls carries calls 1:1 calls through a livemall node
// child, each side sending 720p VP8 and Opus from pion.
func measureLivemallCalls(o options, plan *mediaPlan, calls int) (sfuPoint, error) {
	srv, err := startChild("node", o.nodeArgs(), o.workDir, o.pin)
	if err != nil {
		return sfuPoint{}, err
	}
	defer srv.stop()
	n := newNode(srv.Addr)
	phones, err := connectCalls(n, calls, plan, fmt.Sprintf("sfu%d", time.Now().UnixNano()%1e6), true)
	defer func() {
		for _, p := range phones {
			p.close()
		}
	}()
	if err != nil {
		return sfuPoint{}, err
	}
	cpu, fwd, sent, goroutines, rss, err := measureCalls(srv, phones, o.duration, func() (int, int64) {
		srv.settle()
		return srv.stats().Goroutines, srv.rss()
	})
	if err != nil {
		return sfuPoint{}, err
	}
	return sfuPoint{
		cpuPerPacket:         micros(cpu, fwd.window),
		packetsPerS:          float64(fwd.window) / o.duration.Seconds(),
		cores:                cpu.Seconds() / o.duration.Seconds(),
		lossPct:              100 * max(0, 1-ratio(float64(fwd.total), float64(sent))),
		rssPerParticipantMiB: float64(rss) / float64(2*calls) / (1 << 20),
		goroutinesPerCall:    float64(goroutines) / float64(calls),
	}, nil
}

// measureRelayCalls carries the same packets on the same schedule
// between 2·calls UDP endpoints through the plain relay child.
func measureRelayCalls(o options, plan *mediaPlan, calls int) (sfuPoint, error) {
	relay, err := startChild("relay", childArgs{}, o.workDir, o.pin)
	if err != nil {
		return sfuPoint{}, err
	}
	defer relay.stop()
	eps, err := relayCalls(relay.Addr, calls, plan)
	defer func() {
		for _, ep := range eps {
			closeOnce(ep.stop)
			ep.conn.Close()
		}
	}()
	if err != nil {
		return sfuPoint{}, err
	}
	time.Sleep(min(time.Second, o.duration))
	got := func() (s int64) {
		for _, ep := range eps {
			s += ep.got.Load()
		}
		return s
	}
	g0, c0 := got(), relay.cpu()
	time.Sleep(o.duration)
	rcpu, rfwd := relay.cpu()-c0, got()-g0
	return sfuPoint{
		cpuPerPacket: micros(rcpu, rfwd),
		packetsPerS:  float64(rfwd) / o.duration.Seconds(),
		cores:        rcpu.Seconds() / o.duration.Seconds(),
	}, nil
}

// forwarded counts packets the phones received: in the window, and from
// the window's start until the drain after the senders stopped.
type forwarded struct{ window, total int64 }

// connectCalls signs up count pairs, connects their phones and places a
// call from each caller to its callee, which answers; both send media
// when send. It returns once every phone receives media.
func connectCalls(n *node, count int, plan *mediaPlan, prefix string, send bool) ([]*phone, error) {
	members, err := n.signUpMany(prefix, 2*count)
	if err != nil {
		return nil, err
	}
	src := &sources{n: 2}
	var phones []*phone
	var chans []chan wsMessage
	for i, m := range members {
		ch, on := callMsgs()
		if i%2 == 1 {
			on = func(p *phone, msg wsMessage, _ time.Time) {
				if msg.Type == "call.incoming" {
					p.sendMsg("call.answer", map[string]any{"callId": callIDOf(msg)})
				}
			}
		}
		p, err := connectPhone(m, fmt.Sprintf("bench-%s-%04d", prefix, i), src, plan, on)
		if err != nil {
			return phones, err
		}
		p.answer.Store(true)
		p.send.Store(send || i%2 == 0)
		phones, chans = append(phones, p), append(chans, ch)
	}
	for i := 0; i < len(phones); i += 2 {
		// A callee whose device the directory does not see online yet
		// would take the call to their mailbox.
		if err := awaitOnline(phones[i].m, phones[i+1].m.number, 30*time.Second); err != nil {
			return phones, fmt.Errorf("call %d: %w", i/2, err)
		}
		phones[i].sendMsg("call.dial", map[string]any{"number": phones[i+1].m.number, "video": true})
		last := "none"
		if _, ok := await(chans[i], 30*time.Second, func(m wsMessage) bool {
			if m.Type == "call.state" || m.Type == "error" {
				last = m.Type + " " + string(m.Data)
			}
			return m.Type == "call.state" && stateOf(m) == "active"
		}); !ok {
			return phones, fmt.Errorf("call %d did not become active in 30 s (the caller's last call.state or error: %s)", i/2, last)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for i, p := range phones {
		if i%2 == 0 && !send {
			continue // the callee sends nothing: the caller receives nothing
		}
		for p.got[kindVideo].Load() < 30 {
			if time.Now().After(deadline) {
				return phones, fmt.Errorf("media did not flow in every call (a phone got %d audio, %d video packets)", p.got[0].Load(), p.got[1].Load())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return phones, nil
}

// measureCalls measures a window of the running calls: server CPU,
// packets forwarded to the phones, packets they sent (until they stop,
// after the window), and the goroutines and RSS the calls added over
// base (taken after the calls end, with their media stopped).
func measureCalls(srv *child, phones []*phone, window time.Duration, base func() (int, int64)) (time.Duration, forwarded, int64, int, int64, error) {
	settle := min(2*time.Second, window)
	time.Sleep(settle)
	g1, rss1 := base()
	sum := func() (recv, sent int64) {
		for _, p := range phones {
			recv += p.received()
			sent += p.sent.total()
		}
		return recv, sent
	}
	recv0, sent0 := sum()
	cpu0 := srv.cpu()
	time.Sleep(window)
	cpu := srv.cpu() - cpu0
	recvW, _ := sum()
	for _, p := range phones {
		p.pauseMedia()
	}
	time.Sleep(min(time.Second, window))
	recv1, sent1 := sum()
	for _, p := range phones {
		p.stopMedia()
	}
	time.Sleep(settle)
	g0, rss0 := base()
	return cpu, forwarded{window: recvW - recv0, total: recv1 - recv0}, sent1 - sent0, g1 - g0, rss1 - rss0, nil
}
