package agentdesk

import (
	"context"
	"time"

	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/directory"
	"github.com/livemall/livemall/mall"
	"github.com/livemall/livemall/media"
)

// sweep runs every tick on every node: wrap-ups that ended make agents
// available, offers nobody took go back in line, agents whose devices went
// quiet go offline, shoppers past the store's maximum wait are offered a
// message or a call back, and every store with shoppers in line is routed.
func (q *Queue) sweep(ctx context.Context) {
	now := time.Now().UTC()
	db := q.db.WithContext(ctx)

	var wrapped []AgentState
	db.Where("state = ? AND wrap_until <= ?", AgentWrapUp, now).Find(&wrapped)
	for _, a := range wrapped {
		if ok, _ := moveAgent(db.Where("wrap_until <= ?", now), a.AccountID, AgentWrapUp, map[string]any{"state": AgentAvailable, "since": *a.WrapUntil, "wrap_until": nil, "entry_id": nil}); ok {
			q.agentChanged(ctx, a.AccountID)
		}
	}

	// An offer outlives its ring only when the node hosting the call is
	// gone or the agent never dialled a call back.
	var stale []QueueEntry
	db.Where("state = ? AND offered_at < ?", EntryOffered, now.Add(-q.cfg.RingTimeout-10*time.Second)).Find(&stale)
	for _, e := range stale {
		switch {
		case e.AgentAccountID == nil:
		case e.Callback:
			q.OfferLapsed(ctx, e.ID, *e.AgentAccountID, true) // back in line for a call back
		default:
			q.Ended(ctx, e.ID) // the call's node would have moved it on: the call is gone
		}
	}

	var present []AgentState
	db.Where("state IN ?", []string{AgentAvailable, AgentAway, AgentWrapUp}).Find(&present)
	if len(present) > 0 {
		ids := make([]string, len(present))
		for i, a := range present {
			ids[i] = a.AccountID
		}
		if states, err := q.dir.States(ctx, ids); err == nil {
			for _, id := range ids {
				if states[id] == directory.StateOffline {
					q.agentOffline(ctx, id)
				}
			}
		}
	}

	// Places kept for shoppers whose call was lost are given up once the
	// reconnect grace is over.
	db.Model(&QueueEntry{}).Where("state = ? AND conn_id = '' AND ended_at < ?", EntryWaiting, now.Add(-q.cfg.ReconnectGrace)).
		Update("state", EntryAbandoned)

	var waiting []QueueEntry
	db.Where("state IN ?", inLine).Order("entered_at").Find(&waiting)
	stores := map[int64]bool{}
	noAgents := map[int64]bool{}
	maxWait := map[int64]time.Duration{}
	for _, w := range waiting {
		if !stores[w.StoreID] {
			stores[w.StoreID] = true
			online, err := q.onlineAgents(ctx, w.StoreID)
			noAgents[w.StoreID] = err == nil && len(online) == 0
			if ref, err := q.stores.StoreRef(ctx, w.StoreID); err == nil {
				maxWait[w.StoreID] = time.Duration(ref.MaxWaitSeconds) * time.Second
			} else {
				maxWait[w.StoreID] = -1 // the store is gone: its line is not swept
			}
		}
		if maxWait[w.StoreID] < 0 {
			continue
		}
		if w.State != EntryWaiting || w.ConnID == "" {
			continue // a place without a call hears nothing until its shopper is back
		}
		since := w.EnteredAt
		if w.FallbackAt != nil {
			since = *w.FallbackAt
		}
		switch {
		case noAgents[w.StoreID] && w.FallbackAt == nil:
			q.offerFallback(ctx, &w, "no_agents")
		case now.Sub(since) >= maxWait[w.StoreID]:
			q.offerFallback(ctx, &w, "max_wait")
		}
	}
	for id := range stores {
		q.match(ctx, id)
		if now.Second()%5 == 0 {
			q.pushPositions(ctx, id)
		}
	}
}

// offerFallback offers a waiting shopper a message or a call back, once
// per wait (a node that loses the race to record it sends nothing).
func (q *Queue) offerFallback(ctx context.Context, e *QueueEntry, reason string) {
	still := q.db.WithContext(ctx).Model(&QueueEntry{}).Where("id = ? AND state = ?", e.ID, EntryWaiting)
	if e.FallbackAt == nil {
		still = still.Where("fallback_at IS NULL")
	} else {
		still = still.Where("fallback_at = ?", *e.FallbackAt)
	}
	res := still.Update("fallback_at", time.Now().UTC())
	if res.Error != nil || res.RowsAffected != 1 {
		return
	}
	q.sig.SendToConn(e.ConnID, "queue.fallback", QueueFallbackData{CallID: e.CallID, EntryID: e.ID, Reason: reason,
		Choices: []string{"message", "callback", "wait"}})
}

// pushPositions tells every shopper in the store's line where they stand
// and how long it should take, and the store's desks how many wait.
func (q *Queue) pushPositions(ctx context.Context, storeID int64) {
	line, err := q.Line(ctx, storeID)
	if err != nil {
		return
	}
	load, _, _ := q.lineLoad(ctx, storeID)
	store := q.storeRef(ctx, storeID)
	// A shopper whose offer rings already holds an agent: the estimate
	// counts only the shoppers still waiting for one.
	unserved := 0
	for i, e := range line {
		pos := i + 1
		if e.State == EntryOffered {
			continue // an agent's desk rings
		}
		unserved++
		if e.ConnID == "" {
			continue // the shopper's call was lost: nobody to tell
		}
		state := "queued"
		if e.State == EntryCallback || e.Callback {
			state = "callback"
		}
		q.sig.SendToConn(e.ConnID, "call.state", directory.CallStateData{CallID: e.CallID, State: state, EntryID: e.ID, Position: pos,
			WaitSeconds: new(waitSeconds(unserved, load)), Store: &store})
	}
	staff, _ := q.accounts.StaffOf(ctx, storeID)
	for _, d := range q.devicesOf(ctx, staff) {
		q.sig.SendToDevice(d, "queue.changed", QueueChangedData{Store: store.Slug, Waiting: len(line)})
	}
	mall.PublishStoreChanged(q.sig.Bus, storeID)
}

// connOpened makes an agent whose desk connects available.
func (q *Queue) connOpened(ctx context.Context, c *media.Conn) error {
	if c.AccountID == "" || c.Role != auth.RoleAgent || c.StoreID == 0 {
		return nil // the account's role and store as its session had them
	}
	q.agentOnline(ctx, c.AccountID, c.StoreID)
	return nil
}

// connClosed takes an agent offline when their last device went away.
func (q *Queue) connClosed(c *media.Conn) {
	if c.AccountID == "" || c.Role != auth.RoleAgent {
		return // only an agent's desk makes anyone available (connOpened)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	states, err := q.dir.States(ctx, []string{c.AccountID})
	if err == nil && states[c.AccountID] == directory.StateOffline {
		q.agentOffline(ctx, c.AccountID)
	}
}

// AgentSignedOut takes an agent offline at sign-out.
func (q *Queue) AgentSignedOut(ctx context.Context, accountID string) {
	q.agentOffline(ctx, accountID)
}
