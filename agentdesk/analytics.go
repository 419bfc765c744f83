package agentdesk

import (
	"cmp"
	"context"
	"slices"
	"time"
	_ "time/tzdata" // stores' time zones, wherever the binary runs

	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/mall"
	"github.com/livemall/livemall/media"
)

// How the analytics count (ANALYTICS.md says the same for readers):
//
//   - A call is offered on the day (store's time zone) it entered the
//     store's line; it is answered when an agent answered it, abandoned
//     when the shopper hung up before. Calls that ended in a message or a
//     call back are offered and neither.
//   - Service level: the share of offered calls answered within the
//     store's threshold. Average wait: from entering the line to the
//     answer, over answered calls. Average handle: from answer to
//     hang-up, over answered calls that ended.
//   - A paid order belongs to the last call of its shopper in the store
//     that was answered before the payment and ended at most 24 h before
//     it (or goes on), and so to that call's agent. An answered call with
//     at least one such order converted; conversion is their share of the
//     answered calls.
//   - An order's add-ons are its lines an agent suggested and the shopper
//     kept; the attach rate is the share of the calls' orders with one.
//     Revenue counts order totals (tax included), add-on revenue the
//     add-on lines' prices (before tax).
//   - An agent who handed a call on to a colleague of the store (a
//     completed transfer, or one into the store's own line) is credited
//     with its orders as assisted: the orders stay the closing agent's,
//     and the store's totals count them once.

// attributionWindow is how long after a call ends an order paid still
// belongs to it.
const attributionWindow = 24 * time.Hour

// callLookaround is how far around the range calls and payments are read
// so that each payment finds its call: a call of the range may be paid for
// a day after it ended, and a later call may take a payment over.
const callLookaround = 48 * time.Hour

// Figures are the counts and rates of a set of calls. A rate without a
// denominator (no calls, no orders) is null.
type Figures struct {
	Offered              int      `json:"offered"`
	Answered             int      `json:"answered"`
	Abandoned            int      `json:"abandoned"`
	WithinServiceLevel   int      `json:"withinServiceLevel"`
	ServiceLevel         *float64 `json:"serviceLevel"`
	AverageWaitSeconds   *float64 `json:"averageWaitSeconds"`
	AverageHandleSeconds *float64 `json:"averageHandleSeconds"`
	Converted            int      `json:"converted"`
	Conversion           *float64 `json:"conversion"`
	Orders               int      `json:"orders"`
	OrdersWithAddOns     int      `json:"ordersWithAddOns"`
	AttachRate           *float64 `json:"attachRate"`
	RevenueMinor         int64    `json:"revenueMinor"`
	AddOnRevenueMinor    int64    `json:"addOnRevenueMinor"`
	// AssistedOrders are the orders of calls handed on to a colleague,
	// credited to the agent who handed them on (an attributed sale);
	// AssistedRevenueMinor their totals. Not in Orders.
	AssistedOrders       int   `json:"assistedOrders"`
	AssistedRevenueMinor int64 `json:"assistedRevenueMinor"`
}

// ReportDay is one day's figures.
type ReportDay struct {
	Day string `json:"day"` // YYYY-MM-DD, the store's day
	Figures
}

// ReportAgent is one agent's figures over the range.
type ReportAgent struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Figures
}

// Report is a store's figures (or one agent's) over a range of days.
type Report struct {
	Store               media.StoreRef `json:"store"`
	Range               ReportRange    `json:"range"`
	ServiceLevelSeconds int            `json:"serviceLevelSeconds"`
	Currency            string         `json:"currency"`
	Agent               *ReportAgent   `json:"agent,omitempty"` // set when the report is one agent's
	Totals              Figures        `json:"totals"`
	Days                []ReportDay    `json:"days"`
	Agents              []ReportAgent  `json:"agents"` // the store's report only: every agent, by name
}

// ReportQuery asks for a report: the store, the range (its Preset, First
// and Last as ParseReportRange reads them; the store's time zone applies)
// and, for one agent's figures, the agent.
type ReportQuery struct {
	StoreID          int64
	Preset, From, To string
	AgentID          string
	// Now says which day is today; zero means the clock's.
	Now time.Time
}

// tally sums figures before the rates are taken.
type tally struct {
	f            Figures
	wait, handle time.Duration
	handled      int
}

