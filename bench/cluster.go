package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
	_ "github.com/jackc/pgx/v5/stdlib" // the scenario reads the cluster's database
)

// The cluster scenario (go run ./bench cluster, as root) brings up
// scripts/cluster.sh's three nodes and measures, on one machine:
//   - shoppers served per second with every shopper and agent on node-1
//     alone (node-2 and node-3 stopped), then with them spread over the
//     three nodes;
//   - the time from SIGKILL of a node to the last of its queued shoppers
//     being offered to an agent again, after they reconnected through the
//     balancer and dialled again.
func init() { scenarios["cluster"] = runCluster }

// clusterStore is the demo store whose line the scenario fills.
const clusterStore = "north-peak-outfitters"

// benchCluster is a cluster brought up by scripts/cluster.sh.
type benchCluster struct {
	repo, bin, subnet string
	env               []string
	nodes             [3]*node
	balancer          *node
}

func (c *benchCluster) script(args ...string) error {
	cmd := exec.Command("bash", append([]string{filepath.Join(c.repo, "scripts/cluster.sh")}, args...)...)
	cmd.Env, cmd.Dir = c.env, c.repo
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("cluster.sh %s: %v\n%s", strings.Join(args, " "), err, lastLines(string(out), 15))
	}
	return nil
}

func runCluster(o options) (*report, error) {
	if os.Getuid() != 0 {
		return nil, errors.New("the cluster runs in network namespaces: run as root")
	}
	c := &benchCluster{repo: o.repoDir, bin: filepath.Join(o.workDir, "livemall"), subnet: "10.93.50"}
	build := exec.Command("go", "build", "-o", c.bin, "./backend/cmd/livemall")
	build.Dir = c.repo
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	c.env = append(os.Environ(), "CLUSTER_ID=b", "CLUSTER_NET="+c.subnet, "CLUSTER_DIR="+filepath.Join(o.workDir, "cluster"),
		fmt.Sprintf("PORT=%d", port), "PUBLIC_URL=http://localhost:8080", "LIVEMALL_BIN="+c.bin, "DATABASE_URL="+o.databaseURL,
		fmt.Sprintf("NODE_FLAGS=--presence-ttl 6s --heartbeat-interval 2s --wrap-up %s --agent-ring-timeout 20s", o.wrapUp))
	if err := c.script("up"); err != nil {
		return nil, err
	}
	defer c.script("down")
	for i := range c.nodes {
		c.nodes[i] = newNode(fmt.Sprintf("%s.1%d:8080", c.subnet, i+1))
	}
	c.balancer = newNode(fmt.Sprintf("127.0.0.1:%d", port))
	c.balancer.origin = "http://localhost:8080"
	sales, err := c.salesNumber()
	if err != nil {
		return nil, err
	}
	if err := c.sql("UPDATE stores SET max_wait_seconds = 3600"); err != nil {
		return nil, err
	}
	agents, err := c.addAgents(o.agents)
	if err != nil {
		return nil, err
	}

	r := newReport("cluster")
	r.set("shoppers", o.shoppers, "")
	r.set("agents", o.agents, "")
	r.set("hold", o.hold.String(), "")
	r.set("wrap-up", o.wrapUp.String(), "")

	// One node: the others stopped.
	if err := c.script("kill", "node-2"); err != nil {
		return nil, err
	}
	if err := c.script("kill", "node-3"); err != nil {
		return nil, err
	}
	one, err := c.serve(agents, []int{0}, o.shoppers, sales, o.hold, 0)
	if err != nil {
		return nil, fmt.Errorf("one node: %w", err)
	}
	r.set("served_per_s_1_node", one, "shoppers/s")
	if err := c.script("start", "node-2"); err != nil {
		return nil, err
	}
	if err := c.script("start", "node-3"); err != nil {
		return nil, err
	}
	three, err := c.serve(agents, []int{0, 1, 2}, o.shoppers, sales, o.hold, 1)
	if err != nil {
		return nil, fmt.Errorf("three nodes: %w", err)
	}
	r.set("served_per_s_3_nodes", three, "shoppers/s")
	rec, err := c.recovery(agents, sales)
	if err != nil {
		return nil, fmt.Errorf("node loss: %w", err)
	}
	r.set("sigkill_to_last_displaced_offered", float64(rec.Milliseconds()), "ms")
	r.note("three nodes, three NATS servers, PostgreSQL and HAProxy share this machine's cores: more nodes add routing work, not CPUs")
	return r, nil
}

