package directory

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/livemall/livemall/media"
)

// Heartbeats and the node's care of its presence records. A heartbeat
// notes the time on its connection and writes nothing while the
// connection's record is in place. Every tick the node renews its lease,
// withdraws the records of connections silent for a presence TTL or
// closed (a withdrawal that could not reach NATS), and purges the records
// of nodes whose lease went (see node_lease.go).

// connBeat is the Conn value key for the time of the connection's last
// heartbeat (an *atomic.Int64 of Unix nanoseconds).
const connBeat = "directory.beat"

// beat notes that c is alive now.
func beat(c *media.Conn) {
	now := time.Now().UnixNano()
	if b, ok := c.Get(connBeat).(*atomic.Int64); ok {
		b.Store(now)
		return
	}
	b := &atomic.Int64{}
	b.Store(now)
	c.Set(connBeat, b)
}

// silentFor returns how long c has not heartbeated (since it opened, if
// it never did).
func silentFor(c *media.Conn, now time.Time) time.Duration {
	b, ok := c.Get(connBeat).(*atomic.Int64)
	if !ok {
		return 0 // not announced yet: deviceOnline notes its first beat
	}
	return now.Sub(time.Unix(0, b.Load()))
}

// heartbeat keeps the connection online. It announces only a connection
// whose record is missing: withdrawn after a silence, purged while this
// node's lease had lapsed, or lost with NATS.
func (s *Service) heartbeat(ctx context.Context, c *media.Conn, _ media.Message) error {
	if c.Guest != "" {
		return nil // guests are in nobody's directory
	}
	beat(c)
	if c.DeviceID != "" && s.presence.Has(c.DeviceID, c.ID) {
		return nil
	}
	return s.announce(ctx, c)
}

// tick is how often the node renews its lease and looks for silent
// connections: a quarter of the TTL at most, so that a silent device is
// offline within 1¼ TTL.
func (s *Service) tick() time.Duration { return min(s.cfg.Heartbeat, s.cfg.PresenceTTL/4) }

// keepPresence runs until Close: the lease, silent and closed
// connections, and the records of nodes that are gone.
func (s *Service) keepPresence() {
	defer close(s.kept)
	t := time.NewTicker(s.tick())
	defer t.Stop()
	unleased := map[string]time.Time{} // node → first seen without a lease
	for {
		select {
		case <-s.stop:
			return
		case node := <-s.presence.Gone():
			if node == s.cfg.Node {
				s.renewLease() // this node is alive: its lease lapsed on a slow NATS
				continue
			}
			s.purgeNode(node)
		case <-t.C:
			s.renewLease()
			ctx, cancel := context.WithTimeout(context.Background(), s.tick())
			if err := s.withdrawSilent(ctx); err != nil {
				slog.Warn("withdraw silent connections", "err", err)
			}
			cancel()
			s.purgeUnleased(unleased)
		}
	}
}

// renewLease writes this node's lease again.
func (s *Service) renewLease() {
	ctx, cancel := context.WithTimeout(context.Background(), s.tick())
	defer cancel()
	if err := s.presence.Lease(ctx, s.cfg.Node); err != nil {
		slog.Warn("renew the node lease", "node", s.cfg.Node, "err", err)
	}
}

// purgeNode removes the records of a node that is gone.
func (s *Service) purgeNode(node string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.presence.PurgeNode(ctx, node); err != nil {
		slog.Warn("purge the presence of a node that is gone", "node", node, "err", err)
	}
}

// purgeUnleased purges the records of every other node seen without a
// lease for a whole TTL (its node died while nobody watched, or its
// expiry was missed).
func (s *Service) purgeUnleased(since map[string]time.Time) {
	now := time.Now()
	missing := map[string]bool{}
	for _, node := range s.presence.Unleased() {
		if node == s.cfg.Node {
			continue
		}
		missing[node] = true
		first, seen := since[node]
		if !seen {
			since[node] = now
			continue
		}
		if now.Sub(first) >= s.cfg.PresenceTTL {
			s.purgeNode(node)
			delete(since, node)
		}
	}
	for node := range since {
		if !missing[node] {
			delete(since, node)
		}
	}
}

// withdrawSilent withdraws this node's records whose connections have
// not heartbeated for a TTL, or have closed (their withdrawal could not
// reach NATS).
func (s *Service) withdrawSilent(ctx context.Context) error {
	// A record implies its connection was registered before it, so one
	// whose connection is missing now has closed.
	now := time.Now()
	stale := s.presence.PickNodeRecords(s.cfg.Node, func(r *PresenceRecord) bool {
		c, ok := s.sig.Conn(r.ConnID)
		return !ok || c.DeviceID != r.DeviceID || silentFor(c, now) > s.cfg.PresenceTTL
	})
	for _, r := range stale {
		if err := s.presence.Withdraw(ctx, r.DeviceID, r.ConnID); err != nil {
			return err
		}
	}
	return nil
}
