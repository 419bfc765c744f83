package agentdesk

import (
	"context"
	"time"
)

// AgentToday is what an agent did today (since midnight UTC): the desk's
// "Your calls today" tile.
type AgentToday struct {
	// Served counts the engagements the agent answered today.
	Served int `json:"served"`
	// Sold counts those that ended in a sale: outcome "sold", or a paid
	// order of the shopper in the store since the call began.
	Sold int `json:"sold"`
	// AddOns counts those whose paid order holds an add-on the agent
	// suggested.
	AddOns int `json:"addOns"`
	// AverageHandleSeconds is the mean time from answer to hang-up of the
	// ones that ended.
	AverageHandleSeconds float64 `json:"averageHandleSeconds"`
}

// agentToday computes AgentToday for one agent of the store.
func (r *Router) agentToday(ctx context.Context, agentID string, storeID int64) (AgentToday, error) {
	var out AgentToday
	day := time.Now().UTC().Truncate(24 * time.Hour)
	db := r.db.WithContext(ctx)
	var served []QueueEntry
	if err := db.Where("agent_account_id = ? AND store_id = ? AND answered_at >= ?", agentID, storeID, day).Find(&served).Error; err != nil {
		return out, err
	}
	var handled int
	var handle time.Duration
	for _, e := range served {
		out.Served++
		if e.EndedAt != nil && e.AnsweredAt != nil {
			handled++
			handle += e.EndedAt.Sub(*e.AnsweredAt)
		}
	}
	if handled > 0 {
		out.AverageHandleSeconds = handle.Seconds() / float64(handled)
	}
	if out.Served == 0 {
		return out, nil
	}
	var sold int64
	if err := db.Table("queue_entries AS e").Where("e.agent_account_id = ? AND e.store_id = ? AND e.answered_at >= ?", agentID, storeID, day).
		Where("e.outcome = ? OR EXISTS (SELECT 1 FROM orders o WHERE o.store_id = e.store_id AND o.state IN ? AND o.created_at >= e.entered_at AND (o.account_id = e.account_id OR o.guest_hash = e.guest_hash))",
			"sold", []string{"paid", "confirmed"}).Count(&sold).Error; err != nil {
		return out, err
	}
	out.Sold = int(sold)
	attach, err := r.attachRates(ctx, storeID, day)
	if err != nil {
		return out, err
	}
	out.AddOns = attach[agentID].attached
	return out, nil
}
