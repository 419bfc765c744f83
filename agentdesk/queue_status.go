package agentdesk

import (
	"context"
	"time"

	"github.com/livemall/livemall/mall"
)

// QueueStatus says, per store, whether the skyline shows it open with
// agents free, busy with the current wait, or closed.
func (q *Queue) QueueStatus(ctx context.Context, storeIDs []int64) map[int64]mall.QueueView {
	out := make(map[int64]mall.QueueView, len(storeIDs))
	now := time.Now().UTC()
	for _, id := range storeIDs {
		online, err := q.onlineAgents(ctx, id)
		if err != nil {
			continue
		}
		v := mall.QueueView{State: "closed"}
		if len(online) > 0 {
			var states []AgentState
			q.db.WithContext(ctx).Where("account_id IN ?", online).Find(&states)
			for _, s := range states {
				if s.effective(now).State == AgentAvailable {
					v.AgentsFree++
				}
			}
			var waiting int64
			q.db.WithContext(ctx).Model(&QueueEntry{}).Where("store_id = ? AND state IN ?", id, []string{EntryWaiting, EntryOffered}).Count(&waiting)
			v.Waiting = int(waiting)
			v.State = "open"
			if v.AgentsFree == 0 || v.Waiting >= v.AgentsFree {
				v.State = "busy"
				v.WaitSeconds = estimateWait(v.Waiting+1, len(online), q.averageHandle(ctx, id))
			}
		}
		out[id] = v
	}
	return out
}

// Line lists the store's line as it stands: the shoppers waiting, offered
// to an agent, or waiting for a call back, first come first.
func (q *Queue) Line(ctx context.Context, storeID int64) ([]QueueEntry, error) {
	var line []QueueEntry
	err := q.db.WithContext(ctx).Where("store_id = ? AND state IN ?", storeID, []string{EntryWaiting, EntryOffered, EntryCallback}).
		Order("entered_at, id").Find(&line).Error
	return line, err
}
