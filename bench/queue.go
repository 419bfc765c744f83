package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
)

// queueStore is the demo store whose sales number the shoppers dial.
const queueStore = "north-peak-outfitters"

// runQueue measures the contact center's routing: o.agents agents of one
// store answer every ring at once and hang up after o.hold. First, in
// o.rounds rounds, as many guest shoppers as there are agents dial the
// store's sales number while every agent is free, timed from call.dial to
// call.incoming on the agent's desk (join → ring); each round is followed
// by the same number of member → member dials on the same node (the
// ceiling: a plain call's dial → ring). Then a burst of o.shoppers guests
// dials at once: assignments/s over the burst, and, for each agent that
// came free while shoppers waited, the time from being free again (the
// wrap-up's end, as the server told the desk) to its next ring.
func runQueue(o options) (*report, error) {
	r := newReport("queue")
	r.set("database", o.dialect(), "")
	r.set("agents", o.agents, "")
	r.set("shoppers", o.shoppers, "")
	r.set("rounds", o.rounds, "")
	r.set("hold_ms", float64(o.hold)/float64(time.Millisecond), "ms")
	r.set("wrap_up_ms", float64(o.wrapUp)/float64(time.Millisecond), "ms")
	if o.agents < 1 || o.shoppers < 1 || o.rounds < 1 {
		return nil, fmt.Errorf("queue needs at least one agent, shopper and round")
	}
	wrap := o.wrapUp
	args := o.nodeArgs()
	args.WrapUp, args.Agents, args.AgentStore, args.PresenceTTL, args.Heartbeat = &wrap, o.agents, queueStore, 10*time.Minute, time.Minute
	srv, err := startChild("node", args, o.workDir, o.pin)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	if len(srv.AgentTokens) != o.agents || srv.SalesNumber == "" {
		return nil, fmt.Errorf("the node made %d agents and sales number %q", len(srv.AgentTokens), srv.SalesNumber)
	}
	n := newNode(srv.Addr)
	src := &sources{n: 2}
	stopBeats := make(chan struct{})
	defer close(stopBeats)

	d := &desk{hold: o.hold, ringAt: map[string]time.Time{}, freed: make(chan time.Time, 4096)}
	for i, tok := range srv.AgentTokens {
		m, err := n.enroll(tok, fmt.Sprintf("Bench Agent %d", i))
		if err != nil {
			return nil, err
		}
		a := &deskAgent{m: m, expectFree: true}
		p, err := connectPhone(m, fmt.Sprintf("bench-desk-%02d", i), src, nil, d.handler(a))
		if err != nil {
			return nil, err
		}
		defer p.close()
		a.p = p
		d.agents = append(d.agents, a)
		go heartbeat(stopBeats, func() { p.sendMsg("heartbeat", nil) })
	}

	shoppers, err := openGuests(n, src, max(o.shoppers, o.agents), stopBeats)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, s := range shoppers {
			s.conn.Close()
		}
	}()

	callerMembers, calleeMembers, err := n.signUpTwo("caller", o.agents, "callee", o.agents)
	if err != nil {
		return nil, err
	}
	rg := &rings{at: map[string]chan time.Time{}}
	callees, err := connectRingCallees(calleeMembers, src, nil, rg)
	if err != nil {
		return nil, err
	}
	defer closePhones(callees)
	for _, p := range callees {
		go heartbeat(stopBeats, func() { p.sendMsg("heartbeat", nil) })
	}
	callers, err := connectCallers(callerMembers, src, nil)
	if err != nil {
		return nil, err
	}
	defer closeCallers(callers)
	for _, c := range callers {
		go heartbeat(stopBeats, func() { c.p.sendMsg("heartbeat", nil) })
	}
	time.Sleep(500 * time.Millisecond)

	// Phase 1: rounds against free agents, first one shopper at a time,
	// then one per agent at once; each round is followed by the same
	// number of plain calls, so both see the same machine.
	directRound := func(round, size int, direct *latencies, failed *atomic.Int64) {
		var wg sync.WaitGroup
		for i, c := range callers[:size] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				callee := callees[(i+round)%len(callees)]
				t0 := time.Now()
				c.p.sendMsg("call.dial", map[string]any{"number": callee.m.number, "video": false})
				m, ok := await(c.ch, 10*time.Second, func(m wsMessage) bool {
					return m.Type == "error" || (m.Type == "call.state" && stateOf(m) != "ended")
				})
				id := callIDOf(m)
				if ok && m.Type != "error" && stateOf(m) == "ringing" {
					select {
					case at := <-rg.slot(id):
						direct.add(at.Sub(t0))
					case <-time.After(10 * time.Second):
						failed.Add(1)
					}
				} else {
					failed.Add(1)
				}
				rg.forget(id)
				if id != "" {
					c.p.sendMsg("call.hangup", map[string]any{"callId": id})
					await(c.ch, 10*time.Second, func(x wsMessage) bool { return callIDOf(x) == id && stateOf(x) == "ended" })
				}
			}()
		}
		wg.Wait()
	}
	rung := o.agents // every agent came online: one free event each
	var directFailed atomic.Int64
	freeRounds := func(size int) (*latencies, *latencies, error) {
		var joinToRing, direct latencies
		for round := 0; round < o.rounds; round++ {
			if err := d.waitFree(rung); err != nil {
				return nil, nil, fmt.Errorf("round %d of %d: %w", round, size, err)
			}
			calls, err := dialAll(shoppers[:size], srv.SalesNumber, time.Minute)
			if err != nil {
				return nil, nil, fmt.Errorf("round %d of %d: %w", round, size, err)
			}
			rung = size
			for _, c := range calls {
				at, ok := d.firstRing(c.callID)
				if !ok {
					return nil, nil, fmt.Errorf("round %d: shopper's call %s was served without a ring", round, c.callID)
				}
				joinToRing.add(at.Sub(c.dialed))
			}
			directRound(round, size, &direct, &directFailed)
		}
		return &joinToRing, &direct, nil
	}
	alone, directAlone, err := freeRounds(1)
	if err != nil {
		return nil, err
	}
	joinToRing, direct, err := freeRounds(o.agents)
	if err != nil {
		return nil, err
	}
	r.setLatency("join_to_ring", joinToRing)
	r.setLatency("direct_dial_to_ring", direct)
	qp99, dp99 := joinToRing.pct(99), direct.pct(99)
	r.set("ratio_join_to_ring_p99_to_direct", ratio(qp99, dp99), "×")
	r.setLatency("join_to_ring_alone", alone)
	r.setLatency("direct_dial_to_ring_alone", directAlone)
	r.set("ratio_join_to_ring_alone_p99_to_direct", ratio(alone.pct(99), directAlone.pct(99)), "×")
	r.set("direct_failed_dials", directFailed.Load(), "")
	r.target("queue", qp99 < 5 && o.dialect() == "postgres", "join → agent ring p99 %.2f ms with one shopper per free agent at once, %.2f ms alone, on %s (target < 5 ms on PostgreSQL)",
		qp99, alone.pct(99), o.dialect())

	// Phase 2: the burst.
	if err := d.waitFree(rung); err != nil {
		return nil, fmt.Errorf("before the burst: %w", err)
	}
	d.lapsed.Store(0)
	cpu0, start := srv.cpu(), time.Now()
	d.burstStart.Store(start.UnixNano())
	calls, err := dialAll(shoppers[:o.shoppers], srv.SalesNumber, 4*time.Minute)
	if err != nil {
		return nil, fmt.Errorf("burst: %w", err)
	}
	elapsed, cpu := time.Since(start), srv.cpu()-cpu0
	d.burstStart.Store(0)
	var inQueue latencies
	var lastRing time.Time
	var fallbacks int64
	for _, c := range calls {
		at, ok := d.firstRing(c.callID)
		if !ok {
			return nil, fmt.Errorf("burst: shopper's call %s was served without a ring", c.callID)
		}
		inQueue.add(at.Sub(c.dialed))
		if at.After(lastRing) {
			lastRing = at
		}
		fallbacks += c.fallbacks
	}
	served := int64(len(calls))
	window := lastRing.Sub(start)
	rate := float64(served) / window.Seconds()
	bound := float64(o.agents) / (o.hold + o.wrapUp).Seconds()
	r.set("shoppers_served", served, "")
	r.set("burst_seconds", elapsed.Seconds(), "s")
	r.set("assignments_per_s", rate, "/s")
	r.set("assignments_per_s_hold_bound", bound, "/s")
	r.set("ratio_assignments_to_hold_bound", ratio(rate, bound), "×")
	waits, idle := d.waitsToRing(calls)
	r.setLatency("wait_to_ring", waits)
	r.set("free_spells_nobody_waiting", idle, "")
	r.setLatency("burst_dial_to_ring", &inQueue)
	r.set("offers_lapsed", d.lapsed.Load(), "")
	r.set("fallbacks_offered", fallbacks, "")
	r.set("server_cpu_us_per_queued_call", micros(cpu, served), "µs")
	return r, nil
}

