package blob

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// storeKind is one implementation of Store under test.
type storeKind struct {
	name string
	open func(t *testing.T) Store
}

// storeKinds lists every Store: each contract test runs on all of them.
var storeKinds = []storeKind{
	{"local", func(t *testing.T) Store { return newTestLocal(t) }},
	{"objects", func(t *testing.T) Store { return newTestObjects(t) }},
}

// eachStore runs test once per Store implementation, as a subtest named
// after it.
func eachStore(t *testing.T, test func(t *testing.T, s Store)) {
	for _, k := range storeKinds {
		t.Run(k.name, func(t *testing.T) { test(t, k.open(t)) })
	}
}

// startJetStream runs an in-process NATS server with JetStream on disk in a
// temporary folder, as a node embeds it, and returns a JetStream context on
// it.
func startJetStream(t testing.TB) jetstream.JetStream {
	t.Helper()
	ns, err := server.NewServer(&server.Options{JetStream: true, StoreDir: t.TempDir(), DontListen: true, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS did not start")
	}
	nc, err := nats.Connect("", nats.InProcessServer(ns))
	if err != nil {
		ns.Shutdown()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		nc.Close()
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func newTestObjects(t testing.TB) *Objects {
	t.Helper()
	o, err := NewObjects(context.Background(), startJetStream(t), ObjectsConfig{})
	if err != nil {
		t.Fatalf("NewObjects: %v", err)
	}
	return o
}

// leftovers names what unfinished Puts left behind in s: files in a
// Local's temp folder, or chunks of an Objects bucket that no blob's meta
// names.
func leftovers(t *testing.T, s Store) []string {
	t.Helper()
	switch s := s.(type) {
	case *Local:
		return tmpEntries(t, s)
	case *Objects:
		return strayChunks(t, s)
	}
	t.Fatalf("no leftovers check for %T", s)
	return nil
}

// strayChunks lists the chunk subjects holding messages that no object in
// the bucket (deleted ones included) names.
func strayChunks(t *testing.T, o *Objects) []string {
	t.Helper()
	ctx := t.Context()
	obs, str, err := o.open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]bool{}
	all, err := obs.List(ctx, jetstream.ListObjectsShowDeleted())
	if err != nil && err != jetstream.ErrNoObjectsFound {
		t.Fatalf("list objects: %v", err)
	}
	for _, oi := range all {
		if !oi.Deleted {
			named["$O."+o.Bucket()+".C."+oi.NUID] = true
		}
	}
	si, err := str.Info(ctx, jetstream.WithSubjectFilter("$O."+o.Bucket()+".C.>"))
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	var stray []string
	for subj, n := range si.State.Subjects {
		if n > 0 && !named[subj] {
			stray = append(stray, fmt.Sprintf("%s (%d chunks)", subj, n))
		}
	}
	return stray
}

// keysOf lists prefix and returns the keys, sorted.
func keysOf(t *testing.T, s Store, prefix string) []string {
	t.Helper()
	infos, err := s.List(t.Context(), prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	var keys []string
	for _, in := range infos {
		keys = append(keys, in.Key)
	}
	slices.Sort(keys)
	return keys
}

// mustPut stores body under key or fails the test.
func mustPut(t *testing.T, s Store, key, body, contentType string) Info {
	t.Helper()
	info, err := s.Put(t.Context(), key, strings.NewReader(body), contentType)
	if err != nil {
		t.Fatalf("Put %q: %v", key, err)
	}
	return info
}
