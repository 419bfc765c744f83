package agentdesk

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/livemall/livemall/mall"
	"github.com/livemall/livemall/media"
)

// LiveView is a store's contact center right now, as its supervisor sees it.
type LiveView struct {
	Store                media.StoreRef `json:"store"`
	QueueLength          int            `json:"queueLength"`
	Callbacks            int            `json:"callbacks"`
	LongestWaitSeconds   int            `json:"longestWaitSeconds"`
	Agents               []LiveAgent    `json:"agents"`
	CallsToday           int            `json:"callsToday"`
	AnsweredToday        int            `json:"answeredToday"`
	AnsweredWithin20s    float64        `json:"answeredWithin20s"`
	AverageHandleSeconds float64        `json:"averageHandleSeconds"`
	Conversion           float64        `json:"conversion"`
	// AttachRate is the share of today's answered engagements whose order
	// holds an add-on the agent suggested.
	AttachRate float64 `json:"attachRate"`
}

// LiveAgent is one agent's state in the live view.
type LiveAgent struct {
	Name       string    `json:"name"`
	State      string    `json:"state"`
	Since      time.Time `json:"since"`
	Served     int       `json:"servedToday"`
	AttachRate float64   `json:"attachRate"`
}

// serviceLevel is the answer time the service level counts.
const serviceLevel = 20 * time.Second

// Live computes the store's live figures. "Today" starts at midnight UTC.
func (r *Router) Live(ctx context.Context, storeID int64) (*LiveView, error) {
	db := r.db.WithContext(ctx)
	now := time.Now().UTC()
	day := now.Truncate(24 * time.Hour)
	out := &LiveView{Store: r.storeRef(ctx, storeID), Agents: []LiveAgent{}}
	var line []QueueEntry
	if err := db.Where("store_id = ? AND state IN ?", storeID, []string{EntryWaiting, EntryOffered, EntryCallback}).Order("entered_at").Find(&line).Error; err != nil {
		return nil, err
	}
	for _, e := range line {
		if e.Callback {
			out.Callbacks++
			continue
		}
		out.QueueLength++
		if w := int(now.Sub(e.EnteredAt).Seconds()); w > out.LongestWaitSeconds {
			out.LongestWaitSeconds = w
		}
	}
	attach, err := r.attachRates(ctx, storeID, day)
	if err != nil {
		return nil, err
	}
	var agents []struct {
		ID        string
		Name      string
		State     *string
		Since     *time.Time
		WrapUntil *time.Time
	}
	if err := db.Table("accounts AS a").Select("a.id, a.name, s.state, s.since, s.wrap_until").Joins("LEFT JOIN agent_states s ON s.account_id = a.id").
		Where("a.store_id = ? AND a.role = ?", storeID, "agent").Order("a.name").Scan(&agents).Error; err != nil {
		return nil, err
	}
	for _, a := range agents {
		st := AgentState{State: AgentOffline, Since: now}
		if a.State != nil {
			st.State, st.Since, st.WrapUntil = *a.State, *a.Since, a.WrapUntil
		}
		st = st.effective(now)
		la := LiveAgent{Name: a.Name, State: st.State, Since: st.Since}
		if r, ok := attach[a.ID]; ok {
			la.Served, la.AttachRate = r.served, r.rate()
		}
		out.Agents = append(out.Agents, la)
	}
	var served, attached int
	for _, r := range attach {
		served, attached = served+r.served, attached+r.attached
	}
	out.AttachRate = attachment{served: served, attached: attached}.rate()
	var today []QueueEntry
	if err := db.Where("store_id = ? AND entered_at >= ?", storeID, day).Find(&today).Error; err != nil {
		return nil, err
	}
	var within, handled int
	var handle time.Duration
	for _, e := range today {
		out.CallsToday++
		if e.AnsweredAt == nil || e.Callback {
			continue
		}
		out.AnsweredToday++
		if e.AnsweredAt.Sub(e.EnteredAt) <= serviceLevel {
			within++
		}
		if e.EndedAt != nil {
			handled++
			handle += e.EndedAt.Sub(*e.AnsweredAt)
		}
	}
	if out.CallsToday > 0 {
		out.AnsweredWithin20s = float64(within) / float64(out.CallsToday)
	}
	if handled > 0 {
		out.AverageHandleSeconds = handle.Seconds() / float64(handled)
	}
	if out.AnsweredToday > 0 {
		var sold int64
		db.Table("queue_entries AS e").Where("e.store_id = ? AND e.entered_at >= ? AND e.answered_at IS NOT NULL", storeID, day).
			Where("e.outcome = ? OR EXISTS (SELECT 1 FROM orders o WHERE o.store_id = e.store_id AND o.state IN ? AND o.created_at >= e.entered_at AND (o.account_id = e.account_id OR o.guest_hash = e.guest_hash))",
				"sold", []string{"paid", "confirmed"}).Count(&sold)
		out.Conversion = float64(sold) / float64(out.AnsweredToday)
	}
	return out, nil
}

// attachment counts an agent's answered engagements and those whose order
// holds an add-on they suggested.
type attachment struct{ served, attached int }

func (a attachment) rate() float64 {
	if a.served == 0 {
		return 0
	}
	return float64(a.attached) / float64(a.served)
}

