// Package bus connects livemall to NATS: a server embedded in the process by
// default (JetStream on disk in the data dir, alone or routed into a cluster
// with the embedded servers of other nodes), or an external cluster. Both
// give the same *nats.Conn and JetStream context, so every slice has one
// code path for one node and many.
//
// NATS holds soft state that must survive its own faults: a restart, a lost
// store, a leader change. The bus watches JetStream and, once it answers
// again after a fault, runs what the slices registered with OnRecover (they
// re-create their buckets and streams and re-announce what they hold).
package bus

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Config says which NATS to use.
type Config struct {
	// URL of an external NATS; empty embeds a server.
	URL string
	// DataDir is where the embedded server keeps JetStream: DataDir/nats,
	// or DataDir/nats/<ServerName> in a cluster (so that nodes sharing a
	// data dir on one machine keep their stores apart).
	DataDir string
	// Name identifies this node's connection.
	Name string
	// Replicas is how many copies JetStream keeps of every bucket and
	// stream the app creates (1 alone, 3 in a cluster); 0 means 1.
	Replicas int
	// ServerName names the embedded server; in a cluster every server needs
	// its own (the node name). Empty means "livemall-embedded".
	ServerName string
	// Routes are the cluster addresses (nats://host:port) of the other
	// embedded servers; with them the embedded server joins one JetStream
	// cluster with theirs. See ParseRoutes.
	Routes []string
	// ClusterAddr is where the embedded server listens for routes
	// (host:port); empty means ":6222" when Routes are given.
	ClusterAddr string
	// ClusterName names the cluster; every member must use the same.
	// Empty means "livemall".
	ClusterName string
	// CheckEvery is how often the bus asks JetStream whether it answers;
	// 0 means every second.
	CheckEvery time.Duration
	// WaitJetStream bounds how long Open waits for JetStream to answer (a
	// cluster electing its leader); 0 means 60 s.
	WaitJetStream time.Duration
}

// Bus is a connection to NATS with JetStream.
type Bus struct {
	Conn *nats.Conn
	JS   jetstream.JetStream
	// Replicas is how many copies to ask for when creating a bucket or
	// stream (at least 1).
	Replicas int
	embedded *server.Server
	// clustered is set when the embedded server is routed to others.
	clustered bool

	mu        sync.Mutex
	recovers  []recoverer
	lastErr   error // why JetStream is not usable, nil when it is
	secrets   map[string][]byte
	wanted    atomic.Int64 // faults seen
	recovered atomic.Int64 // faults recovered from
	kick      chan struct{}
	stop      chan struct{}
	done      chan struct{}
}

// recoverer is one slice's recovery, run in registration order.
type recoverer struct {
	name string
	fn   func(ctx context.Context) error
}

// Open starts the embedded server or connects to the external one, waits
// until JetStream answers and starts watching it.
func Open(ctx context.Context, cfg Config) (*Bus, error) {
	b := &Bus{Replicas: max(cfg.Replicas, 1), secrets: map[string][]byte{},
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	opts := []nats.Option{nats.Name(cfg.Name), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second),
		nats.ReconnectHandler(func(*nats.Conn) { b.fault(errors.New("NATS reconnected")) }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { b.fault(fmt.Errorf("NATS disconnected: %v", err)) })}
	url := cfg.URL
	if url != "" && len(cfg.Routes) > 0 {
		return nil, errors.New("NATS routes are for the embedded server; with an external NATS (--nats-url) give no routes: use one or the other")
	}
	if url == "" {
		ns, err := startEmbedded(cfg)
		if err != nil {
			return nil, err
		}
		b.embedded, b.clustered = ns, len(cfg.Routes) > 0
		opts = append(opts, nats.InProcessServer(ns))
	}
	nc, err := nats.Connect(url, append(opts, nats.Timeout(5*time.Second))...)
	if err != nil {
		b.shutdownEmbedded()
		return nil, fmt.Errorf("connect to NATS %s: %w", url, err)
	}
	b.Conn = nc
	if b.JS, err = jetstream.New(nc); err != nil {
		nc.Close()
		b.shutdownEmbedded()
		return nil, fmt.Errorf("open JetStream: %w", err)
	}
	if err := b.waitJetStream(ctx, orDefault(cfg.WaitJetStream, 60*time.Second)); err != nil {
		nc.Close()
		b.shutdownEmbedded()
		return nil, err
	}
	b.wanted.Store(0) // the connection's first events are no fault
	go b.watch(orDefault(cfg.CheckEvery, time.Second))
	return b, nil
}

