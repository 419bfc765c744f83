package directory

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// Node leases. A presence record lives as long as the node that holds its
// connection: each node keeps one lease key in the presence bucket,
// written again every tick with the presence TTL, while the records carry
// no TTL at all. So a heartbeat costs no write: the node only notes the
// time, and withdraws a connection that fell silent for a TTL itself.
// When a node's lease expires (the node died, or lost NATS for a whole
// TTL), the other nodes purge its records; a node that starts purges the
// records its earlier life left; a record whose node holds no lease for a
// whole TTL is purged by any node that sees it (its node died while
// nobody watched).

// leasePrefix starts the key of a node's lease. Record keys start with a
// device id (hex), so the two never meet.
const leasePrefix = "_node."

// leaseKey is the KV key of node's lease: the name in hex, as a node name
// may hold characters a key may not.
func leaseKey(node string) string { return leasePrefix + hex.EncodeToString([]byte(node)) }

// leaseNode returns the node whose lease key is key; ok is false for a
// record's key.
func leaseNode(key string) (node string, ok bool) {
	h, found := strings.CutPrefix(key, leasePrefix)
	if !found {
		return "", false
	}
	raw, err := hex.DecodeString(h)
	if err != nil {
		return "", false
	}
	return string(raw), true
}

// applyLease updates the cache with a lease written or gone (mu held) and
// reports a node whose lease went on Gone.
func (p *Presence) applyLease(node string, live bool) {
	if live {
		p.leases[node] = true
		return
	}
	delete(p.leases, node)
	select {
	case p.gone <- node:
	default: // the periodic sweep of orphans catches it
	}
}

// Lease writes (or renews) node's lease for one presence TTL.
func (p *Presence) Lease(ctx context.Context, node string) error {
	if !p.bus.Conn.IsConnected() {
		return fmt.Errorf("renew the node lease: the NATS connection is %s", p.bus.Conn.Status())
	}
	_, err := p.bus.JS.Publish(ctx, "$KV."+p.cfg.Bucket+"."+leaseKey(node), []byte(node), jetstream.WithMsgTTL(p.ttl))
	if err != nil {
		p.bus.Trouble(err)
		return fmt.Errorf("renew the node lease: %w", err)
	}
	return nil
}

// Gone delivers the nodes whose lease expired or was removed.
func (p *Presence) Gone() <-chan string { return p.gone }

// HasLease reports whether node's lease is live in the cache.
func (p *Presence) HasLease(node string) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.leases[node]
}

// Unleased returns the nodes that hold records but no lease.
func (p *Presence) Unleased() []string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	seen := map[string]bool{}
	var out []string
	for _, r := range p.records {
		if !p.leases[r.Node] && !seen[r.Node] {
			seen[r.Node] = true
			out = append(out, r.Node)
		}
	}
	return out
}

// PurgeNode removes every record of node.
func (p *Presence) PurgeNode(ctx context.Context, node string) error {
	var errs []error
	for _, r := range p.NodeRecords(node) {
		if p.HasLease(node) {
			return nil // the node came back: its records are its own again
		}
		if err := p.Withdraw(ctx, r.DeviceID, r.ConnID); err != nil {
			errs = append(errs, err)
			break // NATS is in trouble: the next sweep goes on
		}
	}
	return errors.Join(errs...)
}
