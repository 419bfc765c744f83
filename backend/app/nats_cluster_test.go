package app_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
	"github.com/livemall/livemall/backend/database/dbtest"
	"github.com/livemall/livemall/directory"
)

// embeddedCluster starts three nodes on one database whose embedded NATS
// servers are routed to each other on free loopback ports, with three
// replicas of every bucket and stream. The nodes start together: each
// waits for the cluster to elect its JetStream leader, which takes two of
// them.
// stop closes one of them early, as a node that goes away; the others
// close when the test ends.
func embeddedCluster(t *testing.T) (apps []*app.App, stop func(*app.App)) {
	t.Helper()
	db := dbtest.Config(t)
	if db.DataDir == "" {
		db.DataDir = t.TempDir()
	}
	names := []string{"node-a", "node-b", "node-c"}
	var routes, addrs []string
	for range names {
		port := apptest.FreePort(t, "tcp4")
		addrs = append(addrs, fmt.Sprintf("127.0.0.1:%d", port))
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", port))
	}
	cfgs := make([]config.Config, len(names))
	for i, name := range names {
		cfg := config.Default()
		cfg.DatabaseURL, cfg.DataDir = db.URL, db.DataDir
		cfg.PublicURL, cfg.Node, cfg.TURNAddr, cfg.AuthRateLimit = apptest.Origin, name, "", 1000
		cfg.NATSRoutes, cfg.NATSClusterAddr, cfg.NATSReplicas = routes, addrs[i], 3
		cfg.Heartbeat, cfg.PresenceTTL = time.Second, 5*time.Second
		if err := cfg.Validate(); err != nil {
			t.Fatalf("config of %s: %v", name, err)
		}
		cfgs[i] = cfg
	}
	// Migrate once, before three nodes race to.
	svc, err := app.OpenServices(context.Background(), cfgs[0])
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	svc.DB.Close()
	apps = make([]*app.App, len(names))
	stopped := map[*app.App]bool{}
	stop = func(a *app.App) {
		if !stopped[a] {
			stopped[a] = true
			if err := a.Shutdown(); err != nil {
				t.Errorf("close %s: %v", a.Config.Node, err)
			}
		}
	}
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	began := time.Now()
	for i := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			apps[i], errs[i] = app.New(context.Background(), cfgs[i])
		}()
	}
	wg.Wait()
	t.Logf("three nodes up in %v", time.Since(began))
	for i, a := range apps {
		if a != nil {
			t.Cleanup(func() { stop(a) })
		}
		if errs[i] != nil {
			t.Fatalf("start %s: %v", names[i], errs[i])
		}
	}
	return apps, stop
}

// TestEmbeddedNATSFormsAClusterOfThree: three nodes whose embedded NATS
// servers form one JetStream cluster (--nats-routes, --nats-replicas 3)
// share presence: a device online through node A is seen by a watcher on
// node C. With node B closed, presence keeps working on A and C: the
// device stays online, and a device connecting to A afterwards is seen on
// C.
func TestEmbeddedNATSFormsAClusterOfThree(t *testing.T) {
	apps, stop := embeddedCluster(t)
	nodeA, nodeB, nodeC := apps[0], apps[1], apps[2]
	baseA, baseC := apptest.ServeOnLoopback(t, nodeA), apptest.ServeOnLoopback(t, nodeC)
	for _, a := range apps {
		if a.Bus.Replicas != 3 {
			t.Fatalf("%s asks for %d replicas, want 3", a.Config.Node, a.Bus.Replicas)
		}
	}
	checkStreamsOnDisk(t, nodeA)
	info, err := nodeA.Bus.JS.Stream(t.Context(), "KV_presence")
	if err != nil || info.CachedInfo().Config.Replicas != 3 || info.CachedInfo().Cluster == nil || len(info.CachedInfo().Cluster.Replicas) != 2 {
		t.Fatalf("presence stream: %+v %v, want 3 replicas on disk", info, err)
	}

	watcher := apptest.NewClient(t, nodeC)
	watcher.SignUp("Watcher", "watcher@example.com", "1980-01-01")
	ws := watcher.OpenSocket(baseC)
	ws.Send("directory.watch", "")

	// Deadlines are a few heartbeats, plus a leader election after B goes.
	const within = 20 * time.Second
	first := connectDevice(t, nodeA, baseA, "first-on-a", time.Second)
	apptest.WaitFor(t, within, "node C to see the device online through node A", func() bool {
		targets, err := nodeC.Directory.RingTargetsOf(t.Context(), first.account)
		return stateOf(t, nodeC, first.account) == directory.StateAvailable && err == nil && len(targets) == 1 && targets[0].Node == "node-a"
	})
	want := `{"accountId":"` + first.account + `","state":"available"}`
	for msg := ws.Next(); msg.Type != "presence" || string(msg.Data) != want; msg = ws.Next() {
	}

	t.Logf("device seen on C; closing B")
	stop(nodeB)
	t.Logf("B closed")
	second := connectDevice(t, nodeA, baseA, "second-on-a", time.Second)
	apptest.WaitFor(t, within, "node C to see a device connecting to A after B is gone", func() bool {
		return stateOf(t, nodeC, second.account) == directory.StateAvailable
	})
	// Past a whole TTL, heartbeats through A keep both online on C.
	until := time.Now().Add(nodeA.Config.PresenceTTL + time.Second)
	for time.Now().Before(until) {
		for _, d := range []*device{first, second} {
			if st := stateOf(t, nodeC, d.account); st != directory.StateAvailable {
				t.Fatalf("%s is %q on node C with node B gone, want available", d.account, st)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, a := range []*app.App{nodeA, nodeC} {
		if err := a.Bus.Ping(t.Context()); err != nil {
			t.Fatalf("%s not ready with B gone: %v", a.Config.Node, err)
		}
	}
}
