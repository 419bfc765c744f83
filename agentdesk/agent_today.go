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
func (g *Engagements) agentToday(ctx context.Context, agentID string, storeID int64) (AgentToday, error) {
	var out AgentToday
	day := time.Now().UTC().Truncate(24 * time.Hour)
	db := g.db.WithContext(ctx)
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
	orders, err := g.paidOrders(ctx, storeID, served)
	if err != nil {
		return out, err
	}
	for i := range served {
		if soldIn(&served[i], orders) {
			out.Sold++
		}
	}
	attach, err := g.attachRates(ctx, storeID, day)
	if err != nil {
		return out, err
	}
	out.AddOns = attach[agentID].attached
	return out, nil
}
