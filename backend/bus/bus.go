// Package bus connects livemall to NATS: a server embedded in the process by
// default (JetStream on disk in the data dir), or an external cluster. Both
// give the same *nats.Conn and JetStream context, so every slice has one
// code path for one node and many.
package bus

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Config says which NATS to use.
type Config struct {
	// URL of an external NATS; empty embeds a server.
	URL string
	// DataDir is where the embedded server keeps JetStream (DataDir/nats).
	DataDir string
	// Name identifies this node's connection.
	Name string
	// Replicas is how many copies JetStream keeps of every bucket and
	// stream the app creates (1 alone, 3 in a cluster); 0 means 1.
	Replicas int
}

// Bus is a connection to NATS with JetStream.
type Bus struct {
	Conn     *nats.Conn
	JS       jetstream.JetStream
	// Replicas is how many copies to ask for when creating a bucket or
	// stream (at least 1).
	Replicas int
	embedded *server.Server
}

// Open starts the embedded server or connects to the external one and waits
// until the connection is up.
func Open(ctx context.Context, cfg Config) (*Bus, error) {
	opts := []nats.Option{nats.Name(cfg.Name), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second)}
	url := cfg.URL
	var ns *server.Server
	if url == "" {
		var err error
		ns, err = server.NewServer(&server.Options{
			ServerName: "livemall-embedded",
			JetStream:  true,
			StoreDir:   filepath.Join(cfg.DataDir, "nats"),
			DontListen: true,
			NoSigs:     true,
			NoLog:      true,
		})
		if err != nil {
			return nil, fmt.Errorf("start embedded NATS: %w", err)
		}
		go ns.Start()
		if !ns.ReadyForConnections(10 * time.Second) {
			ns.Shutdown()
			return nil, errors.New("start embedded NATS: not ready after 10s")
		}
		opts = append(opts, nats.InProcessServer(ns))
	}
	nc, err := nats.Connect(url, append(opts, nats.Timeout(5*time.Second))...)
	if err != nil {
		if ns != nil {
			ns.Shutdown()
		}
		return nil, fmt.Errorf("connect to NATS %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		if ns != nil {
			ns.Shutdown()
		}
		return nil, fmt.Errorf("open JetStream: %w", err)
	}
	replicas := max(cfg.Replicas, 1)
	return &Bus{Conn: nc, JS: js, Replicas: replicas, embedded: ns}, nil
}

// Ping checks that NATS answers a round trip.
func (b *Bus) Ping(ctx context.Context) error {
	if !b.Conn.IsConnected() {
		return fmt.Errorf("NATS connection is %s", b.Conn.Status())
	}
	return b.Conn.FlushWithContext(ctx)
}

// Close drains the connection and stops the embedded server, if any.
func (b *Bus) Close() {
	if err := b.Conn.Drain(); err != nil {
		b.Conn.Close()
	}
	deadline := time.Now().Add(3 * time.Second)
	for !b.Conn.IsClosed() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if b.embedded != nil {
		b.embedded.Shutdown()
		b.embedded.WaitForShutdown()
	}
}

// secretsBucket holds the secrets every node must share (the CSRF key).
const secretsBucket = "lm_secrets"

// SharedSecret returns the 32-byte secret called name that every node
// connected to this NATS shares: the first node to ask creates it at random
// in the lm_secrets bucket (on disk), the others read it. Losing the bucket
// only rotates the secret.
func (b *Bus) SharedSecret(ctx context.Context, name string) ([]byte, error) {
	kv, err := b.JS.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      secretsBucket,
		Description: "secrets shared by every livemall node",
		Storage:     jetstream.FileStorage,
		Replicas:    b.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", secretsBucket, err)
	}
	for attempt := 0; attempt < 3; attempt++ {
		if e, err := kv.Get(ctx, name); err == nil && len(e.Value()) == 32 {
			return e.Value(), nil
		} else if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil, fmt.Errorf("read secret %s: %w", name, err)
		}
		secret := make([]byte, 32)
		rand.Read(secret)
		if _, err := kv.Create(ctx, name, secret); err == nil {
			return secret, nil
		} else if !errors.Is(err, jetstream.ErrKeyExists) {
			return nil, fmt.Errorf("create secret %s: %w", name, err)
		}
		// Another node created it first: read theirs.
	}
	return nil, fmt.Errorf("secret %s: no agreement after 3 attempts", name)
}