// heartbeat calls beat every 20 s until stop closes, so sockets stay
// online and inside the server's read deadline however long a run takes.
func heartbeat(stop chan struct{}, beat func()) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(20 * time.Second):
			beat()
		}
	}
}

// desk is the agents' side: every agent answers each ring at once and
// hangs up hold after the call is active.
type desk struct {
	hold       time.Duration
	agents     []*deskAgent
	mu         sync.Mutex
	ringAt     map[string]time.Time // first ring of each call, on any desk
	burstStart atomic.Int64         // unix nanos; 0 outside the burst
	waits      []freeSpell          // agents free again during the burst, and their next ring
	lapsed     atomic.Int64
	freed      chan time.Time // when an agent is free again: once per ring after its hang-up, and once as it comes online
}

// deskAgent is one agent's desk socket and when the server last told it
// that the agent is free.
type deskAgent struct {
	m          *member
	p          *phone
	mu         sync.Mutex
	expectFree bool      // the agent hung up (or just came online): the next free state counts
	freeAt     time.Time // free since then, until the next ring
	putMu      sync.Mutex
}

// handler is the agent's socket reader.
func (d *desk) handler(a *deskAgent) func(*phone, wsMessage, time.Time) {
	return func(p *phone, msg wsMessage, at time.Time) {
		switch msg.Type {
		case "call.incoming":
			id := callIDOf(msg)
			d.mu.Lock()
			if _, ok := d.ringAt[id]; !ok {
				d.ringAt[id] = at
			}
			d.mu.Unlock()
			a.mu.Lock()
			if start := d.burstStart.Load(); start != 0 && a.freeAt.UnixNano() > start {
				d.mu.Lock()
				d.waits = append(d.waits, freeSpell{free: a.freeAt, ring: at})
				d.mu.Unlock()
			}
			a.freeAt, a.expectFree = time.Time{}, false
			a.mu.Unlock()
			p.sendMsg("call.answer", map[string]any{"callId": id})
		case "call.state":
			if stateOf(msg) != "active" {
				return
			}
			id := callIDOf(msg)
			time.AfterFunc(d.hold, func() {
				a.mu.Lock()
				a.expectFree = true
				a.mu.Unlock()
				p.sendMsg("call.hangup", map[string]any{"callId": id})
			})
		case "agent.state":
			var s struct {
				State     string     `json:"state"`
				Since     time.Time  `json:"since"`
				WrapUntil *time.Time `json:"wrapUntil"`
			}
			if json.Unmarshal(msg.Data, &s) != nil {
				return
			}
			free := s.Since
			switch s.State {
			case "available":
			case "wrap_up":
				if s.WrapUntil == nil {
					return
				}
				free = *s.WrapUntil
			case "away":
				// An answer that came too late on a loaded machine: like a
				// person at the desk, the agent makes themselves available.
				d.lapsed.Add(1)
				a.mu.Lock()
				a.expectFree = true
				a.mu.Unlock()
				go func() {
					a.putMu.Lock()
					defer a.putMu.Unlock()
					a.m.do("PUT", "/api/v1/desk/agent/state", map[string]any{"state": "available"})
				}()
				return
			default:
				return
			}
			a.mu.Lock()
			if a.expectFree {
				a.expectFree, a.freeAt = false, free
				select {
				case d.freed <- free:
				default:
				}
			}
			a.mu.Unlock()
		}
	}
}

