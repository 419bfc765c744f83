package agentdesk

import (
	"context"
	"math"
	"slices"
	"time"
)

// The estimated wait, in one place: the skyline's "≈ 2 min" and the
// position updates a waiting shopper hears both come from EstimateWait,
// fed by lineLoad. The formula and why it looks like this are explained in
// CONTACT_CENTER.md ("The estimated wait"); TestEstimatedWaitAgainstSimulatedQueue
// measures its error against a simulated line.

// RecentCalls is how many of a store's latest answered calls the average
// talk time is taken over.
const RecentCalls = 20

// DefaultHandle is the talk time assumed before a store has any answered
// call.
const DefaultHandle = 3 * time.Minute

// LineLoad is what the estimate knows of a store's line right now.
type LineLoad struct {
	// Agents holds, for each agent staffing the line (signed in and not
	// away), the time until it can take a call: zero when available.
	Agents []time.Duration
	// Talk is the average talk time of the store's recent calls.
	Talk time.Duration
	// WrapUp is the time an agent is held out of routing after a call.
	WrapUp time.Duration
}

// Handle is the time one call occupies an agent: talk plus wrap-up.
func (l LineLoad) Handle() time.Duration { return l.Talk + l.WrapUp }

// Remaining is the time until an agent in state, which it entered at
// since (wrap-ups end at wrapUntil), can take a call at now, given the
// talk times of the store's recent calls: zero when available, a whole
// average call plus wrap-up when its desk rings, the expected rest of the
// call plus wrap-up when on a call, the rest of the wrap-up in wrap-up.
func Remaining(state string, since time.Time, wrapUntil *time.Time, now time.Time, recent []time.Duration, wrapUp time.Duration) time.Duration {
	switch state {
	case AgentRinging:
		return AverageTalk(recent) + wrapUp
	case AgentOnCall:
		return restOfCall(now.Sub(since), recent) + wrapUp
	case AgentWrapUp:
		if wrapUntil != nil {
			return max(wrapUntil.Sub(now), 0)
		}
		return wrapUp
	default:
		return 0
	}
}

// restOfCall is the expected rest of a call that has lasted elapsed: how
// much longer the recent calls that lasted at least as long went on, on
// average. A call longer than all of them is given an eighth of the
// average talk time more.
func restOfCall(elapsed time.Duration, recent []time.Duration) time.Duration {
	if len(recent) == 0 {
		return max(DefaultHandle-elapsed, DefaultHandle/8)
	}
	if len(recent) > RecentCalls {
		recent = recent[:RecentCalls]
	}
	var sum time.Duration
	n := 0
	for _, d := range recent {
		if d >= elapsed {
			sum += d - elapsed
			n++
		}
	}
	if n == 0 {
		return AverageTalk(recent) / 8
	}
	return sum / time.Duration(n)
}

// EstimateWait is the expected wait of the shopper at position (1 is the
// next to be answered) in the line: the shoppers ahead take, in turn, the
// agent that frees soonest, each occupying it one handle time (talk plus
// wrap-up); the shopper's wait is the moment the position-th agent frees.
// A line nobody staffs is counted as one agent half-way through a call
// (the store is closed, and a shopper who waits is offered a message or a
// call back anyway).
func EstimateWait(position int, l LineLoad) time.Duration {
	if position < 1 {
		return 0
	}
	free := slices.Clone(l.Agents)
	if len(free) == 0 {
		free = []time.Duration{l.Handle() / 2}
	}
	for range position - 1 {
		k := minIndex(free)
		free[k] += l.Handle()
	}
	return max(free[minIndex(free)], 0)
}

// minIndex is the index of the smallest value.
func minIndex(ds []time.Duration) int {
	k := 0
	for i, d := range ds {
		if d < ds[k] {
			k = i
		}
	}
	return k
}

// waitSeconds is EstimateWait in whole seconds, rounded to the nearest.
func waitSeconds(position int, l LineLoad) int {
	return int(math.Round(EstimateWait(position, l).Seconds()))
}

// AverageTalk is the mean of recent talk times (newest first; only the
// first RecentCalls count), or DefaultHandle when there are none yet.
func AverageTalk(recent []time.Duration) time.Duration {
	if len(recent) > RecentCalls {
		recent = recent[:RecentCalls]
	}
	if len(recent) == 0 {
		return DefaultHandle
	}
	var sum time.Duration
	for _, d := range recent {
		sum += max(d, 0)
	}
	return sum / time.Duration(len(recent))
}

// lineLoad is what the estimate needs to know of a store's line right
// now (see LineLoad), how many of its agents are available and how many
// are online at all (away ones too).
func (q *Queue) lineLoad(ctx context.Context, storeID int64) (l LineLoad, free, online int) {
	recent := q.recentTalks(ctx, storeID)
	l = LineLoad{Talk: AverageTalk(recent), WrapUp: q.cfg.WrapUp}
	ids, err := q.onlineAgents(ctx, storeID)
	if err != nil || len(ids) == 0 {
		return l, 0, 0
	}
	var states []AgentState
	q.db.WithContext(ctx).Where("account_id IN ?", ids).Find(&states)
	now := time.Now().UTC()
	for _, s := range states {
		e := s.effective(now)
		switch e.State {
		case AgentAvailable:
			free++
		case AgentRinging, AgentOnCall, AgentWrapUp:
		default:
			continue // away or offline: not staffing the line
		}
		l.Agents = append(l.Agents, Remaining(e.State, e.Since, e.WrapUntil, now, recent, l.WrapUp))
	}
	return l, free, len(ids)
}

// recentTalks lists the talk times (answered to ended) of the store's last
// RecentCalls served calls, newest first.
func (q *Queue) recentTalks(ctx context.Context, storeID int64) []time.Duration {
	var rows []struct {
		AnsweredAt time.Time
		EndedAt    time.Time
	}
	q.db.WithContext(ctx).Model(&QueueEntry{}).Select("answered_at, ended_at").
		Where("store_id = ? AND state = ? AND answered_at IS NOT NULL AND ended_at IS NOT NULL", storeID, EntryServed).
		Order("ended_at DESC").Limit(RecentCalls).Scan(&rows)
	recent := make([]time.Duration, len(rows))
	for i, row := range rows {
		recent[i] = row.EndedAt.Sub(row.AnsweredAt)
	}
	return recent
}