// orDefault returns d, or def when d is not set.
func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// startEmbedded starts the embedded server: alone and reachable only in
// process, or, with routes, listening for routes on the cluster address
// (and for clients on a random loopback port, which routing requires).
func startEmbedded(cfg Config) (*server.Server, error) {
	opts := &server.Options{
		ServerName: cfg.ServerName,
		JetStream:  true,
		StoreDir:   filepath.Join(cfg.DataDir, "nats"),
		DontListen: true,
		NoSigs:     true,
		NoLog:      true,
	}
	if opts.ServerName == "" {
		opts.ServerName = "livemall-embedded"
	}
	if len(cfg.Routes) > 0 {
		routes, err := ParseRoutes(cfg.Routes)
		if err != nil {
			return nil, err
		}
		host, port, err := ParseClusterAddr(cfg.ClusterAddr)
		if err != nil {
			return nil, err
		}
		opts.DontListen = false
		opts.Host, opts.Port = "127.0.0.1", server.RANDOM_PORT
		opts.Cluster = server.ClusterOpts{Name: cfg.ClusterName, Host: host, Port: port}
		if opts.Cluster.Name == "" {
			opts.Cluster.Name = "livemall"
		}
		opts.Routes = routes
		opts.StoreDir = filepath.Join(opts.StoreDir, opts.ServerName)
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("start embedded NATS: %w", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("start embedded NATS: not ready after 10s")
	}
	return ns, nil
}

// waitJetStream waits until JetStream answers (in a cluster: until it has
// elected its meta leader), at most d.
func (b *Bus) waitJetStream(ctx context.Context, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		err := b.jetStreamAnswers(ctx)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("NATS JetStream did not answer within %v (a cluster needs a majority of its servers): %w", d, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// jetStreamAnswers asks JetStream for the account's info, within 2 s.
func (b *Bus) jetStreamAnswers(ctx context.Context) error {
	if !b.Conn.IsConnected() {
		return fmt.Errorf("the NATS connection is %s", b.Conn.Status())
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := b.JS.AccountInfo(ctx); err != nil {
		return fmt.Errorf("JetStream does not answer: %w", err)
	}
	return nil
}

// Alone reports whether this node is the only user of its NATS: an
// embedded server without routes. What such a NATS holds of the node's
// open things died with the node's previous process.
func (b *Bus) Alone() bool { return b.embedded != nil && !b.clustered }

// OnRecover registers fn to run, in registration order, each time
// JetStream answers again after a fault (a NATS restart, a lost store, a
// bucket or stream found missing). fn must be idempotent: re-create what
// is missing, announce again what this node holds. A failing fn is run
// again at the next check. Register while building the node, before it
// serves.
func (b *Bus) OnRecover(name string, fn func(ctx context.Context) error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.recovers = append(b.recovers, recoverer{name: name, fn: fn})
}

// Trouble tells the bus that a JetStream call failed. When the error says
// that a stream or bucket is missing or nobody answers for it (NATS lost
// its store, a stream leader is gone), the bus runs the recoveries as soon
// as JetStream answers. Other errors are ignored.
func (b *Bus) Trouble(err error) {
	if Missing(err) {
		b.fault(err)
	}
}

// Missing reports whether err says that a stream, bucket or consumer is
// gone or that no server answered for it.
func Missing(err error) bool {
	return errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, jetstream.ErrBucketNotFound) ||
		errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, nats.ErrStreamNotFound) ||
		errors.Is(err, nats.ErrNoStreamResponse) || errors.Is(err, jetstream.ErrJetStreamNotEnabled)
}

// fault records a fault and wakes the watch.
func (b *Bus) fault(err error) {
	b.wanted.Add(1)
	slog.Debug("NATS fault", "err", err)
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// watch checks JetStream every interval, and at once after a fault,
// until Close.
func (b *Bus) watch(every time.Duration) {
	defer close(b.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
		case <-b.kick:
		}
		b.check()
	}
}

// check asks JetStream whether it answers; if it does after a fault, it
// runs the recoveries.
func (b *Bus) check() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-b.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := b.jetStreamAnswers(ctx); err != nil {
		// Gone (disconnected, or a server without JetStream yet): recover
		// once it answers. Only slow (a busy server, a leader election):
		// not ready, but nothing was lost.
		if !b.Conn.IsConnected() || Missing(err) {
			b.wanted.Add(1)
		}
		b.setErr(err)
		return
	}
	wanted := b.wanted.Load()
	if wanted == b.recovered.Load() {
		b.setErr(nil)
		return
	}
	b.mu.Lock()
	recovers := append([]recoverer(nil), b.recovers...)
	b.mu.Unlock()
	rctx, rcancel := context.WithTimeout(ctx, 30*time.Second)
	defer rcancel()
	for _, r := range recovers {
		if err := r.fn(rctx); err != nil {
			err = fmt.Errorf("JetStream answers again, but re-creating %s failed: %w", r.name, err)
			slog.Warn("NATS recovery", "err", err)
			b.setErr(err)
			return
		}
	}
	b.recovered.Store(wanted)
	b.setErr(nil)
	slog.Info("NATS recovered: what was missing is re-created", "recoveries", len(recovers))
}

func (b *Bus) setErr(err error) {
	b.mu.Lock()
	b.lastErr = err
	b.mu.Unlock()
}

// Ping checks that JetStream answers now and that what the node keeps in
// it has been re-created since the last fault; the error says which is
// not the case. /readyz answers 503 with it.
func (b *Bus) Ping(ctx context.Context) error {
	if err := b.jetStreamAnswers(ctx); err != nil {
		return err
	}
	if b.wanted.Load() != b.recovered.Load() {
		b.mu.Lock()
		err := b.lastErr
		b.mu.Unlock()
		if err != nil {
			return err
		}
		return errors.New("JetStream answers again; the buckets and streams are being re-created")
	}
	return nil
}

// Close stops watching, drains the connection and stops the embedded
// server, if any.
func (b *Bus) Close() {
	close(b.stop)
	<-b.done
	if err := b.Conn.Drain(); err != nil {
		b.Conn.Close()
	}
	deadline := time.Now().Add(3 * time.Second)
	for !b.Conn.IsClosed() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	b.shutdownEmbedded()
}

func (b *Bus) shutdownEmbedded() {
	if b.embedded != nil {
		b.embedded.Shutdown()
		b.embedded.WaitForShutdown()
	}
}

// Durability says what a bucket or stream holds, which decides what
// happens to an existing copy stored differently.
type Durability int

const (
	// Durable state is kept as it is; a copy stored otherwise is an error.
	Durable Durability = iota
	// Soft state (presence, limits) is rebuilt by the nodes: an existing
	// copy stored otherwise (in memory, by an older version) is dropped
	// and created again on disk.
	Soft
)

// KeyValue creates or updates the bucket described by cfg on disk with
// b.Replicas copies (cfg's Storage and Replicas are overridden).
func (b *Bus) KeyValue(ctx context.Context, cfg jetstream.KeyValueConfig, d Durability) (jetstream.KeyValue, error) {
	cfg.Storage, cfg.Replicas = jetstream.FileStorage, b.Replicas
	if d == Soft {
		if err := b.dropIfStoredOtherwise(ctx, "KV_"+cfg.Bucket); err != nil {
			return nil, err
		}
	}
	var kv jetstream.KeyValue
	err := retry(ctx, func(ctx context.Context) (err error) {
		kv, err = b.JS.CreateOrUpdateKeyValue(ctx, cfg)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}

// Stream creates or updates the stream described by cfg on disk with
// b.Replicas copies (cfg's Storage and Replicas are overridden).
func (b *Bus) Stream(ctx context.Context, cfg jetstream.StreamConfig, d Durability) (jetstream.Stream, error) {
	cfg.Storage, cfg.Replicas = jetstream.FileStorage, b.Replicas
	if d == Soft {
		if err := b.dropIfStoredOtherwise(ctx, cfg.Name); err != nil {
			return nil, err
		}
	}
	var st jetstream.Stream
	err := retry(ctx, func(ctx context.Context) (err error) {
		st, err = b.JS.CreateOrUpdateStream(ctx, cfg)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open stream %s: %w", cfg.Name, err)
	}
	return st, nil
}

// Retry runs create the way KeyValue and Stream do: again while JetStream
// is still electing leaders (see retry). Slices that create their own
// JetStream assets (the object store) open them through it.
func Retry(ctx context.Context, create func(ctx context.Context) error) error {
	return retry(ctx, create)
}

// retry runs create until it succeeds, fails for good, or ctx ends (at
// most a minute when ctx has no deadline). In a cluster a replicated
// stream answers only once its group has elected a leader, which may take
// longer than one request's timeout; creating again is harmless.
func retry(ctx context.Context, create func(ctx context.Context) error) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Minute)
		defer cancel()
	}
	for {
		actx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := create(actx)
		cancel()
		if err == nil || !transient(err) || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// transient reports whether a JetStream error may pass by itself: a
// timeout, no responder, or a cluster without a leader or enough peers yet.
func transient(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) || errors.Is(err, nats.ErrNoResponders) {
		return true
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		// nats-server's codes: 10008 cluster not available, 10023
		// insufficient resources, 10005 no suitable peers (yet).
		return apiErr.Code == 503 || apiErr.ErrorCode == 10008 || apiErr.ErrorCode == 10023 || apiErr.ErrorCode == 10005
	}
	return false
}

// dropIfStoredOtherwise deletes the stream when it exists in memory: the
// storage of a stream cannot be changed in place.
func (b *Bus) dropIfStoredOtherwise(ctx context.Context, name string) error {
	var st jetstream.Stream
	err := retry(ctx, func(ctx context.Context) (err error) {
		st, err = b.JS.Stream(ctx, name)
		return err
	})
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("look up stream %s: %w", name, err)
	}
	if st.CachedInfo().Config.Storage == jetstream.FileStorage {
		return nil
	}
	slog.Info("moving soft state to disk: dropping the in-memory stream", "stream", name)
	if err := b.JS.DeleteStream(ctx, name); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("drop in-memory stream %s: %w", name, err)
	}
	return nil
}

