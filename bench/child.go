package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/livemall/livemall/agentdesk"
	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/config"
	"github.com/livemall/livemall/backend/limits"
)

// runChild runs the child mode named by childEnv and returns the exit code.
func runChild(mode string) int {
	var args childArgs
	if err := json.Unmarshal([]byte(os.Getenv(childArgsEnv)), &args); err != nil {
		fmt.Fprintln(os.Stderr, "bad child args:", err)
		return 2
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if args.CPUProfile != "" {
		f, err := os.Create(args.CPUProfile)
		if err == nil {
			pprof.StartCPUProfile(f)
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
	}
	var (
		addr  string
		stop  func()
		err   error
		ready childReady
	)
	switch mode {
	case "node":
		addr, stop, err = serveNode(args, &ready)
	case "const":
		addr, stop, err = serveConstCeiling()
	case "sql":
		addr, stop, err = serveSQLCeiling(args)
	case "relay":
		addr, stop, err = serveRelay()
	case "rooms":
		addr, stop, err = serveRooms()
	case "sockets":
		addr, stop, err = serveSockets(args, &ready)
	default:
		err = fmt.Errorf("unknown child mode %q", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	ctl, err := serveControl(args.MemProfile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child control:", err)
		return 1
	}
	ready.Addr, ready.Control = addr, ctl
	line, _ := json.Marshal(ready)
	fmt.Printf("READY %s\n", line)
	// The parent closes stdin to stop us (and dies with it closed too).
	io.Copy(io.Discard, bufio.NewReader(os.Stdin))
	stop()
	return 0
}

// connectionsAnnounced counts a node child's connections its directory
// holds online (0 in other children).
var connectionsAnnounced = func() int { return 0 }

// serveControl answers /stats, /gc and /heap (the heap profile, written
// to memProfile) on a loopback port of its own.
func serveControl(memProfile string) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/stats", func(w http.ResponseWriter, _ *http.Request) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		json.NewEncoder(w).Encode(childStats{Goroutines: runtime.NumGoroutine(), HeapInuse: ms.HeapInuse, StackInuse: ms.StackInuse, Heartbeats: heartbeatsSent.Load(), Announced: connectionsAnnounced()})
	})
	mux.HandleFunc("/heap", func(w http.ResponseWriter, _ *http.Request) {
		if memProfile == "" {
			return
		}
		runtime.GC()
		if f, err := os.Create(memProfile); err == nil {
			pprof.WriteHeapProfile(f)
			f.Close()
		}
	})
	mux.HandleFunc("/cpu", func(w http.ResponseWriter, r *http.Request) {
		// /cpu?seconds=N: the CPU profile of the next N seconds, for a
		// bench that profiles one window of its run.
		seconds, err := strconv.Atoi(r.URL.Query().Get("seconds"))
		if err != nil || seconds < 1 {
			http.Error(w, "seconds must be a positive whole number", http.StatusBadRequest)
			return
		}
		if err := pprof.StartCPUProfile(w); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		time.Sleep(time.Duration(seconds) * time.Second)
		pprof.StopCPUProfile()
	})
	mux.HandleFunc("/gc", func(w http.ResponseWriter, _ *http.Request) {
		runtime.GC()
		debug.FreeOSMemory()
	})
	go http.Serve(ln, mux)
	return "http://" + ln.Addr().String(), nil
}

// serveNode runs a real livemall node on a loopback port: SQLite in the
// data dir (or PostgreSQL), embedded NATS, no TURN. With args.Demo or
// args.Agents it seeds the demo mall and the agents first, and puts their
// enrollment tokens and the store's sales number into ready.
func serveNode(args childArgs, ready *childReady) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	cfg := config.Default()
	cfg.DataDir = args.DataDir
	cfg.DatabaseURL = args.DatabaseURL
	cfg.PublicURL = fmt.Sprintf("http://localhost:%d", port)
	cfg.Node = "bench"
	if args.Node != "" {
		cfg.Node = args.Node
	}
	cfg.NATSURL = args.NATSURL
	cfg.TURNAddr = ""
	// All media on one UDP port, as deployed nodes run (LIVEMALL_MEDIA_UDP_PORT).
	if cfg.MediaUDPPort, err = freeUDPPort(); err != nil {
		ln.Close()
		return "", nil, err
	}
	if args.MediaEngine != "" {
		cfg.MediaEngine = args.MediaEngine
	}
	cfg.AuthRateLimit = 1 << 30
	cfg.Limits = limits.Off() // thousands of guests from a few addresses
	cfg.ShutdownTimeout = time.Second
	if args.Heartbeat > 0 {
		cfg.Heartbeat = args.Heartbeat
	}
	if args.PresenceTTL > 0 {
		cfg.PresenceTTL = args.PresenceTTL
	}
	if args.RingTimeout > 0 {
		cfg.RingTimeout = args.RingTimeout
	}
	if args.WrapUp != nil {
		cfg.WrapUp = *args.WrapUp
	}
	a, err := app.New(context.Background(), cfg)
	if err != nil {
		ln.Close()
		return "", nil, err
	}
	if err := seedNode(a, args, ready); err != nil {
		a.Shutdown()
		ln.Close()
		return "", nil, err
	}
	connectionsAnnounced = a.Directory.ConnectionsAnnounced
	go a.Serve(ln)
	return ln.Addr().String(), func() {
		done := make(chan struct{})
		go func() { a.Shutdown(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
	}, nil
}

// seedNode seeds the demo mall and the agents a scenario asked for.
func seedNode(a *app.App, args childArgs, ready *childReady) error {
	if !args.Demo && args.Agents == 0 {
		return nil
	}
	ctx := context.Background()
	if _, err := a.SeedDemo(ctx); err != nil {
		return err
	}
	if args.Agents == 0 {
		return nil
	}
	for i := 0; i < args.Agents; i++ {
		added, err := a.Staff.AddStaffMember(ctx, agentdesk.NewStaffMember{StoreSlug: args.AgentStore,
			Name: fmt.Sprintf("Bench Agent %d", i), Email: fmt.Sprintf("bench-agent-%d@%s.example.com", i, args.AgentStore)})
		if err != nil {
			return fmt.Errorf("add agent %d: %w", i, err)
		}
		ready.AgentTokens = append(ready.AgentTokens, added.EnrollmentToken)
	}
	// A burst waits longer than the store's usual two minutes would allow
	// on a loaded machine; the fallback offer is not what is measured.
	if err := a.DB.Exec("UPDATE stores SET max_wait_seconds = 3600 WHERE slug = ?", args.AgentStore).Error; err != nil {
		return err
	}
	return a.DB.Table("numbers AS n").Joins("JOIN stores s ON s.id = n.store_id").
		Where("s.slug = ? AND n.party_type = ?", args.AgentStore, "queue").Limit(1).Pluck("n.number", &ready.SalesNumber).Error
}

// listenLoopback listens on a free loopback TCP port.
func listenLoopback() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

// freeUDPPort is a UDP port free on every address of the machine.
func freeUDPPort() (int, error) {
	c, err := net.ListenPacket("udp4", ":0")
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}