// waitFree waits until agents were told count times that they are free
// again (each ring is followed by one such moment), then until the latest
// of those moments has passed: a wrap-up may end in the future.
func (d *desk) waitFree(count int) error {
	var latest time.Time
	for i := 0; i < count; i++ {
		select {
		case t := <-d.freed:
			if t.After(latest) {
				latest = t
			}
		case <-time.After(30 * time.Second):
			return fmt.Errorf("%d of %d agents were not free again within 30 s", count-i, count)
		}
	}
	time.Sleep(time.Until(latest) + time.Millisecond)
	return nil
}

// freeSpell is an agent free again (after hanging up and wrapping up)
// until its next ring.
type freeSpell struct{ free, ring time.Time }

// waitsToRing times each free spell of the burst that began while a
// shopper waited: one whose queued state had arrived and whose call had
// not rung yet.
func (d *desk) waitsToRing(calls []queuedCall) (*latencies, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out latencies
	idle := 0
	for _, w := range d.waits {
		waiting := false
		for _, c := range calls {
			if ring, ok := d.ringAt[c.callID]; ok && !c.queued.After(w.free) && ring.After(w.free) {
				waiting = true
				break
			}
		}
		if waiting {
			out.add(w.ring.Sub(w.free))
		} else {
			idle++
		}
	}
	return &out, idle
}

