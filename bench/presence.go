package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
)

// runPresence holds o.devices heartbeating device sockets per node (on
// o.nodes nodes sharing one NATS and one database) in load-generator
// children, and o.watchers sockets watching the directory on the last
// node; it reports server RSS per connection on each node, server CPU per
// heartbeat, and how long a device coming online on the first node or
// going away takes to reach every watcher.
func runPresence(o options) (*report, error) {
	r := newReport("presence")
	r.set("nodes", o.nodes, "")
	r.set("devices_per_node", o.devices, "")
	r.set("watchers", o.watchers, "")
	r.set("heartbeat_s", o.heartbeat.Seconds(), "s")
	srvs, stopNodes, err := startPresenceNodes(o)
	if err != nil {
		return nil, err
	}
	defer stopNodes()
	first, last := newNode(srvs[0].Addr), newNode(srvs[len(srvs)-1].Addr)
	bulk, flippers, err := first.signUpTwo("presence", min(50, max(1, o.devices)), "flip", o.flips)
	if err != nil {
		return nil, err
	}
	src := &sources{n: 1}

	tr := &presenceTracker{waits: map[string]*presenceWait{}}
	var socks []*websocket.Conn
	defer func() {
		for _, s := range socks {
			s.Close()
		}
	}()
	for i := 0; i < o.watchers; i++ {
		m := *bulk[i%len(bulk)]
		m.n = last
		conn, err := m.openSocket(fmt.Sprintf("bench-watch-%05d", i), src)
		if err != nil {
			return nil, fmt.Errorf("watcher %d: %w", i, err)
		}
		socks = append(socks, conn)
		conn.WriteMessage(websocket.TextMessage, encodeMessage("directory.watch", nil))
		go tr.watch(conn)
	}
	time.Sleep(min(time.Second, o.duration))
	before := make([]childStats, len(srvs))
	rss0 := make([]int64, len(srvs))
	for i, srv := range srvs {
		srv.settle()
		before[i], rss0[i] = srv.stats(), srv.rss()
	}

	cookies := make([]string, len(bulk))
	for i, m := range bulk {
		cookies[i] = "lm_session=" + m.session
	}
	var gens []*generator
	defer func() { stopGenerators(gens) }()
	held := 0
	cpuOpen := nodesCPU(srvs)
	opening := time.Now()
	for i, srv := range srvs {
		g, n, err := startGenerators(o, srv.Addr, cookies, o.devices, 10+20*i, fmt.Sprintf("devices-node%d", i+1))
		gens = append(gens, g...)
		held += n
		if err != nil {
			return nil, fmt.Errorf("node %d: %d of %d devices held: %w", i+1, n, o.devices, err)
		}
	}
	r.set("load_generators", len(gens), "")
	r.set("devices_held", held, "")
	// A socket is held once its hello arrived; the node announces it
	// after that. The heartbeat window starts once every device is
	// announced, so that it measures heartbeats, not the last connects.
	if err := awaitAnnounced(srvs, o.devices, 5*time.Minute); err != nil {
		return nil, err
	}
	r.set("devices_online_s", time.Since(opening).Seconds(), "s")
	r.set("server_cpu_us_per_connect", micros(nodesCPU(srvs)-cpuOpen, int64(held)), "µs")
	time.Sleep(min(2*time.Second, o.duration))
	var perConn float64
	for i, srv := range srvs {
		srv.settle()
		st := srv.stats()
		rss := srv.rss()
		if i == 0 {
			srv.writeHeapProfile()
		}
		label := ""
		if len(srvs) > 1 {
			label = fmt.Sprintf("node%d_", i+1)
		}
		per := float64(rss-rss0[i]) / float64(max(1, o.devices))
		perConn = max(perConn, per)
		r.set(label+"server_rss_mib", float64(rss)/(1<<20), "MiB")
		r.set(label+"rss_per_connection_kib", per/1024, "KiB")
		r.set(label+"heap_per_connection_kib", (float64(st.HeapInuse)-float64(before[i].HeapInuse))/float64(max(1, o.devices))/1024, "KiB")
		r.set(label+"stacks_per_connection_kib", (float64(st.StackInuse)-float64(before[i].StackInuse))/float64(max(1, o.devices))/1024, "KiB")
		r.set(label+"goroutines_per_connection", float64(st.Goroutines-before[i].Goroutines)/float64(max(1, o.devices)), "")
	}

	var profiled <-chan error
	if o.cpuProfile != "" {
		profiled = srvs[0].profileCPU(o.duration, o.cpuProfile)
	}
	cpu0, beats0 := nodesCPU(srvs), heartbeatsOf(gens)
	load0 := loadAverage()
	time.Sleep(o.duration)
	if profiled != nil {
		if err := <-profiled; err != nil {
			r.note("no CPU profile: %v", err)
		}
	}
	cpu, beats := nodesCPU(srvs)-cpu0, heartbeatsOf(gens)-beats0
	r.set("heartbeats_in_window", beats, "")
	r.set("server_cpu_us_per_heartbeat", micros(cpu, beats), "µs")
	r.set("server_cpu_pct_idle_devices", 100*cpu.Seconds()/o.duration.Seconds(), "% of a core")
	r.set("load_average_1m", fmt.Sprintf("%s → %s", load0, loadAverage()), "")

	// A change that never reaches every watcher fails the latency target
	// but not the run: the memory figures above still stand.
	var onAll, offAll latencies
	var lost error
	for i, m := range flippers {
		if err := tr.flip(m, fmt.Sprintf("bench-flip-%05d", i), src, o.watchers, &onAll, &offAll); err != nil {
			lost = fmt.Errorf("flip %d of %d: %w", i+1, len(flippers), err)
			r.set("presence_change_lost", lost.Error(), "")
			break
		}
	}
	r.setLatency("online_to_all_watchers", &onAll)
	r.setLatency("offline_to_all_watchers", &offAll)
	r.setLatency("change_to_one_watcher", &tr.each)
	p99 := max(onAll.pct(99), offAll.pct(99))
	r.target("presence_memory", perConn <= 10*1024, "%.1f KiB of server RSS per connection (target ≤ 10 KiB)", perConn/1024)
	perBeat := micros(cpu, beats)
	r.target("presence_heartbeat", perBeat <= 100, "%.0f µs of server CPU per heartbeat, the idle node's own work included (target ≤ 100 µs; run with --heartbeat 2s so the heartbeats outweigh it)", perBeat)
	if lost != nil {
		r.target("presence_latency", false, "a presence change never reached all %d watchers in 10 s (%v)", o.watchers, lost)
	} else {
		r.target("presence_latency", p99 < 50, "presence change to all %d watchers p99 %.1f ms (target < 50 ms)", o.watchers, p99)
	}
	if o.centrifugo {
		// The devices leave first: Centrifugo gets the machine to itself.
		stopGenerators(gens)
		gens = nil
		centrifugoCeiling(r, o, perConn)
	} else {
		r.note("Centrifugo ceiling not measured: pass --centrifugo")
	}
	return r, nil
}

