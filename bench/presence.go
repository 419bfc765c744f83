package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
)

// runPresence holds o.devices heartbeating device sockets and o.watchers
// sockets watching the directory on one node; it reports server RSS per
// connection, server CPU per heartbeat, and how long a device coming
// online or going away takes to reach every watcher.
func runPresence(o options) (*report, error) {
	r := newReport("presence")
	r.set("devices", o.devices, "")
	r.set("watchers", o.watchers, "")
	r.set("heartbeat_s", o.heartbeat.Seconds(), "s")
	args := o.nodeArgs()
	args.Heartbeat, args.PresenceTTL = o.heartbeat, 3*o.heartbeat
	srv, err := startChild("node", args, o.workDir, o.pin)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	n := newNode(srv.Addr)
	bulk, flippers, err := n.signUpTwo("presence", min(50, max(1, o.devices)), "flip", o.flips)
	if err != nil {
		return nil, err
	}
	total := o.devices + o.watchers + o.flips
	src := &sources{n: max(2, total/20000+1)}
	r.set("source_addresses", src.n, "")

	tr := &presenceTracker{waits: map[string]*presenceWait{}}
	var socks []*websocket.Conn
	defer func() {
		for _, s := range socks {
			s.Close()
		}
	}()
	for i := 0; i < o.watchers; i++ {
		conn, err := bulk[i%len(bulk)].openSocket(fmt.Sprintf("bench-watch-%05d", i), src)
		if err != nil {
			return nil, fmt.Errorf("watcher %d: %w", i, err)
		}
		socks = append(socks, conn)
		conn.WriteMessage(websocket.TextMessage, encodeMessage("directory.watch", nil))
		go tr.watch(conn)
	}
	time.Sleep(min(time.Second, o.duration))
	srv.settle()
	st0 := srv.stats()
	rss0, g0 := srv.rss(), st0.Goroutines

	devices, err := openDevices(bulk, o.devices, src)
	socks = append(socks, devices...)
	if err != nil {
		return nil, err
	}
	hb := startHeartbeats(devices, o.heartbeat)
	defer hb.stop()
	time.Sleep(min(2*time.Second, o.duration))
	srv.settle()
	st1 := srv.stats()
	rss1, g1 := srv.rss(), st1.Goroutines
	srv.writeHeapProfile()
	perConn := float64(rss1-rss0) / float64(max(1, o.devices))
	r.set("server_rss_mib", float64(rss1)/(1<<20), "MiB")
	r.set("rss_per_connection_kib", perConn/1024, "KiB")
	r.set("heap_per_connection_kib", (float64(st1.HeapInuse)-float64(st0.HeapInuse))/float64(max(1, o.devices))/1024, "KiB")
	r.set("stacks_per_connection_kib", (float64(st1.StackInuse)-float64(st0.StackInuse))/float64(max(1, o.devices))/1024, "KiB")
	r.set("goroutines_per_connection", float64(g1-g0)/float64(max(1, o.devices)), "")

	cpu0, beats0 := srv.cpu(), hb.sent.Load()
	time.Sleep(o.duration)
	cpu, beats := srv.cpu()-cpu0, hb.sent.Load()-beats0
	r.set("heartbeats_in_window", beats, "")
	r.set("server_cpu_us_per_heartbeat", micros(cpu, beats), "µs")
	r.set("server_cpu_pct_idle_devices", 100*cpu.Seconds()/o.duration.Seconds(), "% of a core")

	var onAll, offAll latencies
	for i, m := range flippers {
		if err := tr.flip(m, fmt.Sprintf("bench-flip-%05d", i), src, o.watchers, &onAll, &offAll); err != nil {
			return nil, err
		}
	}
	r.setLatency("online_to_all_watchers", &onAll)
	r.setLatency("offline_to_all_watchers", &offAll)
	r.setLatency("change_to_one_watcher", &tr.each)
	p99 := max(onAll.pct(99), offAll.pct(99))
	r.target("presence_memory", perConn <= 10*1024, "%.1f KiB of server RSS per connection (target ≤ 10 KiB)", perConn/1024)
	perBeat := micros(cpu, beats)
	r.target("presence_heartbeat", perBeat <= 100, "%.0f µs of server CPU per heartbeat, the idle node's own work included (target ≤ 100 µs; run with --heartbeat 2s so the heartbeats outweigh it)", perBeat)
	r.target("presence_latency", p99 < 50, "presence change to all %d watchers p99 %.1f ms (target < 50 ms)", o.watchers, p99)
	if o.centrifugo {
		centrifugoCeiling(r, o, src, perConn)
	} else {
		r.note("Centrifugo ceiling not measured: pass --centrifugo")
	}
	return r, nil
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
