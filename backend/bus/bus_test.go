package bus

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// open returns a bus on an embedded NATS in a temporary directory.
func open(t *testing.T) *Bus {
	t.Helper()
	b, err := Open(context.Background(), Config{DataDir: t.TempDir(), Name: "bus-test", CheckEvery: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestParseRoutesRefusesBadRoutes(t *testing.T) {
	good, err := ParseRoutes([]string{"nats://10.0.0.2:6222", "nats-route://b.internal:7222", "nats://[::1]:6222"})
	if err != nil || len(good) != 3 || good[1].Host != "b.internal:7222" {
		t.Fatalf("good routes: %v %v", good, err)
	}
	for _, tt := range []struct{ route, want string }{
		{"b:6222", "must look like nats://host:6222"},
		{"http://b:6222", "must look like"},
		{"nats://", "must look like"},
		{"nats://b", "want host:port"},
		{"nats://:6222", "the host is missing"},
		{"nats://b:0", "must be 1 to 65535"},
		{"nats://b:65536", "must be 1 to 65535"},
		{"nats://b:port", "must look like"},
		{"nats://user:pw@b:6222", "must look like"},
		{"nats://b:6222/path", "must look like"},
		{"nats://b:6222?x=1", "must look like"},
		{"nats://b:6222#f", "must look like"},
		{"nats:b:6222", "must look like"},
		{"nats://b c:6222", "must look like"},
	} {
		if _, err := ParseRoutes([]string{"nats://ok:6222", tt.route}); err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.route) {
			t.Errorf("route %q: %v, want an error naming it with %q", tt.route, err, tt.want)
		}
	}
}

func TestParseClusterAddr(t *testing.T) {
	for _, tt := range []struct {
		addr string
		host string
		port int
	}{{"", "0.0.0.0", 6222}, {":7222", "0.0.0.0", 7222}, {"10.0.0.2:6222", "10.0.0.2", 6222}} {
		host, port, err := ParseClusterAddr(tt.addr)
		if err != nil || host != tt.host || port != tt.port {
			t.Errorf("%q: %q %d %v", tt.addr, host, port, err)
		}
	}
	for _, bad := range []string{"6222", ":0", ":99999", "a b:6222", "host:", "nats://a:6222"} {
		if _, _, err := ParseClusterAddr(bad); err == nil {
			t.Errorf("cluster address %q accepted", bad)
		}
	}
}

// FuzzParseRoutes: whatever the input, parsing never panics, and what it
// accepts is a nats URL with a host and a port in range.
func FuzzParseRoutes(f *testing.F) {
	for _, s := range []string{"nats://a:6222", "nats://[::1]:6222", "b:6222", "nats://u@b:1", ":6222", "nats://b:65536", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if urls, err := ParseRoutes([]string{s}); err == nil {
			u := urls[0]
			if (u.Scheme != "nats" && u.Scheme != "nats-route") || u.Hostname() == "" || u.Port() == "" || u.User != nil {
				t.Fatalf("accepted %q as %#v", s, u)
			}
		}
		if host, port, err := ParseClusterAddr(s); err == nil && (host == "" || port < 1 || port > 65535) {
			t.Fatalf("cluster address %q gave %q %d", s, host, port)
		}
	})
}

// TestSoftStateMovesToDisk: a soft-state bucket an older version kept in
// memory is dropped and created again on disk; a durable one stored
// otherwise is refused, not dropped.
func TestSoftStateMovesToDisk(t *testing.T) {
	b := open(t)
	ctx := context.Background()
	for _, bucket := range []string{"soft", "durable"} {
		if _, err := b.JS.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bucket, Storage: jetstream.MemoryStorage}); err != nil {
			t.Fatal(err)
		}
	}
	kv, err := b.KeyValue(ctx, jetstream.KeyValueConfig{Bucket: "soft"}, Soft)
	if err != nil {
		t.Fatalf("soft bucket: %v", err)
	}
	st, err := kv.Status(ctx)
	if err != nil || st.(*jetstream.KeyValueBucketStatus).StreamInfo().Config.Storage != jetstream.FileStorage {
		t.Fatalf("soft bucket not on disk: %v", err)
	}
	if _, err := b.KeyValue(ctx, jetstream.KeyValueConfig{Bucket: "durable"}, Durable); err == nil {
		t.Fatal("a durable bucket in memory was silently replaced")
	}
}

// TestSharedSecretIsWrittenBackWhenNATSLosesIt: when the secrets bucket is
// gone (NATS lost its store) and a slice reports it missing, the bus
// re-creates it with the secret this node holds, and /readyz's check
// fails until then.
func TestSharedSecretIsWrittenBackWhenNATSLosesIt(t *testing.T) {
	b := open(t)
	ctx := context.Background()
	secret, err := b.SharedSecret(ctx, "csrf")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	if err := b.JS.DeleteKeyValue(ctx, secretsBucket); err != nil {
		t.Fatal(err)
	}
	b.Trouble(jetstream.ErrBucketNotFound)
	waitFor(t, 5*time.Second, "the secret written back", func() bool {
		kv, err := b.JS.KeyValue(ctx, secretsBucket)
		if err != nil {
			return false
		}
		e, err := kv.Get(ctx, "csrf")
		return err == nil && bytes.Equal(e.Value(), secret) && b.Ping(ctx) == nil
	})
	again, err := b.SharedSecret(ctx, "csrf")
	if err != nil || !bytes.Equal(again, secret) {
		t.Fatalf("secret after the loss differs: %v", err)
	}
	// Errors that say nothing is missing start no recovery.
	b.Trouble(context.Canceled)
	if err := b.Ping(ctx); err != nil {
		t.Fatalf("ping after an unrelated error: %v", err)
	}
}

// TestRoutesAndAnExternalNATSExcludeEachOther: Open refuses both.
func TestRoutesAndAnExternalNATSExcludeEachOther(t *testing.T) {
	_, err := Open(context.Background(), Config{URL: "nats://127.0.0.1:4222", Routes: []string{"nats://b:6222"}})
	if err == nil || !strings.Contains(err.Error(), "use one or the other") {
		t.Fatalf("routes with a URL: %v", err)
	}
}

// TestLeaderReadSeesTheStoredSecret: the read a node falls back to after
// losing a create race returns what the bucket holds, and says "not found"
// for a key nobody created.
func TestLeaderReadSeesTheStoredSecret(t *testing.T) {
	b := open(t)
	ctx := context.Background()
	secret, err := b.SharedSecret(ctx, "csrf")
	if err != nil {
		t.Fatal(err)
	}
	held, err := b.readFromLeader(ctx, secretsBucket, "csrf")
	if err != nil || !bytes.Equal(held, secret) {
		t.Fatalf("leader read: %x %v, want %x", held, err, secret)
	}
	if _, err := b.readFromLeader(ctx, secretsBucket, "nobody"); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Fatalf("leader read of a missing key: %v, want key not found", err)
	}
}
