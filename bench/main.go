// Command bench measures livemall's hot paths against their ceilings on
// this machine:
//
//	go run ./bench SCENARIO [flags]
//
// SCENARIO is resolve, presence, dial, sfu, record, queue, cluster, regions
// or all (cluster and regions need root and are not in all). Each starts a
// real livemall node as a child process (a fresh data dir, SQLite unless
// --database-url names PostgreSQL), drives it from this process, measures
// its ceiling in the same run, and prints a table and one JSON object.
// Server CPU time comes from /proc/<pid>/stat of the child, so the load
// generator's own work is not counted. See BENCHMARKS.md.
package main

import (
	"flag"
	"fmt"
	"github.com/livemall/livemall/backend/config"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// options are the flags every scenario understands.
type options struct {
	databaseURL string
	duration    time.Duration
	workers     int
	devices     int
	nodes       int
	watchers    int
	flips       int
	heartbeat   time.Duration
	centrifugo  bool
	callers     int
	callees     int
	rate        float64
	dials       int
	answered    int
	calls       int
	callCounts  []int // sfu: the counts of --calls 10,20,40
	livekit     bool
	// mediaEngine is the node's --media-engine ("" for its default).
	mediaEngine string
	repeat      int
	recordings  int
	agents      int
	shoppers    int
	rounds      int
	hold        time.Duration
	wrapUp      time.Duration
	pin         bool
	cpuProfile  string
	memProfile  string
	jsonOnly    bool
	workDir     string // scratch dir for data and logs
	mediaDir    string
	repoDir     string
}

// defaults are the flags' values when not given.
func defaults() options {
	return options{duration: 10 * time.Second, workers: 32, devices: 2000, watchers: 100, flips: 20,
		heartbeat: 20 * time.Second, nodes: 1, callers: 40, callees: 40, rate: 200, dials: 2000, answered: 10,
		calls: 10, recordings: 10, agents: 5, shoppers: 200, rounds: 40, hold: 50 * time.Millisecond, wrapUp: time.Millisecond}
}

func (o *options) bind(fs *flag.FlagSet) {
	fs.StringVar(&o.databaseURL, "database-url", o.databaseURL, "PostgreSQL URL postgres://…; empty uses SQLite")
	fs.DurationVar(&o.duration, "duration", o.duration, "measuring window of each phase")
	fs.IntVar(&o.workers, "workers", o.workers, "resolve: concurrent HTTP clients")
	fs.IntVar(&o.devices, "devices", o.devices, "presence: device WebSockets per node (a node holds up to ~19,000: one process has 20,000 files), held by load-generator processes of 9,500 each")
	fs.IntVar(&o.nodes, "nodes", o.nodes, "presence: livemall nodes on one NATS and one database, each holding --devices")
	fs.IntVar(&o.watchers, "watchers", o.watchers, "presence: sockets watching the directory")
	fs.IntVar(&o.flips, "flips", o.flips, "presence: devices that come online and go away, measured")
	fs.DurationVar(&o.heartbeat, "heartbeat", o.heartbeat, "presence: heartbeat interval")
	fs.BoolVar(&o.centrifugo, "centrifugo", o.centrifugo, "presence: also hold the devices on Centrifugo v6 (installed into .bin/)")
	fs.IntVar(&o.callers, "callers", o.callers, "dial: caller devices")
	fs.IntVar(&o.callees, "callees", o.callees, "dial: online callee devices")
	fs.Float64Var(&o.rate, "rate", o.rate, "dial: target dials per second")
	fs.IntVar(&o.dials, "dials", o.dials, "dial: dials to ring (cancelled once ringing)")
	fs.IntVar(&o.answered, "answered", o.answered, "dial: dials answered, timed to the callee's first RTP packet")
	fs.Var(callCounts{o}, "calls", "sfu: concurrent 1:1 calls with 720p VP8 + Opus both ways; a list (10,20,40) sweeps")
	fs.StringVar(&o.mediaEngine, "media-engine", o.mediaEngine, "the node's --media-engine: pion or lite (empty: the node's default)")
	fs.BoolVar(&o.livekit, "livekit", o.livekit, "sfu: also carry the calls on livekit-server v1.13.5 (installed into .bin/)")
	fs.IntVar(&o.repeat, "repeat", o.repeat, "sfu: measure each call count this many times, servers interleaved; regions: heals timed (3 when 0)")
	fs.IntVar(&o.recordings, "recordings", o.recordings, "record: concurrent messages recorded")
	fs.IntVar(&o.agents, "agents", o.agents, "queue: agents of the store, answering every ring at once")
	fs.IntVar(&o.shoppers, "shoppers", o.shoppers, "queue: guest shoppers dialing the store's sales number in the burst")
	fs.IntVar(&o.rounds, "rounds", o.rounds, "queue: rounds of one shopper per free agent (and as many plain calls), timed join → ring")
	fs.DurationVar(&o.hold, "hold", o.hold, "queue: how long an agent stays on a call before hanging up")
	fs.DurationVar(&o.wrapUp, "wrap-up", o.wrapUp, "queue: the node's wrap-up after a queued call")
	fs.BoolVar(&o.pin, "pin", o.pin, "run servers on CPU 0 (taskset), load generators on the others")
	fs.StringVar(&o.cpuProfile, "cpuprofile", o.cpuProfile, "write the livemall node's CPU profile to this file (presence: the heartbeat window's only, of the first node)")
	fs.StringVar(&o.memProfile, "memprofile", o.memProfile, "presence: write the livemall node's heap profile, taken with the devices connected, to this file")
	fs.BoolVar(&o.jsonOnly, "json", o.jsonOnly, "print only the JSON object")
	fs.StringVar(&o.mediaDir, "media", o.mediaDir, "directory with vp8-6s.ivf and opus-6s.ogg (default: media/testdata of the repo)")
}

// scenarios maps names to runners.
var scenarios = map[string]func(o options) (*report, error){
	"resolve":  runResolve,
	"presence": runPresence,
	"dial":     runDial,
	"sfu":      runSFU,
	"record":   runRecord,
	"queue":    runQueue,
}

// order is how "all" runs them.
var order = []string{"resolve", "presence", "dial", "sfu", "record", "queue"}

func main() {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode))
	}
	os.Exit(run(os.Args[1:]))
}

