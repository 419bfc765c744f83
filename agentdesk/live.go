package agentdesk

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/livemall/livemall/backend/auth"
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
	// Calls are the calls in progress (CallsInProgress; the desk fills
	// them for the supervisor who looks).
	Calls []LiveCall `json:"calls"`
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
func (g *Engagements) Live(ctx context.Context, storeID int64) (*LiveView, error) {
	db := g.db.WithContext(ctx)
	now := time.Now().UTC()
	day := now.Truncate(24 * time.Hour)
	out := &LiveView{Store: storeRefOf(ctx, g.sales, storeID), Agents: []LiveAgent{}}
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
	attach, err := g.attachRates(ctx, storeID, day)
	if err != nil {
		return nil, err
	}
	ids, err := g.accounts.StaffOf(ctx, storeID, auth.RoleAgent)
	if err != nil {
		return nil, err
	}
	refs, err := g.accounts.Refs(ctx, ids)
	if err != nil {
		return nil, err
	}
	var states []AgentState
	if err := db.Where("account_id IN ?", ids).Find(&states).Error; err != nil {
		return nil, err
	}
	stateOf := make(map[string]AgentState, len(states))
	for _, s := range states {
		stateOf[s.AccountID] = s
	}
	agents := make([]auth.AccountRef, 0, len(refs))
	for _, a := range refs {
		agents = append(agents, a)
	}
	slices.SortFunc(agents, func(a, b auth.AccountRef) int { return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID)) })
	for _, a := range agents {
		st := AgentState{State: AgentOffline, Since: now}
		if s, ok := stateOf[a.ID]; ok {
			st.State, st.Since, st.WrapUntil = s.State, s.Since, s.WrapUntil
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
		orders, err := g.paidOrders(ctx, storeID, today)
		if err != nil {
			return nil, err
		}
		var sold int
		for i := range today {
			if today[i].AnsweredAt != nil && soldIn(&today[i], orders) {
				sold++
			}
		}
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
func (g *Engagements) attachRates(ctx context.Context, storeID int64, day time.Time) (map[string]attachment, error) {
	var entries []QueueEntry
	if err := g.db.WithContext(ctx).Where("store_id = ? AND entered_at >= ? AND answered_at IS NOT NULL AND agent_account_id IS NOT NULL", storeID, day).
		Find(&entries).Error; err != nil {
		return nil, err
	}
	orders, err := g.paidOrders(ctx, storeID, entries)
	if err != nil {
		return nil, err
	}
	out := map[string]attachment{}
	for i := range entries {
		e := &entries[i]
		a := out[*e.AgentAccountID]
		a.served++
		if slices.ContainsFunc(orders, func(o mall.PaidOrder) bool {
			return placedIn(e, &o) && slices.Contains(o.SuggestedBy, *e.AgentAccountID)
		}) {
			a.attached++
		}
		out[*e.AgentAccountID] = a
	}
	return out, nil
}

// paidOrders returns the store's paid orders placed since the earliest of
// the entries began (the mall owns the orders).
func (g *Engagements) paidOrders(ctx context.Context, storeID int64, entries []QueueEntry) ([]mall.PaidOrder, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	since := entries[0].EnteredAt
	for _, e := range entries[1:] {
		if e.EnteredAt.Before(since) {
			since = e.EnteredAt
		}
	}
	return g.sales.PaidOrdersSince(ctx, storeID, since)
}

// placedIn reports whether the shopper of the engagement e placed the
// order o with e's store since e began.
func placedIn(e *QueueEntry, o *mall.PaidOrder) bool {
	if o.StoreID != e.StoreID || o.CreatedAt.Before(e.EnteredAt) {
		return false
	}
	return (o.AccountID != nil && e.AccountID != nil && *o.AccountID == *e.AccountID) ||
		(o.GuestHash != nil && e.GuestHash != nil && *o.GuestHash == *e.GuestHash)
}

// soldIn reports whether the engagement e ended in a sale: outcome "sold",
// or a paid order of its shopper in the store since it began.
func soldIn(e *QueueEntry, orders []mall.PaidOrder) bool {
	if e.Outcome != nil && *e.Outcome == "sold" {
		return true
	}
	return slices.ContainsFunc(orders, func(o mall.PaidOrder) bool { return placedIn(e, &o) })
}

// Collector exports every store's live figures as Prometheus metrics,
// computed when scraped.
func (g *Engagements) Collector() prometheus.Collector { return &liveCollector{g: g} }

type liveCollector struct{ g *Engagements }

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
	stores, _ := l.g.sales.StoreIDs(ctx)
	for _, id := range stores {
		v, err := l.g.Live(ctx, id)
		if err != nil {
			continue
		}
		slug := v.Store.Slug
		if slug == "" {
			// The store could not be named (a busy database): two such
			// would be duplicate series and fail the whole scrape.
			continue
		}
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
