package directory

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
)

// A call's room lives on the node that placed it. When that node dies
// (SIGKILL, a lost machine) nobody ends the call: its record would say
// "active" for ever, and both sides would stay busy in the directory. Every
// node answers on its own NATS subject; any node that finds a call whose
// node no longer answers there ends it (outcome connection_lost) with a
// guarded update, so several nodes sweeping at once end it once.

// lostCallMinAge is how old a call must be before its node is asked:
// a younger call's node may still be making its subscription known across
// a NATS cluster.
const lostCallMinAge = 5 * time.Second

// nodePingTimeout bounds one ask of a node; a node that does not answer in
// time is not taken for dead (only "no responders" says so).
const nodePingTimeout = 2 * time.Second

// defaultLostCallSweep is how often a node looks for lost calls unless
// CallsConfig.LostCallSweep says otherwise.
const defaultLostCallSweep = 15 * time.Second

// nodeSubject is the subject a node answers on while it hosts calls. Node
// names are free text (host names have dots), so the name is hex-encoded
// into one subject token.
func nodeSubject(node string) string { return "lm.node." + hex.EncodeToString([]byte(node)) + ".calls" }

// answerPings subscribes this node to its ping subject.
func (c *Calls) answerPings() (*nats.Subscription, error) {
	sub, err := c.bus.Subscribe(nodeSubject(c.node), func(m *nats.Msg) {
		if m.Reply != "" {
			m.Respond([]byte(`{}`))
		}
	})
	if err != nil {
		return nil, fmt.Errorf("answer node pings: %w", err)
	}
	return sub, nil
}

// nodeGone reports whether node is known to be gone: nobody answers on its
// subject. A timeout or a NATS error is not proof, so it reports false.
func (c *Calls) nodeGone(ctx context.Context, node string) bool {
	rctx, cancel := context.WithTimeout(ctx, nodePingTimeout)
	defer cancel()
	_, err := c.bus.RequestWithContext(rctx, nodeSubject(node), nil)
	return errors.Is(err, nats.ErrNoResponders)
}

// SweepLostCalls ends, as connection_lost, every call not ended whose
// room's node no longer answers (other nodes' calls only: this node's own
// are settled by SweepMessages at its start). It returns how many calls it
// ended. Safe on every node at once: each call is ended by one update
// conditioned on its not being ended yet.
func (c *Calls) SweepLostCalls(ctx context.Context) (int, error) {
	var nodes []string
	cutoff := time.Now().UTC().Add(-lostCallMinAge)
	err := c.db.WithContext(ctx).Model(&CallRecord{}).Distinct("node").
		Where("state <> ? AND node <> ? AND started_at < ?", callEnded, c.node, cutoff).Pluck("node", &nodes).Error
	if err != nil {
		return 0, fmt.Errorf("find nodes with open calls: %w", err)
	}
	total := 0
	for _, node := range nodes {
		if !c.nodeGone(ctx, node) {
			continue
		}
		n, err := c.endCallsOf(ctx, node, cutoff)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// endCallsOf ends the open calls of a node found gone that started before
// cutoff, and tells every node their parties' states changed.
func (c *Calls) endCallsOf(ctx context.Context, node string, cutoff time.Time) (int, error) {
	var open []CallRecord
	db := c.db.WithContext(ctx)
	if err := db.Where("node = ? AND state <> ? AND started_at < ?", node, callEnded, cutoff).Find(&open).Error; err != nil {
		return 0, fmt.Errorf("load calls of node %s: %w", node, err)
	}
	ended := 0
	var touched []string
	for _, rec := range open {
		now := time.Now().UTC()
		changes := map[string]any{"state": callEnded, "outcome": outcomeConnectionLost, "ended_at": now}
		if rec.AnsweredAt != nil {
			changes["duration_ms"] = now.Sub(*rec.AnsweredAt).Milliseconds()
		}
		r := db.Model(&CallRecord{}).Where("id = ? AND state <> ?", rec.ID, callEnded).Updates(changes)
		if r.Error != nil {
			return ended, fmt.Errorf("end lost call %s: %w", rec.ID, r.Error)
		}
		if r.RowsAffected == 0 {
			continue // ended meanwhile, by its node or another sweep
		}
		ended++
		slog.Info("call ended: connection lost, its node is gone", "call", rec.ID, "node", node)
		for _, id := range []*string{rec.CallerAccountID, rec.CalleeAccountID} {
			if id != nil {
				touched = append(touched, *id)
			}
		}
	}
	if len(touched) > 0 {
		c.dir.touch(touched...)
	}
	return ended, nil
}

// checkLostCall is the fast path of SweepLostCalls for one call: a device
// reported (by hanging up a call whose room did not answer) that the call
// may be lost. Only the call's node is asked; it reports whether that node
// is gone.
func (c *Calls) checkLostCall(callID string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*nodePingTimeout)
	defer cancel()
	var rec CallRecord
	if err := c.db.WithContext(ctx).Select("node", "state", "started_at").Where("id = ?", callID).Take(&rec).Error; err != nil {
		return false
	}
	if rec.State == callEnded || rec.Node == c.node || !c.nodeGone(ctx, rec.Node) {
		return false
	}
	// The device knew the call, so its room was up once: no age to wait out.
	if _, err := c.endCallsOf(ctx, rec.Node, time.Now().UTC()); err != nil {
		slog.Warn("end lost calls", "node", rec.Node, "err", err)
	}
	return true
}

// sweepLostCalls runs SweepLostCalls every interval until stop closes.
func (c *Calls) sweepLostCalls(every time.Duration, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), every)
			if _, err := c.SweepLostCalls(ctx); err != nil {
				slog.Warn("sweep lost calls", "err", err)
			}
			cancel()
		}
	}
}
