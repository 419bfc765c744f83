package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Servers run as child processes of the bench command (the same binary,
// started again with childEnv set) so that /proc/<pid>/stat gives the
// server's CPU time alone: the load generators, pion clients included, run
// in the parent and would otherwise be counted as the server's work.

// childEnv selects the child mode; childArgsEnv carries its JSON arguments.
const (
	childEnv     = "LIVEMALL_BENCH_CHILD"
	childArgsEnv = "LIVEMALL_BENCH_CHILD_ARGS"
)

// childArgs configures a child server.
type childArgs struct {
	DataDir     string        `json:"dataDir,omitempty"`
	DatabaseURL string        `json:"databaseUrl,omitempty"`
	Heartbeat   time.Duration `json:"heartbeat,omitempty"`
	PresenceTTL time.Duration `json:"presenceTtl,omitempty"`
	RingTimeout time.Duration `json:"ringTimeout,omitempty"`
	CPUProfile  string        `json:"cpuProfile,omitempty"`
	// MemProfile is where the control endpoint's /heap writes the node's
	// heap profile ("" for nowhere).
	MemProfile string `json:"memProfile,omitempty"`
	// WrapUp overrides the node's wrap-up after a queued call (0: none).
	WrapUp *time.Duration `json:"wrapUp,omitempty"`
	// Demo seeds the demo mall before serving.
	Demo bool `json:"demo,omitempty"`
	// Agents creates that many agents of AgentStore (a demo store's slug),
	// whose enrollment tokens come back in childReady, and lets the
	// store's shoppers wait an hour before the fallback is offered.
	Agents     int    `json:"agents,omitempty"`
	AgentStore string `json:"agentStore,omitempty"`
	// NATSURL points the node at an external NATS (several nodes share
	// one); Node names it ("bench" when empty).
	NATSURL string `json:"natsUrl,omitempty"`
	Node    string `json:"node,omitempty"`
	// MediaEngine is the node's --media-engine ("" for its default).
	MediaEngine string `json:"mediaEngine,omitempty"`
	generatorArgs
}

// childReady is the line a child prints once it serves.
type childReady struct {
	// Addr is the address it serves on (HTTP, or UDP for the relay).
	Addr string `json:"addr"`
	// Control is the base URL of its control endpoint (stats, gc).
	Control string `json:"control"`
	// AgentTokens are the enrollment tokens of the agents it created.
	AgentTokens []string `json:"agentTokens,omitempty"`
	// SalesNumber is the sales number of childArgs.AgentStore.
	SalesNumber string `json:"salesNumber,omitempty"`
	// Opened is how many sockets a load generator holds; OpenError the
	// first that failed to open.
	Opened    int    `json:"opened,omitempty"`
	OpenError string `json:"openError,omitempty"`
}

// child is a running child server.
type child struct {
	childReady
	cmd   *exec.Cmd
	stdin io.WriteCloser
	log   string
}

// nodeArgs are the child arguments every run gives its node: the data
// directory under the work directory, the database and the CPU profile.
func (o options) nodeArgs() childArgs {
	return childArgs{DataDir: filepath.Join(o.workDir, "data"), DatabaseURL: o.databaseURL, CPUProfile: o.cpuProfile, MemProfile: o.memProfile, MediaEngine: o.mediaEngine}
}

// dialect names the node's database: "postgres" with a database URL,
// else "sqlite".
func (o options) dialect() string {
	if o.databaseURL != "" {
		return "postgres"
	}
	return "sqlite"
}

// mediaScenario starts the report of a media scenario (scenario, its
// count under countKey, the measuring window) and a media node for it.
func mediaScenario(o options, scenario, countKey string, count int) (*report, *mediaPlan, *child, error) {
	r := newReport(scenario)
	r.set(countKey, count, "")
	r.set("window_s", o.duration.Seconds(), "s")
	plan, srv, err := startMediaNode(o)
	return r, plan, srv, err
}

// startMediaNode loads the media plan and starts a node with nodeArgs: how
// the runs that carry calls begin.
func startMediaNode(o options) (*mediaPlan, *child, error) {
	plan, err := loadMedia(o.mediaDir)
	if err != nil {
		return nil, nil, err
	}
	srv, err := startChild("node", o.nodeArgs(), o.workDir, o.pin)
	if err != nil {
		return nil, nil, err
	}
	return plan, srv, nil
}

// startChild starts this binary again in the given mode and waits until it
// serves. pin runs it on CPU 0 with taskset.
func startChild(mode string, args childArgs, logDir string, pin bool) (*child, error) {
	return startChildLog(mode, args, logDir, mode, pin)
}

// startChildLog is startChild with the log named child-<logName>.log, for
// several children of one mode. A child has five minutes to get ready (a
// load generator opens thousands of sockets first).
func startChildLog(mode string, args childArgs, logDir, logName string, pin bool) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	raw, _ := json.Marshal(args)
	name, argv := exe, []string{}
	if pin {
		name, argv = "taskset", []string{"-c", "0", exe}
	}
	cmd := exec.Command(name, argv...)
	cmd.Env = append(os.Environ(), childEnv+"="+mode, childArgsEnv+"="+string(raw))
	logPath := filepath.Join(logDir, "child-"+logName+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s child: %w", mode, err)
	}
	logf.Close()
	c := &child{cmd: cmd, stdin: stdin, log: logPath}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "READY ") {
				lines <- strings.TrimPrefix(sc.Text(), "READY ")
				break
			}
		}
		close(lines)
		io.Copy(io.Discard, stdout)
	}()
	select {
	case line, ok := <-lines:
		if ok && json.Unmarshal([]byte(line), &c.childReady) == nil {
			return c, nil
		}
	case <-time.After(5 * time.Minute):
	}
	c.stop()
	tail, _ := os.ReadFile(logPath)
	return nil, fmt.Errorf("%s child did not start; its log:\n%s", mode, lastLines(string(tail), 20))
}