// awaitAnnounced waits until each node's directory holds want of its
// connections online, saying on stderr how far it got every 10 s.
func awaitAnnounced(srvs []*child, want int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	said := time.Now()
	for i, srv := range srvs {
		for {
			got := srv.stats().Announced
			if got >= want {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("node %d announced %d of %d devices in %s", i+1, got, want, limit)
			}
			if time.Since(said) >= 10*time.Second {
				fmt.Fprintf(os.Stderr, "presence: node %d has announced %d of %d devices\n", i+1, got, want)
				said = time.Now()
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nil
}

// startPresenceNodes starts o.nodes livemall nodes on one database and,
// for more than one, on one NATS server run by this process. The returned
// function stops them all.
func startPresenceNodes(o options) ([]*child, func(), error) {
	var srvs []*child
	var ns *natsServer
	stop := func() {
		for _, s := range srvs {
			s.stop()
		}
		if ns != nil {
			ns.stop()
		}
	}
	args := o.nodeArgs()
	args.CPUProfile = "" // the heartbeat window's alone, taken in runPresence
	args.Heartbeat, args.PresenceTTL = o.heartbeat, 3*o.heartbeat
	if o.nodes > 1 {
		var err error
		if ns, err = startNATS(o.workDir); err != nil {
			return nil, nil, err
		}
		args.NATSURL = ns.url
	}
	for i := range max(1, o.nodes) {
		a := args
		if o.nodes > 1 {
			a.Node = fmt.Sprintf("bench-%d", i+1)
		}
		srv, err := startChildLog("node", a, o.workDir, fmt.Sprintf("node%d", i+1), o.pin)
		if err != nil {
			stop()
			return nil, nil, err
		}
		srvs = append(srvs, srv)
	}
	return srvs, stop, nil
}

// nodesCPU sums the nodes' CPU time.
func nodesCPU(srvs []*child) time.Duration {
	var sum time.Duration
	for _, s := range srvs {
		sum += s.cpu()
	}
	return sum
}

// openDevices connects count devices spread over the members, 32 at a time.
func openDevices(members []*member, count int, src *sources) ([]*websocket.Conn, error) {
	return openConns(count, func(i int) (*websocket.Conn, error) {
		conn, err := members[i%len(members)].openSocket(fmt.Sprintf("bench-dev-%06d", i), src)
		if err != nil {
			return conn, fmt.Errorf("device %d: %w", i, err)
		}
		return conn, nil
	})
}

// openConns opens count sockets, 32 at a time, and returns those that
// opened with the error of the first that failed.
func openConns(count int, open func(i int) (*websocket.Conn, error)) ([]*websocket.Conn, error) {
	out := make([]*websocket.Conn, count)
	first := inParallel(32, count, func(i int) (err error) {
		out[i], err = open(i)
		return err
	})
	kept := out[:0]
	for _, c := range out {
		if c != nil {
			kept = append(kept, c)
		}
	}
	return kept, first
}

// heartbeats sends each device a heartbeat once per interval, spread
// evenly, from one goroutine (the only writer of those sockets).
type heartbeats struct {
	sent atomic.Int64
	done chan struct{}
}

func startHeartbeats(devices []*websocket.Conn, every time.Duration) *heartbeats {
	h := &heartbeats{done: make(chan struct{})}
	if len(devices) == 0 {
		return h
	}
	msg := encodeMessage("heartbeat", nil)
	go func() {
		gap := every / time.Duration(len(devices))
		start := time.Now()
		for i := 0; ; i++ {
			next := start.Add(time.Duration(i) * gap)
			select {
			case <-h.done:
				return
			case <-time.After(time.Until(next)):
			}
			c := devices[i%len(devices)]
			c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if c.WriteMessage(websocket.TextMessage, msg) == nil {
				h.sent.Add(1)
				heartbeatsSent.Add(1)
			}
		}
	}()
	return h
}

func (h *heartbeats) stop() { close(h.done) }

// presenceTracker times presence events on the watchers.
type presenceTracker struct {
	mu    sync.Mutex
	waits map[string]*presenceWait // by account/state
	each  latencies                // every delivery to one watcher
}

// presenceWait is one awaited change.
type presenceWait struct {
	t0   time.Time
	left int
	last time.Time
	done chan struct{}
}

// watch reads a watcher's socket and times the awaited changes.
func (tr *presenceTracker) watch(conn *websocket.Conn) {
	for {
		_, raw, err := conn.ReadMessage()
		if err != nil {
			return
		}
		now := time.Now()
		var m wsMessage
		if json.Unmarshal(raw, &m) != nil || m.Type != "presence" {
			continue
		}
		var ev struct{ AccountID, State string }
		json.Unmarshal(m.Data, &ev)
		tr.mu.Lock()
		if w := tr.waits[ev.AccountID+"/"+ev.State]; w != nil && w.left > 0 {
			w.left--
			w.last = now
			tr.each.add(now.Sub(w.t0))
			if w.left == 0 {
				close(w.done)
			}
		}
		tr.mu.Unlock()
	}
}

// expect registers an awaited change seen by n watchers from now on.
func (tr *presenceTracker) expect(accountID, state string, n int) *presenceWait {
	w := &presenceWait{t0: time.Now(), left: n, done: make(chan struct{})}
	tr.mu.Lock()
	tr.waits[accountID+"/"+state] = w
	tr.mu.Unlock()
	return w
}

// wait returns how long the change took to reach every watcher.
func (tr *presenceTracker) wait(w *presenceWait, what string) (time.Duration, error) {
	select {
	case <-w.done:
		tr.mu.Lock()
		defer tr.mu.Unlock()
		return w.last.Sub(w.t0), nil
	case <-time.After(10 * time.Second):
		tr.mu.Lock()
		defer tr.mu.Unlock()
		return 0, fmt.Errorf("%s: %d watchers never saw it", what, w.left)
	}
}

// flip brings a member's device online, then takes it away, timing both
// changes to all watchers.
func (tr *presenceTracker) flip(m *member, device string, src *sources, watchers int, on, off *latencies) error {
	w := tr.expect(m.accountID, "available", watchers)
	conn, err := m.openSocket(device, src)
	if err != nil {
		return err
	}
	d, err := tr.wait(w, "online")
	if err != nil {
		conn.Close()
		return err
	}
	on.add(d)
	time.Sleep(time.Duration(50+rand.IntN(100)) * time.Millisecond)
	w = tr.expect(m.accountID, "offline", watchers)
	conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	conn.Close()
	if d, err = tr.wait(w, "offline"); err != nil {
		return err
	}
	off.add(d)
	time.Sleep(time.Duration(50+rand.IntN(100)) * time.Millisecond)
	return nil
}