// attachRates counts, per agent, today's answered engagements and those
// that ended in a paid order holding an add-on the agent suggested.
func (r *Router) attachRates(ctx context.Context, storeID int64, day time.Time) (map[string]attachment, error) {
	var rows []struct {
		AgentAccountID string
		Served         int
		Attached       int
	}
	err := r.db.WithContext(ctx).Table("queue_entries AS e").
		Select(`e.agent_account_id, COUNT(*) AS served, SUM(CASE WHEN EXISTS (SELECT 1 FROM orders o JOIN order_lines l ON l.order_id = o.id
			WHERE o.store_id = e.store_id AND o.state IN ('paid', 'confirmed') AND o.created_at >= e.entered_at AND l.suggested_by = e.agent_account_id
			AND (o.account_id = e.account_id OR o.guest_hash = e.guest_hash)) THEN 1 ELSE 0 END) AS attached`).
		Where("e.store_id = ? AND e.entered_at >= ? AND e.answered_at IS NOT NULL AND e.agent_account_id IS NOT NULL", storeID, day).
		Group("e.agent_account_id").Scan(&rows).Error
	out := make(map[string]attachment, len(rows))
	for _, row := range rows {
		out[row.AgentAccountID] = attachment{served: row.Served, attached: row.Attached}
	}
	return out, err
}

// QueueStatus says, per store, whether the skyline shows it open with
// agents free, busy with the current wait, or closed.
func (r *Router) QueueStatus(ctx context.Context, storeIDs []int64) map[int64]mall.QueueView {
	out := make(map[int64]mall.QueueView, len(storeIDs))
	now := time.Now().UTC()
	for _, id := range storeIDs {
		online, err := r.onlineAgents(ctx, id)
		if err != nil {
			continue
		}
		v := mall.QueueView{State: "closed"}
		if len(online) > 0 {
			var states []AgentState
			r.db.WithContext(ctx).Where("account_id IN ?", online).Find(&states)
			for _, s := range states {
				if s.effective(now).State == AgentAvailable {
					v.AgentsFree++
				}
			}
			var waiting int64
			r.db.WithContext(ctx).Model(&QueueEntry{}).Where("store_id = ? AND state IN ?", id, []string{EntryWaiting, EntryOffered}).Count(&waiting)
			v.Waiting = int(waiting)
			v.State = "open"
			if v.AgentsFree == 0 || v.Waiting >= v.AgentsFree {
				v.State = "busy"
				v.WaitSeconds = estimateWait(v.Waiting+1, len(online), r.averageHandle(ctx, id))
			}
		}
		out[id] = v
	}
	return out
}

// Collector exports every store's live figures as Prometheus metrics,
// computed when scraped.
func (r *Router) Collector() prometheus.Collector { return &liveCollector{r: r} }

type liveCollector struct{ r *Router }

var (
	descQueue    = prometheus.NewDesc("livemall_queue_length", "Shoppers waiting in the store's queue.", []string{"store"}, nil)
	descLongest  = prometheus.NewDesc("livemall_queue_longest_wait_seconds", "How long the store's longest-waiting shopper has waited.", []string{"store"}, nil)
	descAgents   = prometheus.NewDesc("livemall_agents", "The store's agents by state.", []string{"store", "state"}, nil)
	descCalls    = prometheus.NewDesc("livemall_calls_today", "Calls to the store's queue today (UTC).", []string{"store"}, nil)
	descWithin   = prometheus.NewDesc("livemall_answered_within_20s_ratio", "Share of today's calls answered within 20 s.", []string{"store"}, nil)
	descHandle   = prometheus.NewDesc("livemall_average_handle_seconds", "Average handle time of today's answered calls.", []string{"store"}, nil)
	descConverts = prometheus.NewDesc("livemall_conversion_ratio", "Share of today's answered calls that ended in a sale.", []string{"store"}, nil)
	descAttach   = prometheus.NewDesc("livemall_addon_attach_ratio", "Share of today's answered calls whose order holds an add-on the agent suggested.", []string{"store"}, nil)
)

func (l *liveCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descQueue, descLongest, descAgents, descCalls, descWithin, descHandle, descConverts, descAttach} {
		ch <- d
	}
}

func (l *liveCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stores, _ := l.r.stores.StoreIDs(ctx)
	for _, id := range stores {
		v, err := l.r.Live(ctx, id)
		if err != nil {
			continue
		}
		slug := v.Store.Slug
		ch <- prometheus.MustNewConstMetric(descQueue, prometheus.GaugeValue, float64(v.QueueLength), slug)
		ch <- prometheus.MustNewConstMetric(descLongest, prometheus.GaugeValue, float64(v.LongestWaitSeconds), slug)
		counts := map[string]int{AgentOffline: 0, AgentAvailable: 0, AgentRinging: 0, AgentOnCall: 0, AgentWrapUp: 0, AgentAway: 0}
		for _, a := range v.Agents {
			counts[a.State]++
		}
		for state, n := range counts {
			ch <- prometheus.MustNewConstMetric(descAgents, prometheus.GaugeValue, float64(n), slug, state)
		}
		ch <- prometheus.MustNewConstMetric(descCalls, prometheus.GaugeValue, float64(v.CallsToday), slug)
		ch <- prometheus.MustNewConstMetric(descWithin, prometheus.GaugeValue, v.AnsweredWithin20s, slug)
		ch <- prometheus.MustNewConstMetric(descHandle, prometheus.GaugeValue, v.AverageHandleSeconds, slug)
		ch <- prometheus.MustNewConstMetric(descConverts, prometheus.GaugeValue, v.Conversion, slug)
		ch <- prometheus.MustNewConstMetric(descAttach, prometheus.GaugeValue, v.AttachRate, slug)
	}
}