// stop closes the child's stdin (it shuts down on EOF) and waits for it.
func (c *child) stop() {
	c.stdin.Close()
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}

// pid is the server's process id (taskset execs it, keeping the pid).
func (c *child) pid() int { return c.cmd.Process.Pid }

// cpu returns the child's user+system CPU time.
func (c *child) cpu() time.Duration { return procCPU(c.pid()) }

// rss returns the child's resident set size in bytes.
func (c *child) rss() int64 { return procRSS(c.pid()) }

// childStats is what a child's control endpoint reports.
type childStats struct {
	Goroutines int    `json:"goroutines"`
	HeapInuse  uint64 `json:"heapInuse"`
	StackInuse uint64 `json:"stackInuse"`
	// Heartbeats is how many heartbeats a load generator sent.
	Heartbeats int64 `json:"heartbeats"`
	// Announced is how many of a node's connections its directory holds
	// online (their open hooks done).
	Announced int `json:"announced"`
}

// stats asks the child for its goroutines and heap.
func (c *child) stats() childStats {
	var s childStats
	if res, err := http.Get(c.Control + "/stats"); err == nil {
		json.NewDecoder(res.Body).Decode(&s)
		res.Body.Close()
	}
	return s
}

// settle asks the child to collect garbage and return freed memory to the
// OS, so RSS reflects live memory, then waits a moment.
func (c *child) settle() {
	if res, err := http.Get(c.Control + "/gc"); err == nil {
		res.Body.Close()
	}
	time.Sleep(200 * time.Millisecond)
}

// profileCPU writes the child's CPU profile of the next window to file,
// in the background; wait for the returned channel.
func (c *child) profileCPU(window time.Duration, file string) <-chan error {
	done := make(chan error, 1)
	go func() {
		res, err := http.Get(fmt.Sprintf("%s/cpu?seconds=%d", c.Control, max(1, int(window.Seconds()))))
		if err != nil {
			done <- err
			return
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			msg, _ := io.ReadAll(res.Body)
			done <- fmt.Errorf("cpu profile: %s", msg)
			return
		}
		f, err := os.Create(file)
		if err != nil {
			done <- err
			return
		}
		_, err = io.Copy(f, res.Body)
		done <- errors.Join(err, f.Close())
	}()
	return done
}

// writeHeapProfile asks the child to write its heap profile to the file
// its arguments named (nothing when they named none).
func (c *child) writeHeapProfile() {
	if res, err := http.Get(c.Control + "/heap"); err == nil {
		res.Body.Close()
	}
}

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat;
// it is 100 on every Linux this runs on.
const clockTicks = 100

// procCPU reads utime+stime of a process (0 when it cannot).
func procCPU(pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: state is field 3, utime 14 and stime 15.
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / clockTicks
}

// procRSS reads VmRSS of a process in bytes (0 when it cannot).
func procRSS(pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