// firstRing returns when the call first rang on a desk.
func (d *desk) firstRing(callID string) (time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	at, ok := d.ringAt[callID]
	return at, ok
}

// shopper is a guest's signaling socket.
type shopper struct {
	conn  *websocket.Conn
	wmu   sync.Mutex
	ch    chan timedMessage
	ended map[string]bool // calls of this shopper that are over; late messages about them are ignored
}

// timedMessage is a message and when it arrived.
type timedMessage struct {
	m  wsMessage
	at time.Time
}

func (s *shopper) send(typ string, data any) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.conn.WriteMessage(websocket.TextMessage, encodeMessage(typ, data))
}

func (s *shopper) read() {
	for {
		_, raw, err := s.conn.ReadMessage()
		if err != nil {
			close(s.ch)
			return
		}
		at := time.Now()
		var m wsMessage
		if json.Unmarshal(raw, &m) != nil || strings.HasPrefix(m.Type, "rtc.") {
			continue
		}
		s.ch <- timedMessage{m, at}
	}
}

// queuedCall is one shopper's served call.
type queuedCall struct {
	callID    string
	dialed    time.Time
	queued    time.Time // the first call.state queued arrived
	fallbacks int64
}

// call dials the number and follows the call until an agent answered and
// the call ended; a fallback offer is answered "wait".
func (s *shopper) call(number string, timeout time.Duration) (queuedCall, error) {
	deadline := time.After(timeout)
	for drained := false; !drained; {
		select {
		case <-s.ch:
		default:
			drained = true
		}
	}
	c := queuedCall{dialed: time.Now()}
	s.send("call.dial", map[string]any{"number": number, "video": false})
	active := false
	for {
		var tm timedMessage
		var ok bool
		select {
		case tm, ok = <-s.ch:
			if !ok {
				return c, errors.New("the shopper's socket closed")
			}
		case <-deadline:
			return c, fmt.Errorf("call %q not served and ended within %v (active: %v)", c.callID, timeout, active)
		}
		m := tm.m
		switch m.Type {
		case "error":
			return c, fmt.Errorf("dial: %s", m.Data)
		case "queue.fallback":
			c.fallbacks++
			s.send("queue.choose", map[string]any{"callId": callIDOf(m), "choice": "wait"})
		case "call.state":
			id := callIDOf(m)
			if s.ended[id] {
				continue
			}
			if c.callID == "" {
				c.callID = id
			}
			if id != c.callID {
				continue
			}
			switch stateOf(m) {
			case "queued":
				if c.queued.IsZero() {
					c.queued = tm.at
				}
			case "active":
				active = true
			case "ended":
				s.ended[id] = true
				if !active {
					return c, fmt.Errorf("call %s ended before an agent answered: %s", id, m.Data)
				}
				return c, nil
			}
		}
	}
}