// db opens the cluster's database.
func (c *benchCluster) db() (*sql.DB, error) {
	url, err := os.ReadFile(filepath.Join(c.stateDir(), "database-url"))
	if err != nil {
		return nil, err
	}
	return sql.Open("pgx", strings.TrimSpace(string(url)))
}

// sql runs one statement on the cluster's database.
func (c *benchCluster) sql(stmt string) error {
	db, err := c.db()
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(stmt)
	return err
}

// stateDir is the cluster's CLUSTER_DIR.
func (c *benchCluster) stateDir() string {
	for _, e := range c.env {
		if d, ok := strings.CutPrefix(e, "CLUSTER_DIR="); ok {
			return d
		}
	}
	return ""
}

// entryState describes a queue entry for a failure message.
func (c *benchCluster) entryState(id string) string {
	db, err := c.db()
	if err != nil {
		return err.Error()
	}
	defer db.Close()
	var state, node, conn string
	db.QueryRow("SELECT state, node, conn_id FROM queue_entries WHERE id = $1", id).Scan(&state, &node, &conn)
	return fmt.Sprintf("state %s node %s conn %q", state, node, conn)
}

// salesNumber is the store's sales number.
func (c *benchCluster) salesNumber() (string, error) {
	db, err := c.db()
	if err != nil {
		return "", err
	}
	defer db.Close()
	var n string
	err = db.QueryRow("SELECT n.number FROM numbers n JOIN stores s ON s.id = n.store_id WHERE s.slug = $1 AND n.party_type = 'queue'", clusterStore).Scan(&n)
	return n, err
}

// addAgents adds and enrolls count agents of the store.
func (c *benchCluster) addAgents(count int) ([]*member, error) {
	url, _ := os.ReadFile(filepath.Join(c.stateDir(), "database-url"))
	out := make([]*member, count)
	for i := range out {
		name := fmt.Sprintf("Bench Agent %d", i+1)
		add := exec.Command(c.bin, "agent", "add", "--store", clusterStore, "--email", fmt.Sprintf("bench.agent.%d@%s.test", i+1, clusterStore),
			"--name", name, "--database-url", strings.TrimSpace(string(url)), "--data", filepath.Join(c.stateDir(), "cli"), "--public-url", "http://localhost:8080")
		raw, err := add.CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("agent add: %v: %s", err, raw)
		}
		_, tok, ok := strings.Cut(string(raw), "?enroll=")
		if !ok {
			return nil, fmt.Errorf("no enrollment link in %s", raw)
		}
		tok = strings.TrimSpace(tok)
		if out[i], err = c.nodes[0].enroll(tok, name); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sock is a signaling socket of the scenario with its reader.
type sock struct {
	conn *websocket.Conn
	mu   sync.Mutex
	done chan struct{}
}

func (s *sock) send(typ string, data any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	s.conn.WriteMessage(websocket.TextMessage, encodeMessage(typ, data))
}

// openSock opens n's signaling socket with the cookie; xff names the
// client address to a node that trusts this host as its proxy (the guests'
// abuse limits count per address). Every message goes to on.
func openSock(n *node, cookie, xff string, on func(s *sock, m wsMessage)) (*sock, error) {
	d := websocket.Dialer{NetDial: func(_, _ string) (net.Conn, error) { return net.DialTimeout("tcp", n.addr, 5*time.Second) }, HandshakeTimeout: 10 * time.Second}
	h := http.Header{}
	h.Set("Origin", n.origin)
	h.Set("Cookie", cookie)
	if xff != "" {
		h.Set("X-Forwarded-For", xff)
	}
	conn, _, err := d.Dial("ws://localhost:8080/api/v1/ws", h)
	if err != nil {
		return nil, err
	}
	conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	var hello wsMessage
	if err := conn.ReadJSON(&hello); err != nil || hello.Type != "hello" {
		conn.Close()
		return nil, fmt.Errorf("no hello (%v)", err)
	}
	conn.SetReadDeadline(time.Time{})
	s := &sock{conn: conn, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			var m wsMessage
			if err := conn.ReadJSON(&m); err != nil {
				return
			}
			on(s, m)
		}
	}()
	go func() {
		for {
			select {
			case <-s.done:
				return
			case <-time.After(2 * time.Second):
				s.send("heartbeat", nil)
			}
		}
	}()
	return s, nil
}

