package main

import (
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
)

// A process may hold at most 20,000 open files, so the presence bench
// holds its devices in load-generator children ("sockets" mode), each
// with at most perGenerator sockets from a source address of its own
// (ephemeral ports run out near 28,000 per source address).

// perGenerator is how many sockets one load-generator child holds.
const perGenerator = 9500

// generatorArgs configures a load-generator child (part of childArgs).
type generatorArgs struct {
	// Target is the host:port the sockets connect to.
	Target string `json:"target,omitempty"`
	// Cookies are the members' session cookies the sockets open with, in
	// turn ("lm_session=…"); none means Centrifugo clients.
	Cookies []string `json:"cookies,omitempty"`
	// Sockets is how many sockets to hold; FirstSocket numbers them.
	Sockets     int `json:"sockets,omitempty"`
	FirstSocket int `json:"firstSocket,omitempty"`
	// Source is the last byte of the 127.0.0.x address the sockets leave
	// from.
	Source int `json:"source,omitempty"`
}

// heartbeatsSent counts the heartbeats a generator child sent (its
// control endpoint reports it).
var heartbeatsSent atomic.Int64

// serveSockets opens the sockets a generator child was asked for and
// heartbeats them every args.Heartbeat (livemall devices only). It
// reports how many opened, and the first failure, in ready.
func serveSockets(args childArgs, ready *childReady) (string, func(), error) {
	src := &sources{n: 1, base: args.Source - 1}
	var (
		conns []*websocket.Conn
		err   error
	)
	if len(args.Cookies) == 0 {
		conns, err = connectCentrifugo(args.Target, args.Sockets, src)
	} else {
		n := newNode(args.Target)
		conns, err = openConns(args.Sockets, func(i int) (*websocket.Conn, error) {
			return n.openSignaling(fmt.Sprintf("bench-dev-%06d", args.FirstSocket+i), args.Cookies[(args.FirstSocket+i)%len(args.Cookies)], src)
		})
	}
	ready.Opened = len(conns)
	if err != nil {
		ready.OpenError = err.Error()
	}
	var hb *heartbeats
	if len(args.Cookies) > 0 && args.Heartbeat > 0 {
		hb = startHeartbeats(conns, args.Heartbeat)
	}
	return "", func() {
		if hb != nil {
			hb.stop()
		}
		for _, c := range conns {
			c.Close()
		}
	}, nil
}

// generator is a running load-generator child.
type generator struct{ *child }

// startGenerators holds count sockets on target over as many generator
// children as it takes, numbering their source addresses from source,
// and waits until every child has opened its share. The children are
// returned even when some sockets failed; err says the first failure.
func startGenerators(o options, target string, cookies []string, count, source int, logName string) ([]*generator, int, error) {
	n := (count + perGenerator - 1) / perGenerator
	gens := make([]*generator, n)
	errs := make([]error, n)
	done := make(chan int, n)
	for i := range n {
		go func() {
			defer func() { done <- i }()
			share := min(perGenerator, count-i*perGenerator)
			args := childArgs{Heartbeat: o.heartbeat, generatorArgs: generatorArgs{Target: target, Cookies: cookies,
				Sockets: share, FirstSocket: i * perGenerator, Source: source + i}}
			c, err := startChildLog("sockets", args, o.workDir, fmt.Sprintf("%s-%d", logName, i), false)
			if err != nil {
				errs[i] = err
				return
			}
			gens[i] = &generator{c}
			if c.OpenError != "" {
				errs[i] = fmt.Errorf("generator %d: %s", i, c.OpenError)
			}
		}()
	}
	held := 0
	for range n {
		<-done
	}
	var first error
	var kept []*generator
	for i, g := range gens {
		if g != nil {
			kept = append(kept, g)
			held += g.Opened
		}
		if first == nil && errs[i] != nil {
			first = errs[i]
		}
	}
	return kept, held, first
}

// heartbeatsOf sums the heartbeats the generators sent.
func heartbeatsOf(gens []*generator) int64 {
	var sum int64
	for _, g := range gens {
		sum += g.stats().Heartbeats
	}
	return sum
}

// stopGenerators closes the generators' sockets and ends them.
func stopGenerators(gens []*generator) {
	for _, g := range gens {
		g.stop()
	}
}

// sourceDialer dials from 127.0.0.x.
func sourceDialer(x int) *net.Dialer {
	return &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(x))}, Timeout: 10 * time.Second}
}