// secretsBucket holds the secrets every node must share (the CSRF key).
const secretsBucket = "lm_secrets"

// secretsConfig is the lm_secrets bucket.
var secretsConfig = jetstream.KeyValueConfig{Bucket: secretsBucket, Description: "secrets shared by every livemall node"}

// SharedSecret returns the 32-byte secret called name that every node
// connected to this NATS shares: the first node to ask creates it at random
// in the lm_secrets bucket (on disk), the others read it. When NATS loses
// the bucket, the node writes back the secret it holds, so the nodes keep
// agreeing; losing the bucket on every node at once only rotates it.
func (b *Bus) SharedSecret(ctx context.Context, name string) ([]byte, error) {
	kv, err := b.KeyValue(ctx, secretsConfig, Durable)
	if err != nil {
		return nil, err
	}
	var last error
	for attempt := 0; attempt < secretAttempts; attempt++ {
		if attempt > 0 {
			// A fresh cluster under load may still be settling who leads
			// the bucket: give it a moment before asking again.
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("secret %s: %w (last: %v)", name, ctx.Err(), last)
			case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
			}
		}
		// In a fresh cluster the bucket may answer only once its group has
		// a leader: reads and writes retry like its creation did.
		var e jetstream.KeyValueEntry
		err := retry(ctx, func(ctx context.Context) (err error) { e, err = kv.Get(ctx, name); return err })
		if err == nil && len(e.Value()) == 32 {
			b.holdSecret(name, e.Value())
			return e.Value(), nil
		} else if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil, fmt.Errorf("read secret %s: %w", name, err)
		}
		secret := make([]byte, 32)
		rand.Read(secret)
		err = retry(ctx, func(ctx context.Context) (err error) { _, err = kv.Create(ctx, name, secret); return err })
		if err == nil {
			b.holdSecret(name, secret)
			return secret, nil
		} else if !errors.Is(err, jetstream.ErrKeyExists) {
			return nil, fmt.Errorf("create secret %s: %w", name, err)
		}
		// Another node created it first: read theirs from the leader (a
		// replica may not have it yet).
		var held []byte
		err = retry(ctx, func(ctx context.Context) (err error) {
			held, err = b.readFromLeader(ctx, secretsBucket, name)
			return err
		})
		if err == nil && len(held) == 32 {
			b.holdSecret(name, held)
			return held, nil
		}
		last = err
		if err == nil {
			last = fmt.Errorf("the leader holds %d bytes", len(held))
		}
	}
	return nil, fmt.Errorf("secret %s: no agreement after %d attempts (last: %v)", name, secretAttempts, last)
}

// secretAttempts bounds the rounds of read, create and read from the
// leader that SharedSecret makes before it gives up (a CI run on a loaded
// machine once needed more than three while a fresh cluster of three
// settled).
const secretAttempts = 8

// holdSecret remembers a secret this node uses; the first one registers
// the recovery that writes them back.
func (b *Bus) holdSecret(name string, secret []byte) {
	b.mu.Lock()
	first := len(b.secrets) == 0
	b.secrets[name] = secret
	b.mu.Unlock()
	if first {
		b.OnRecover(secretsBucket, b.restoreSecrets)
	}
}

// restoreSecrets re-creates the secrets bucket and writes back the
// secrets this node holds where they are missing.
func (b *Bus) restoreSecrets(ctx context.Context) error {
	kv, err := b.KeyValue(ctx, secretsConfig, Durable)
	if err != nil {
		return err
	}
	b.mu.Lock()
	held := make(map[string][]byte, len(b.secrets))
	for k, v := range b.secrets {
		held[k] = v
	}
	b.mu.Unlock()
	for name, secret := range held {
		if _, err := kv.Create(ctx, name, secret); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
			return fmt.Errorf("write back secret %s: %w", name, err)
		}
	}
	return nil
}