func (t *tally) call(c *reportCall, level time.Duration) {
	t.f.Offered++
	switch {
	case c.AnsweredAt != nil:
		t.f.Answered++
		w := c.AnsweredAt.Sub(c.EnteredAt)
		t.wait += w
		if w <= level {
			t.f.WithinServiceLevel++
		}
		if c.EndedAt != nil {
			t.handled++
			t.handle += c.EndedAt.Sub(*c.AnsweredAt)
		}
	case c.State == EntryAbandoned:
		t.f.Abandoned++
	}
	if len(c.sales) > 0 {
		t.f.Converted++
	}
	for _, s := range c.sales {
		t.f.Orders++
		t.f.RevenueMinor += s.TotalMinor
		if s.AddOnLines > 0 {
			t.f.OrdersWithAddOns++
			t.f.AddOnRevenueMinor += s.AddOnMinor
		}
	}
}

// assist credits the call's orders as assisted.
func (t *tally) assist(c *reportCall) {
	for _, s := range c.sales {
		t.f.AssistedOrders++
		t.f.AssistedRevenueMinor += s.TotalMinor
	}
}

func ratio(n, d int) *float64 {
	if d == 0 {
		return nil
	}
	return new(float64(n) / float64(d))
}

func mean(sum time.Duration, n int) *float64 {
	if n == 0 {
		return nil
	}
	return new(sum.Seconds() / float64(n))
}

func (t *tally) figures() Figures {
	f := t.f
	f.ServiceLevel = ratio(f.WithinServiceLevel, f.Offered)
	f.AverageWaitSeconds = mean(t.wait, f.Answered)
	f.AverageHandleSeconds = mean(t.handle, t.handled)
	f.Conversion = ratio(f.Converted, f.Answered)
	f.AttachRate = ratio(f.OrdersWithAddOns, f.Orders)
	return f
}

// reportCall is a queue entry as the analytics read it, with the sales
// that belong to it.
type reportCall struct {
	ID             string     `gorm:"column:id"`
	AccountID      *string    `gorm:"column:account_id"`
	GuestHash      *string    `gorm:"column:guest_hash"`
	State          string     `gorm:"column:state"`
	AgentAccountID *string    `gorm:"column:agent_account_id"`
	EnteredAt      time.Time  `gorm:"column:entered_at"`
	AnsweredAt     *time.Time `gorm:"column:answered_at"`
	EndedAt        *time.Time `gorm:"column:ended_at"`
	sales          []mall.PaidSale
	assists        []string // agents who handed the call on to its agent
}

// assistedBy reports whether agentID handed the call on (and did not
// close it).
func (c *reportCall) assistedBy(agentID string) bool {
	return slices.Contains(c.assists, agentID) && (c.AgentAccountID == nil || *c.AgentAccountID != agentID)
}

func (c *reportCall) shopperKey() string {
	if c.AccountID != nil {
		return "a:" + *c.AccountID
	}
	if c.GuestHash != nil {
		return "g:" + *c.GuestHash
	}
	return ""
}

func saleShopperKey(s *mall.PaidSale) string {
	if s.AccountID != nil {
		return "a:" + *s.AccountID
	}
	if s.GuestHash != nil {
		return "g:" + *s.GuestHash
	}
	return ""
}

