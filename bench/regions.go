package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
)

// The regions scenario (go run ./bench regions, as root) brings up
// scripts/regions.sh's three regions a, b and c (each its own PostgreSQL,
// NATS server and node in a network namespace, NATS joined by gateways,
// one-way delays a-b 20 ms, a-c 40 ms, b-c 70 ms) and measures:
//   - presence across regions: a member's device connects to (or leaves)
//     its home region's node; the time until every watcher of each other
//     region has the change, p50 and p99 per pair of regions, next to the
//     pair's one-way delay;
//   - directory convergence after a heal: region a is cut off from b and c,
//     signs up a member, the cut heals; the time from the heal until b and
//     c both resolve the new member.
func init() { scenarios["regions"] = runRegions }

// regionOrder are the regions of scripts/regions.sh, in order.
var regionOrder = []string{"a", "b", "c"}

// oneWayDelay is the one-way delay between two regions, in ms, as
// scripts/regions.sh sets it.
func oneWayDelay(x, y string) int {
	switch x + y {
	case "ab", "ba":
		return 20
	case "ac", "ca":
		return 40
	case "bc", "cb":
		return 70
	}
	return 0
}

// benchRegions is a set of regions brought up by scripts/regions.sh.
type benchRegions struct {
	repo, state string
	env         []string
	nodes       map[string]*node
}

func (g *benchRegions) script(args ...string) error {
	cmd := exec.Command("bash", append([]string{filepath.Join(g.repo, "scripts/regions.sh")}, args...)...)
	cmd.Env, cmd.Dir = g.env, g.repo
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("regions.sh %s: %v\n%s", strings.Join(args, " "), err, lastLines(string(out), 15))
	}
	return nil
}

func runRegions(o options) (*report, error) {
	if os.Getuid() != 0 {
		return nil, errors.New("the regions run in network namespaces (scripts/regions.sh): run `go run ./bench regions` as root")
	}
	bin := filepath.Join(o.workDir, "livemall")
	build := exec.Command("go", "build", "-o", bin, "./backend/cmd/livemall")
	build.Dir = o.repoDir
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build: %v\n%s", err, out)
	}
	nats := filepath.Join(o.repoDir, ".bin", "nats-server")
	if _, err := os.Stat(nats); err != nil {
		return nil, fmt.Errorf("%s is missing (%v): run scripts/deps.sh", nats, err)
	}
	net := fmt.Sprintf("10.94.%d", 10+rand.IntN(80)) // the tests take 100–249
	g := &benchRegions{repo: o.repoDir, state: filepath.Join(o.workDir, "regions"), nodes: map[string]*node{}}
	g.env = append(os.Environ(), fmt.Sprintf("REGIONS_ID=bn%d", rand.IntN(100)), "REGIONS_NET="+net, "REGIONS_DIR="+g.state,
		"PUBLIC_URL=http://localhost:8080", "LIVEMALL_BIN="+bin, "NATS_SERVER="+nats, "NODE_FLAGS=--auth-rate-limit 100000")
	if err := g.script("up"); err != nil {
		g.script("down")
		return nil, err
	}
	defer g.script("down")
	for i, name := range regionOrder {
		g.nodes[name] = newNode(fmt.Sprintf("%s.1%d:8080", net, i+1))
	}
	delays, _ := os.ReadFile(filepath.Join(g.state, "delays"))

	r := newReport("regions")
	r.set("load_average_at_start", loadAverages(), "")
	r.set("delays", strings.TrimSpace(string(delays)), "")
	r.set("one_way_delay_ab", 20, "ms")
	r.set("one_way_delay_ac", 40, "ms")
	r.set("one_way_delay_bc", 70, "ms")
	watchers, flips := max(1, min(o.watchers, 20)), max(1, o.flips)
	r.set("watchers_per_region", watchers, "")
	r.set("flips_per_region", flips, "")
	if err := g.presence(r, watchers, flips); err != nil {
		return nil, fmt.Errorf("presence: %w", err)
	}
	rounds := o.repeat
	if rounds < 1 {
		rounds = 3
	}
	if err := g.convergence(r, rounds); err != nil {
		return nil, fmt.Errorf("convergence: %w", err)
	}
	if err := g.dialRing(r, max(rounds, 10)); err != nil {
		return nil, fmt.Errorf("dial → ring: %w", err)
	}
	r.set("load_average_at_end", loadAverages(), "")
	return r, nil
}

// loadAverages is the machine's 1, 5 and 15 minute load averages.
func loadAverages() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// regionTracker times presence changes reaching each region's watchers.
type regionTracker struct {
	mu    sync.Mutex
	waits map[string]*regionWait // by watching region/account/state
	pairs map[string]*latencies  // "c→a": every delivery to one watcher, from the device's connect or close
	// crossed: every delivery to one watcher of another region, from the
	// moment the first watcher of the home region had the change.
	crossed map[string]*latencies
}

