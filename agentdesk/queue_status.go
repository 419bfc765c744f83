package agentdesk

import (
	"context"

	"github.com/livemall/livemall/mall"
)

// QueueStatus says, per store, whether the skyline shows it open with
// agents free, busy with the current wait, or closed, how many shoppers
// wait and how many are in a call with an agent.
func (q *Queue) QueueStatus(ctx context.Context, storeIDs []int64) map[int64]mall.QueueView {
	out := make(map[int64]mall.QueueView, len(storeIDs))
	if len(storeIDs) == 0 {
		return out
	}
	var counts []struct {
		StoreID int64
		State   string
		N       int
	}
	q.db.WithContext(ctx).Model(&QueueEntry{}).Select("store_id, state, COUNT(*) AS n").
		Where("store_id IN ? AND state IN ?", storeIDs, []string{EntryWaiting, EntryOffered, EntryConnected}).
		Group("store_id, state").Scan(&counts)
	waiting, offered, inCall := map[int64]int{}, map[int64]int{}, map[int64]int{}
	for _, c := range counts {
		switch c.State {
		case EntryWaiting:
			waiting[c.StoreID] += c.N
		case EntryOffered:
			offered[c.StoreID] += c.N
		default:
			inCall[c.StoreID] += c.N
		}
	}
	for _, id := range storeIDs {
		v := mall.QueueView{State: "closed", Waiting: waiting[id] + offered[id], InCall: inCall[id]}
		load, free, online := q.lineLoad(ctx, id)
		if online > 0 {
			v.AgentsFree = free
			v.State = "open"
			if free == 0 || v.Waiting >= free {
				v.State = "busy"
				// A shopper who joins now waits behind those not yet offered.
				v.WaitSeconds = waitSeconds(waiting[id]+1, load)
			}
		}
		out[id] = v
	}
	return out
}

// Line lists the store's line as it stands: the shoppers waiting, offered
// to an agent, or waiting for a call back: booked calls first, then first
// come first (lineOrder).
func (q *Queue) Line(ctx context.Context, storeID int64) ([]QueueEntry, error) {
	var line []QueueEntry
	err := q.db.WithContext(ctx).Where("store_id = ? AND state IN ?", storeID, []string{EntryWaiting, EntryOffered, EntryCallback}).
		Order(lineOrder).Find(&line).Error
	return line, err
}