// dialAll has every shopper dial at once and returns their calls once all
// were served and ended.
func dialAll(shoppers []*shopper, number string, timeout time.Duration) ([]queuedCall, error) {
	calls := make([]queuedCall, len(shoppers))
	errs := make([]error, len(shoppers))
	var wg sync.WaitGroup
	for i, s := range shoppers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			calls[i], errs[i] = s.call(number, timeout)
		}()
	}
	wg.Wait()
	failed := slices.DeleteFunc(slices.Clone(errs), func(e error) bool { return e == nil })
	if len(failed) > 0 {
		return nil, fmt.Errorf("%d of %d shoppers not served; first: %w", len(failed), len(shoppers), failed[0])
	}
	return calls, nil
}

// openGuests gives count guests their cookie and open socket, eight at a
// time.
func openGuests(n *node, src *sources, count int, stopBeats chan struct{}) ([]*shopper, error) {
	out := make([]*shopper, count)
	err := inParallel(8, count, func(i int) (err error) {
		if out[i], err = n.openGuest(fmt.Sprintf("bench-shopper-%04d", i), src); err != nil {
			return fmt.Errorf("guest %d: %w", i, err)
		}
		return nil
	})
	if err != nil {
		for _, s := range out {
			if s != nil {
				s.conn.Close()
			}
		}
		return nil, err
	}
	for _, s := range out {
		go heartbeat(stopBeats, func() { s.send("heartbeat", nil) })
	}
	return out, nil
}

// openGuest takes a mall guest cookie (POST /api/v1/guest) and opens the
// guest's signaling socket with it.
func (n *node) openGuest(device string, src *sources) (*shopper, error) {
	m := &member{n: n}
	if err := m.must(200, "GET", "/api/v1/csrf", nil, nil); err != nil {
		return nil, err
	}
	req, _ := http.NewRequest("POST", n.origin+"/api/v1/guest", nil)
	req.Header.Set("Origin", n.origin)
	req.Header.Set("Cookie", "lm_csrf="+m.csrf)
	req.Header.Set("X-CSRF-Token", m.csrf)
	res, err := n.http.Do(req)
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	guest := ""
	for _, c := range res.Cookies() {
		if c.Name == "lm_guest" {
			guest = c.Value
		}
	}
	if res.StatusCode != 200 || guest == "" {
		return nil, fmt.Errorf("POST /api/v1/guest: %d %s, no guest cookie", res.StatusCode, body)
	}
	conn, err := n.openSignaling(device, "lm_guest="+guest, src)
	if err != nil {
		return nil, fmt.Errorf("guest %w", err)
	}
	s := &shopper{conn: conn, ch: make(chan timedMessage, 256), ended: map[string]bool{}}
	go s.read()
	return s, nil
}

// enroll redeems an agent's enrollment token with a virtual passkey, as
// the desk's first sign-in does, and reads back the account id.
func (n *node) enroll(token, name string) (*member, error) {
	m := &member{n: n, name: name}
	if err := m.registerPasskey("/api/v1/auth/enrollments/"+token, map[string]any{}, 200); err != nil {
		return nil, err
	}
	id, err := m.signedInAs()
	if err != nil {
		return nil, err
	}
	m.accountID = id
	return m, nil
}