// cross records, for one change awaited in every region (ws, in
// regionOrder), the other regions' deliveries from the home region's
// first.
func (tr *regionTracker) cross(home string, ws []*regionWait) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var first time.Time
	for i, w := range ws {
		if regionOrder[i] == home {
			for _, at := range w.at {
				if first.IsZero() || at.Before(first) {
					first = at
				}
			}
		}
	}
	for i, w := range ws {
		if regionOrder[i] == home {
			continue
		}
		for _, at := range w.at {
			tr.crossed[w.pair].add(max(0, at.Sub(first)))
		}
	}
}

// regionWait is one awaited change in one region.
type regionWait struct {
	pair string
	t0   time.Time
	left int
	at   []time.Time // when each watcher had it
	done chan struct{}
}

// watch reads a watcher of region and times the awaited changes.
func (tr *regionTracker) watch(region string, conn *websocket.Conn) {
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
		if w := tr.waits[region+"/"+ev.AccountID+"/"+ev.State]; w != nil && w.left > 0 {
			w.left--
			w.at = append(w.at, now)
			tr.pairs[w.pair].add(now.Sub(w.t0))
			if w.left == 0 {
				close(w.done)
			}
		}
		tr.mu.Unlock()
	}
}

// expect registers a change of accountID (homed in home) awaited by n
// watchers in each region, from now on (home's own watchers are the
// baseline: what the change takes before it leaves its region).
func (tr *regionTracker) expect(home, accountID, state string, n int) []*regionWait {
	var out []*regionWait
	now := time.Now()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for _, region := range regionOrder {
		w := &regionWait{pair: home + "→" + region, t0: now, left: n, done: make(chan struct{})}
		tr.waits[region+"/"+accountID+"/"+state] = w
		out = append(out, w)
	}
	return out
}

// wait waits until every awaited watcher had the change.
func (tr *regionTracker) wait(ws []*regionWait, what string) error {
	timeout := time.After(15 * time.Second)
	for _, w := range ws {
		select {
		case <-w.done:
		case <-timeout:
			tr.mu.Lock()
			defer tr.mu.Unlock()
			return fmt.Errorf("%s (%s): %d watchers never saw it", what, w.pair, w.left)
		}
	}
	return nil
}

