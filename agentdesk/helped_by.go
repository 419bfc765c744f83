package agentdesk

import (
	"context"
	"time"

	"github.com/livemall/livemall/mall"
)

// The agents who served a shopper, as an order's history names them
// ("Helped by Maria, then Sam"): derived from the engagement and its
// transfers (engagement_transfers), nothing stored twice.

var _ mall.HelpedBy = (*Engagements)(nil)

// HelpedBy implements mall.HelpedBy: the names of the agents who served
// the engagement an order came from, in the order they served it, or nil
// when the order came from no call. The engagement is the shopper's last
// call of the order's store answered before the order was placed that
// ended at most attributionWindow before it (the analytics' rule).
func (g *Engagements) HelpedBy(ctx context.Context, o *mall.Order) []string {
	q := g.db.WithContext(ctx).Where("store_id = ? AND answered_at IS NOT NULL AND answered_at <= ? AND (ended_at IS NULL OR ended_at >= ?)",
		o.StoreID, o.CreatedAt, o.CreatedAt.Add(-attributionWindow))
	switch {
	case o.AccountID != nil:
		q = q.Where("account_id = ?", *o.AccountID)
	case o.GuestHash != nil:
		q = q.Where("guest_hash = ?", *o.GuestHash)
	default:
		return nil
	}
	var es []QueueEntry
	if err := q.Order("answered_at DESC").Limit(1).Find(&es).Error; err != nil || len(es) == 0 {
		return nil
	}
	return g.agentsOf(ctx, &es[0], o.CreatedAt)
}

// agentsOf names the agents who served the engagement up to until, in
// the order they served it: each transfer's first agent, the colleague
// who took it (a completed transfer), and the agent who has it now.
// Transfers that lapsed name nobody.
func (g *Engagements) agentsOf(ctx context.Context, e *QueueEntry, until time.Time) []string {
	var ts []Transfer
	err := g.db.WithContext(ctx).Where("(entry_id = ? OR to_entry_id = ?) AND state IN ? AND created_at <= ?", e.ID, e.ID,
		[]string{transferCompleted, transferQueued}, until).Order("created_at, id").Find(&ts).Error
	if err != nil {
		return nil
	}
	var ids []string
	add := func(id string) {
		if id != "" && (len(ids) == 0 || ids[len(ids)-1] != id) {
			ids = append(ids, id)
		}
	}
	for _, t := range ts {
		add(t.FromAgentID)
		if t.State == transferCompleted && t.ToAgentID != nil {
			add(*t.ToAgentID)
		}
	}
	if e.AgentAccountID != nil {
		add(*e.AgentAccountID)
	}
	if len(ids) == 0 {
		return nil
	}
	refs, err := g.accounts.Refs(ctx, ids)
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if n := refs[id].Name; n != "" {
			out = append(out, n)
		}
	}
	return out
}