// Report computes the figures q asks for in three queries: the store's
// calls around the range, its payments around the range and their add-on
// lines. Who may see them is the caller's to check (the desk's handler).
func (g *Engagements) Report(ctx context.Context, q ReportQuery) (*Report, error) {
	terms, err := g.sales.ReportTermsOf(ctx, q.StoreID)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(terms.TimeZone)
	if err != nil {
		g.log.Warn("store time zone unknown: its figures count UTC days", "store", q.StoreID, "zone", terms.TimeZone)
		loc = time.UTC
	}
	now := q.Now
	if now.IsZero() {
		now = time.Now()
	}
	r, err := ParseReportRange(q.Preset, q.From, q.To, now, loc)
	if err != nil {
		return nil, err
	}
	level := time.Duration(terms.ServiceLevelSeconds) * time.Second
	out := &Report{Store: storeRefOf(ctx, g.sales, q.StoreID), Range: r, ServiceLevelSeconds: terms.ServiceLevelSeconds, Currency: mall.Currency, Agents: []ReportAgent{}}

	var calls []*reportCall
	if err := g.db.WithContext(ctx).Model(&QueueEntry{}).
		Select("id, account_id, guest_hash, state, agent_account_id, entered_at, answered_at, ended_at").
		Where("store_id = ? AND entered_at >= ? AND entered_at < ?", q.StoreID, r.Start.Add(-callLookaround), r.End.Add(callLookaround)).
		Order("entered_at, id").Scan(&calls).Error; err != nil {
		return nil, err
	}
	sales, err := g.sales.SalesPaidBetween(ctx, q.StoreID, r.Start, r.End.Add(callLookaround))
	if err != nil {
		return nil, err
	}
	attribute(calls, sales)
	if err := g.readAssists(ctx, q.StoreID, r, calls); err != nil {
		return nil, err
	}

	days := r.Days()
	dayTallies := make([]tally, len(days))
	var total tally
	agents := map[string]*tally{}
	for _, c := range calls {
		i := r.dayOf(c.EnteredAt, days)
		if i < 0 {
			continue
		}
		tallyOf := func(id string) *tally {
			t := agents[id]
			if t == nil {
				t = &tally{}
				agents[id] = t
			}
			return t
		}
		if q.AgentID != "" && (c.AgentAccountID == nil || *c.AgentAccountID != q.AgentID) {
			if c.assistedBy(q.AgentID) {
				total.assist(c)
				dayTallies[i].assist(c)
				tallyOf(q.AgentID).assist(c)
			}
			continue
		}
		total.call(c, level)
		dayTallies[i].call(c, level)
		if q.AgentID == "" && slices.ContainsFunc(c.assists, c.assistedBy) {
			total.assist(c)
			dayTallies[i].assist(c)
		}
		if c.AgentAccountID != nil {
			tallyOf(*c.AgentAccountID).call(c, level)
		}
		if q.AgentID == "" {
			for _, a := range c.assists {
				if c.assistedBy(a) {
					tallyOf(a).assist(c)
				}
			}
		}
	}
	out.Totals = total.figures()
	out.Days = make([]ReportDay, len(days))
	for i, d := range days {
		out.Days[i] = ReportDay{Day: d.In(loc).Format(time.DateOnly), Figures: dayTallies[i].figures()}
	}

	ids := []string{q.AgentID}
	if q.AgentID == "" {
		if ids, err = g.accounts.StaffOf(ctx, q.StoreID, auth.RoleAgent); err != nil {
			return nil, err
		}
		for id := range agents {
			if !slices.Contains(ids, id) {
				ids = append(ids, id) // a supervisor who took calls, or a former agent
			}
		}
	}
	refs, err := g.accounts.Refs(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		a := ReportAgent{ID: id, Name: refs[id].Name}
		if t := agents[id]; t != nil {
			a.Figures = t.figures()
		} else {
			a.Figures = (&tally{}).figures()
		}
		out.Agents = append(out.Agents, a)
	}
	slices.SortFunc(out.Agents, func(a, b ReportAgent) int { return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID)) })
	if q.AgentID != "" {
		out.Agent = &out.Agents[0]
		out.Agents = []ReportAgent{}
	}
	return out, nil
}

// attribute gives each sale to the last call of its shopper answered
// before the payment that ended at most attributionWindow before it.
// calls are in order of entering the line.
func attribute(calls []*reportCall, sales []mall.PaidSale) {
	byShopper := map[string][]*reportCall{}
	for _, c := range calls {
		if k := c.shopperKey(); k != "" && c.AnsweredAt != nil {
			byShopper[k] = append(byShopper[k], c)
		}
	}
	for i := range sales {
		s := &sales[i]
		var best *reportCall
		for _, c := range byShopper[saleShopperKey(s)] {
			if c.AnsweredAt.After(s.PaidAt) || (c.EndedAt != nil && s.PaidAt.After(c.EndedAt.Add(attributionWindow))) {
				continue
			}
			if best == nil || c.AnsweredAt.After(*best.AnsweredAt) {
				best = c
			}
		}
		if best != nil {
			best.sales = append(best.sales, *s)
		}
	}
}

// readAssists notes on each call who handed it on to a colleague of the
// store: transfers completed to a colleague, or into the store's own
// line (a transfer to another store's line leaves this store).
func (g *Engagements) readAssists(ctx context.Context, storeID int64, r ReportRange, calls []*reportCall) error {
	var rows []struct {
		EntryID     string `gorm:"column:entry_id"`
		FromAgentID string `gorm:"column:from_agent_id"`
	}
	err := g.db.WithContext(ctx).Model(&Transfer{}).Select("entry_id, from_agent_id").
		Where("store_id = ? AND to_store_id = ? AND state IN ? AND created_at >= ? AND created_at < ?",
			storeID, storeID, []string{transferCompleted, transferQueued}, r.Start.Add(-callLookaround), r.End.Add(callLookaround)).
		Order("created_at, id").Scan(&rows).Error
	if err != nil {
		return err
	}
	byID := make(map[string]*reportCall, len(calls))
	for _, c := range calls {
		byID[c.ID] = c
	}
	for _, row := range rows {
		if c := byID[row.EntryID]; c != nil && !slices.Contains(c.assists, row.FromAgentID) {
			c.assists = append(c.assists, row.FromAgentID)
		}
	}
	return nil
}