// presence signs up watchers and flippers in every region, waits until
// every region knows every flipper, then brings each flipper's device
// online and takes it away, timing both changes to the watchers of the
// two other regions.
func (g *benchRegions) presence(r *report, watchers, flips int) error {
	tr := &regionTracker{waits: map[string]*regionWait{}, pairs: map[string]*latencies{}, crossed: map[string]*latencies{}}
	for _, x := range regionOrder {
		for _, y := range regionOrder {
			tr.pairs[x+"→"+y], tr.crossed[x+"→"+y] = &latencies{}, &latencies{}
		}
	}
	flippers := map[string][]*member{}
	var conns []*websocket.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	src := &sources{} // the regions are not on the loopback
	for _, region := range regionOrder {
		ws, fs, err := g.nodes[region].signUpTwo("watch"+region, watchers, "flip"+region, flips)
		if err != nil {
			return err
		}
		flippers[region] = fs
		for i, m := range ws {
			conn, err := m.openSocket(fmt.Sprintf("watcher %s %d", region, i), src)
			if err != nil {
				return err
			}
			conns = append(conns, conn)
			if err := conn.WriteMessage(websocket.TextMessage, encodeMessage("directory.watch", nil)); err != nil {
				return err
			}
			go tr.watch(region, conn)
		}
	}
	// Every region must know every other region's flippers (their
	// entries) before their presence can show.
	start := time.Now()
	for _, home := range regionOrder {
		for _, region := range regionOrder {
			if region == home {
				continue
			}
			asker := &member{n: g.nodes[region], session: flippers[region][0].session, csrf: flippers[region][0].csrf}
			for _, f := range flippers[home] {
				for {
					st, _, err := asker.do("GET", "/api/v1/numbers/"+f.number, nil)
					if err == nil && st == 200 {
						break
					}
					if time.Since(start) > 2*time.Minute {
						return fmt.Errorf("region %s never resolved %s of region %s (%d, %v)", region, f.number, home, st, err)
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
		}
	}
	for i := 0; i < flips; i++ {
		for _, home := range regionOrder {
			f := flippers[home][i]
			on := tr.expect(home, f.accountID, "available", watchers)
			conn, err := f.openSocket("flipper "+home, src)
			if err != nil {
				return err
			}
			if err := tr.wait(on, "online"); err != nil {
				conn.Close()
				return err
			}
			tr.cross(home, on)
			time.Sleep(time.Duration(50+rand.IntN(100)) * time.Millisecond)
			off := tr.expect(home, f.accountID, "offline", watchers)
			conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
			conn.Close()
			if err := tr.wait(off, "offline"); err != nil {
				return err
			}
			tr.cross(home, off)
			time.Sleep(time.Duration(50+rand.IntN(100)) * time.Millisecond)
		}
	}
	worstP99, worstOver, worstCross := 0.0, 0.0, 0.0
	for _, x := range regionOrder {
		r.setLatency(fmt.Sprintf("presence_%s_to_own_watchers", x), tr.pairs[x+"→"+x])
		for _, y := range regionOrder {
			if x == y {
				continue
			}
			l := tr.pairs[x+"→"+y]
			key := fmt.Sprintf("presence_%s_to_%s", x, y)
			r.setLatency(key, l)
			d := float64(oneWayDelay(x, y))
			r.set(key+"_one_way_delay", d, "ms")
			r.set(key+"_p99_over_delay", l.pct(99)-d, "ms")
			c := tr.crossed[x+"→"+y]
			r.set(key+"_from_home_p50_ms", c.pct(50), "ms")
			r.set(key+"_from_home_p99_ms", c.pct(99), "ms")
			r.set(key+"_from_home_p99_over_delay", c.pct(99)-d, "ms")
			worstP99 = max(worstP99, l.pct(99))
			worstOver = max(worstOver, l.pct(99)-d)
			worstCross = max(worstCross, c.pct(99)-d)
		}
	}
	r.target("presence_p99_under_1s", worstP99 < 1000, "worst pair p99 %.0f ms (target < 1000 ms)", worstP99)
	r.target("presence_p99_within_100ms_of_delay", worstOver <= 100, "worst pair p99 − one-way delay %.0f ms (target ≤ 100 ms)", worstOver)
	r.target("presence_from_home_p99_within_100ms_of_delay", worstCross <= 100,
		"worst pair p99, from the home region's first watcher, − one-way delay %.0f ms (target ≤ 100 ms)", worstCross)
	return nil
}

// convergence cuts region a off from b and c, signs a member up in a,
// heals, and times until b and c both resolve the new member; rounds
// times.
func (g *benchRegions) convergence(r *report, rounds int) error {
	askers := map[string]*member{}
	for _, region := range []string{"b", "c"} {
		m, err := g.nodes[region].signUp("Bench asker "+region, "asker-"+region+"@bench.example.com")
		if err != nil {
			return err
		}
		askers[region] = m
	}
	var heal, healCmd latencies
	for i := 0; i < rounds; i++ {
		if err := g.script("partition", "a", "b"); err != nil {
			return err
		}
		if err := g.script("partition", "a", "c"); err != nil {
			return err
		}
		m, err := g.nodes["a"].signUp(fmt.Sprintf("Bench during cut %d", i), fmt.Sprintf("cut-%d@bench.example.com", i))
		if err != nil {
			g.script("heal")
			return err
		}
		time.Sleep(3 * time.Second) // a publishes the entry into its own stream meanwhile
		for _, region := range []string{"b", "c"} {
			if st, _, _ := askers[region].do("GET", "/api/v1/numbers/"+m.number, nil); st == 200 {
				g.script("heal")
				return fmt.Errorf("region %s resolved a's new member through the cut", region)
			}
		}
		t0 := time.Now()
		if err := g.script("heal"); err != nil {
			return err
		}
		healCmd.add(time.Since(t0))
		left := map[string]bool{"b": true, "c": true}
		for len(left) > 0 {
			for region := range left {
				if st, _, _ := askers[region].do("GET", "/api/v1/numbers/"+m.number, nil); st == 200 {
					delete(left, region)
				}
			}
			if time.Since(t0) > 60*time.Second {
				return fmt.Errorf("regions %v did not resolve a's new member within 60 s of the heal", left)
			}
			time.Sleep(20 * time.Millisecond)
		}
		heal.add(time.Since(t0))
		time.Sleep(2 * time.Second)
	}
	r.set("convergence_rounds", rounds, "")
	r.set("convergence_after_heal_p50_ms", heal.pct(50), "ms")
	r.set("convergence_after_heal_max_ms", heal.pct(100), "ms")
	r.set("heal_command_p50_ms", healCmd.pct(50), "ms")
	r.target("convergence_under_5s", heal.pct(100) < 5000, "worst %.0f ms from the heal command to b and c resolving (target < 5000 ms)", heal.pct(100))
	return nil
}