func run(argv []string) int {
	usage := "usage: go run ./bench {" + strings.Join(order, "|") + "|all} [flags]"
	if len(argv) == 0 || strings.HasPrefix(argv[0], "-") {
		fmt.Fprintln(os.Stderr, usage)
		return 2
	}
	name := argv[0]
	o := defaults()
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	o.bind(fs)
	if err := fs.Parse(argv[1:]); err != nil {
		return 2
	}
	if o.mediaEngine != "" && o.mediaEngine != config.MediaEnginePion && o.mediaEngine != config.MediaEngineLite {
		fmt.Fprintf(os.Stderr, "--media-engine %q must be pion or lite\n", o.mediaEngine)
		return 2
	}
	names := []string{name}
	if name == "all" {
		names = order
	} else if scenarios[name] == nil {
		fmt.Fprintln(os.Stderr, usage)
		return 2
	}
	if o.pin {
		pinSelf()
	}
	failed := 0
	for _, n := range names {
		r, err := runScenario(n, o)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", n, err)
			failed++
			continue
		}
		if o.jsonOnly {
			fmt.Printf("%s\n", r.JSON())
		} else {
			r.print(os.Stdout)
		}
	}
	if failed > 0 {
		return 1
	}
	return 0
}

// runScenario prepares a scratch dir and the media, runs one scenario and
// removes the scratch dir.
func runScenario(name string, o options) (*report, error) {
	var err error
	if o.repoDir, err = repoRoot(); err != nil {
		return nil, err
	}
	if o.mediaDir == "" {
		o.mediaDir = filepath.Join(o.repoDir, "media", "testdata")
	}
	if o.workDir, err = os.MkdirTemp("", "livemall-bench-"+name+"-"); err != nil {
		return nil, err
	}
	defer os.RemoveAll(o.workDir)
	r, err := scenarios[name](o)
	if err != nil {
		return nil, err
	}
	if o.pin {
		r.set("pinned", "servers on CPU 0, load generator on the others", "")
	}
	return r, nil
}

// repoRoot finds the directory holding livemall's go.mod, upwards from the
// working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		raw, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(raw), "module github.com/livemall/livemall\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("run bench inside the livemall repository")
		}
		dir = parent
	}
}

// pinSelf moves this process (every thread) off CPU 0, where the servers
// run.
func pinSelf() {
	n := numCPU()
	if n < 2 {
		return
	}
	cpus := fmt.Sprintf("1-%d", n-1)
	if err := runQuiet("taskset", "-a", "-p", "-c", cpus, fmt.Sprint(os.Getpid())); err != nil {
		fmt.Fprintln(os.Stderr, "pin load generator:", err)
	}
}