// guestCookie takes a mall guest cookie from n as the client at xff.
func guestCookie(n *node, xff string) (string, error) {
	m := &member{n: n}
	if err := m.must(200, "GET", "/api/v1/csrf", nil, nil); err != nil {
		return "", err
	}
	req, _ := http.NewRequest("POST", n.origin+"/api/v1/guest", nil)
	req.Header.Set("Origin", n.origin)
	req.Header.Set("Cookie", "lm_csrf="+m.csrf)
	req.Header.Set("X-CSRF-Token", m.csrf)
	req.Header.Set("X-Forwarded-For", xff)
	res, err := n.http.Do(req)
	if err != nil {
		return "", err
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, ck := range res.Cookies() {
		if ck.Name == "lm_guest" {
			return "lm_guest=" + ck.Value, nil
		}
	}
	return "", fmt.Errorf("POST /api/v1/guest: %d %s", res.StatusCode, body)
}

// callData is the part of call.state and call.incoming the scenario reads.
type callData struct {
	CallID  string `json:"callId"`
	State   string `json:"state"`
	EntryID string `json:"entryId"`
	Queue   struct {
		EntryID string `json:"entryId"`
	} `json:"queue"`
}

// desks connects the agents to the nodes given (round robin); each
// answers every ring (when take says so), hangs up after hold, and
// reports offers to onOffer.
func (c *benchCluster) desks(agents []*member, on []int, hold time.Duration, take *atomic.Bool, onOffer func(entry string)) ([]*sock, error) {
	var out []*sock
	for i, a := range agents {
		a.n = c.nodes[on[i%len(on)]]
		s, err := openSock(a.n, "lm_session="+a.session, "", func(s *sock, m wsMessage) {
			var d callData
			json.Unmarshal(m.Data, &d)
			switch {
			case m.Type == "call.incoming":
				if onOffer != nil {
					onOffer(d.Queue.EntryID)
				}
				if take.Load() {
					s.send("call.answer", map[string]any{"callId": d.CallID})
				}
			case m.Type == "call.state" && d.State == "active":
				time.AfterFunc(hold, func() { s.send("call.hangup", map[string]any{"callId": d.CallID}) })
			case m.Type == "agent.state" && d.State == "away" && take.Load():
				go a.do("PUT", "/api/v1/desk/agent/state", map[string]any{"state": "available"})
			}
		})
		if err != nil {
			return nil, fmt.Errorf("agent %d desk: %w", i+1, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// serve connects the agents and count fresh guests to the nodes on, has
// every guest dial at once and returns shoppers served per second (first
// dial to last answer).
func (c *benchCluster) serve(agents []*member, on []int, count int, sales string, hold time.Duration, round int) (float64, error) {
	var take atomic.Bool
	take.Store(true)
	desks, err := c.desks(agents, on, hold, &take, nil)
	if err != nil {
		return 0, err
	}
	defer func() {
		for _, d := range desks {
			d.conn.Close()
		}
	}()
	for _, a := range agents {
		if err := a.must(200, "PUT", "/api/v1/desk/agent/state", map[string]any{"state": "available"}, nil); err != nil {
			return 0, err
		}
	}
	var served atomic.Int64
	var last atomic.Int64
	all := make(chan struct{})
	guests := make([]*sock, count)
	err = inParallel(8, count, func(i int) error {
		n := c.nodes[on[i%len(on)]]
		xff := fmt.Sprintf("10.94.%d.%d", round*40+i/250, 1+i%250)
		cookie, err := guestCookie(n, xff)
		if err != nil {
			return err
		}
		var once sync.Once
		guests[i], err = openSock(n, cookie, xff, func(s *sock, m wsMessage) {
			var d callData
			json.Unmarshal(m.Data, &d)
			if m.Type == "call.state" && d.State == "active" {
				once.Do(func() {
					last.Store(time.Now().UnixNano())
					if served.Add(1) == int64(count) {
						close(all)
					}
				})
			}
		})
		return err
	})
	defer func() {
		for _, g := range guests {
			if g != nil {
				g.conn.Close()
			}
		}
	}()
	if err != nil {
		return 0, err
	}
	start := time.Now()
	for _, g := range guests {
		g.send("call.dial", map[string]any{"number": sales, "video": false})
	}
	select {
	case <-all:
	case <-time.After(time.Duration(count) * time.Second):
		return 0, fmt.Errorf("%d of %d served", served.Load(), count)
	}
	return float64(count) / time.Unix(0, last.Load()).Sub(start).Seconds(), nil
}

// recovery queues five guests on node-3 first and ten on the other two
// while the agents (on node-1 and node-2) are away, kills node-3 and at
// once makes the agents available; the five reconnect through the
// balancer and dial again. It returns the time from SIGKILL to the last of
// the five being offered to an agent.
func (c *benchCluster) recovery(agents []*member, sales string) (time.Duration, error) {
	var take atomic.Bool
	var mu sync.Mutex
	offered := map[string]time.Time{}
	desks, err := c.desks(agents, []int{0, 1}, 50*time.Millisecond, &take, func(entry string) {
		mu.Lock()
		if _, ok := offered[entry]; !ok {
			offered[entry] = time.Now()
		}
		mu.Unlock()
	})
	if err != nil {
		return 0, err
	}
	defer func() {
		for _, d := range desks {
			d.conn.Close()
		}
	}()
	for _, a := range agents {
		if err := a.must(200, "PUT", "/api/v1/desk/agent/state", map[string]any{"state": "away"}, nil); err != nil {
			return 0, err
		}
	}
	type guest struct {
		cookie, xff string
		s           *sock
		entry       atomic.Value
	}
	var guests []*guest
	for i := range 15 {
		n := c.nodes[2]
		if i >= 5 {
			n = c.nodes[i%2]
		}
		g := &guest{xff: fmt.Sprintf("10.95.0.%d", i+1)}
		if g.cookie, err = guestCookie(n, g.xff); err != nil {
			return 0, err
		}
		on := func(s *sock, m wsMessage) {
			var d callData
			json.Unmarshal(m.Data, &d)
			if m.Type == "call.state" && d.State == "queued" && d.EntryID != "" {
				g.entry.Store(d.EntryID)
			}
		}
		if g.s, err = openSock(n, g.cookie, g.xff, on); err != nil {
			return 0, err
		}
		defer g.s.conn.Close()
		g.s.send("call.dial", map[string]any{"number": sales, "video": false})
		for deadline := time.Now().Add(20 * time.Second); g.entry.Load() == nil; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				return 0, fmt.Errorf("guest %d not queued", i)
			}
		}
		guests = append(guests, g)
	}
	killed := time.Now()
	if err := c.script("kill", "node-3"); err != nil {
		return 0, err
	}
	take.Store(true)
	for _, a := range agents {
		go a.do("PUT", "/api/v1/desk/agent/state", map[string]any{"state": "available"})
	}
	for _, g := range guests[:5] {
		<-g.s.done
		var s *sock
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			if s, err = openSock(c.balancer, g.cookie, "", func(*sock, wsMessage) {}); err == nil {
				break
			}
			if time.Now().After(deadline) {
				return 0, fmt.Errorf("no reconnect through the balancer: %w", err)
			}
		}
		defer s.conn.Close()
		s.send("call.dial", map[string]any{"number": sales, "video": false})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		var latest time.Time
		all := true
		mu.Lock()
		for _, g := range guests[:5] {
			at, ok := offered[g.entry.Load().(string)]
			if !ok || at.Before(killed) {
				all = false
				break
			}
			if at.After(latest) {
				latest = at
			}
		}
		mu.Unlock()
		if all {
			return latest.Sub(killed), nil
		}
		select {
		case <-ctx.Done():
			var seen []string
			for _, g := range guests[:5] {
				e := g.entry.Load().(string)
				mu.Lock()
				at, ok := offered[e]
				mu.Unlock()
				seen = append(seen, fmt.Sprintf("%s %s (offered: %v %v)", e, c.entryState(e), ok, at.Sub(killed)))
			}
			return 0, fmt.Errorf("the displaced shoppers were not all offered again within 60 s: %s", strings.Join(seen, "; "))
		case <-time.After(20 * time.Millisecond):
		}
	}
}
