package agentdesk

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/livemall/livemall/media"
)

// What the supervisors' steps into calls show: the calls in progress in
// the live view, the steps on the engagement, and who watches an
// engagement's co-browse and board.

// LiveCall is a call in progress in the supervisor's live view.
type LiveCall struct {
	EntryID string `json:"entryId"`
	// CallID is the call's id: the desk takes its media (rtc.offer) by it.
	CallID     string          `json:"callId"`
	Agent      string          `json:"agent"`
	Shopper    string          `json:"shopper"`
	Member     bool            `json:"member"`
	AnsweredAt time.Time       `json:"answeredAt"`
	Product    *ContextProduct `json:"product,omitempty"`
	// CartMinor is the shopper's cart now, in Currency ("" while empty).
	CartMinor int64  `json:"cartMinor"`
	CartItems int    `json:"cartItems"`
	Currency  string `json:"currency"`
	// Supervising is the viewer's own mode in the call ("" when not in it).
	Supervising string `json:"supervising,omitempty"`
	// Supervisors are the store's supervisors in the call now, with their modes.
	Supervisors []SupervisorIn `json:"supervisors"`
}

// SupervisorIn is a supervisor in a call now.
type SupervisorIn struct {
	Name string `json:"name"`
	Mode string `json:"mode"`
}

// SupervisionStep is one step of a supervisor in an engagement, as the
// engagement view lists them.
type SupervisionStep struct {
	Supervisor string    `json:"supervisor"`
	Mode       string    `json:"mode" ts:"'monitor' | 'whisper' | 'barge' | 'stop'"`
	At         time.Time `json:"at"`
}

// maxLiveCalls bounds the calls the live view lists.
const maxLiveCalls = 100

// CallsInProgress lists the store's answered calls still going on, the
// longest first, for the supervisor viewerID: agent, shopper, since when,
// the product they called about, their cart now, and who supervises them.
func (g *Engagements) CallsInProgress(ctx context.Context, storeID int64, viewerID string) ([]LiveCall, error) {
	db := g.db.WithContext(ctx)
	var entries []QueueEntry
	if err := db.Where("store_id = ? AND state = ? AND answered_at IS NOT NULL", storeID, EntryConnected).Order("answered_at").Limit(maxLiveCalls).Find(&entries).Error; err != nil {
		return nil, err
	}
	out := make([]LiveCall, 0, len(entries))
	if len(entries) == 0 {
		return out, nil
	}
	ids := make([]string, 0, len(entries))
	people := []string{}
	for _, e := range entries {
		ids = append(ids, e.ID)
		if e.AgentAccountID != nil {
			people = append(people, *e.AgentAccountID)
		}
	}
	in, err := g.supervisorsIn(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, rows := range in {
		for _, r := range rows {
			people = append(people, r.SupervisorAccountID)
		}
	}
	refs, err := g.accounts.Refs(ctx, people)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		lc := LiveCall{EntryID: e.ID, CallID: e.CallID, Shopper: e.ShopperName, Member: e.AccountID != nil, AnsweredAt: *e.AnsweredAt, Product: e.contextOf().Product, Supervisors: []SupervisorIn{}}
		if e.AgentAccountID != nil {
			lc.Agent = refs[*e.AgentAccountID].Name
		}
		if g.carts != nil {
			if cart, err := g.carts.View(ctx, e.shopperOf()); err == nil && cart != nil {
				lc.CartMinor, lc.CartItems, lc.Currency = cart.TotalMinor, cart.ItemCount, cart.Currency
			}
		}
		for _, r := range in[e.ID] {
			if r.SupervisorAccountID == viewerID {
				lc.Supervising = r.Mode
			}
			lc.Supervisors = append(lc.Supervisors, SupervisorIn{Name: refs[r.SupervisorAccountID].Name, Mode: r.Mode})
		}
		out = append(out, lc)
	}
	return out, nil
}

// supervisorsIn returns, for each of the engagements, the supervisors
// whose latest step is in it and not a stop: who is in those calls now.
func (g *Engagements) supervisorsIn(ctx context.Context, entryIDs []string) (map[string][]supervisionRow, error) {
	var rows []supervisionRow
	err := g.db.WithContext(ctx).Where("entry_id IN ? AND mode <> ?", entryIDs, modeStop).
		Where("NOT EXISTS (SELECT 1 FROM engagement_supervisions t WHERE t.supervisor_account_id = engagement_supervisions.supervisor_account_id AND (t.at > engagement_supervisions.at OR (t.at = engagement_supervisions.at AND t.id > engagement_supervisions.id)))").
		Find(&rows).Error
	if err != nil {
		return nil, err
	}
	out := map[string][]supervisionRow{}
	for _, r := range rows {
		out[r.EntryID] = append(out[r.EntryID], r)
	}
	for _, rs := range out {
		slices.SortFunc(rs, func(a, b supervisionRow) int { return cmp.Compare(a.At.UnixNano(), b.At.UnixNano()) })
	}
	return out, nil
}

// Watchers returns the desk connections of the store's supervisors in the
// live engagement entryID now: they see its co-browse and its board too.
// Nobody watches an engagement that is not live.
func (g *Engagements) Watchers(ctx context.Context, entryID string) ([]string, error) {
	var n int64
	if err := g.db.WithContext(ctx).Model(&QueueEntry{}).Where("id = ? AND state = ?", entryID, EntryConnected).Count(&n).Error; err != nil || n == 0 {
		return nil, err
	}
	in, err := g.supervisorsIn(ctx, []string{entryID})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range in[entryID] {
		out = append(out, r.ConnID)
	}
	return out, nil
}

// supervisionsOf lists the supervisors' steps in the engagement, oldest
// first.
func (g *Engagements) supervisionsOf(ctx context.Context, entryID string) []SupervisionStep {
	var rows []supervisionRow
	if err := g.db.WithContext(ctx).Where("entry_id = ?", entryID).Order("at, id").Find(&rows).Error; err != nil || len(rows) == 0 {
		return []SupervisionStep{}
	}
	ids := make([]string, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.SupervisorAccountID)
	}
	refs, _ := g.accounts.Refs(ctx, ids)
	out := make([]SupervisionStep, 0, len(rows))
	for _, r := range rows {
		out = append(out, SupervisionStep{Supervisor: refs[r.SupervisorAccountID].Name, Mode: r.Mode, At: r.At})
	}
	return out
}

// heardByAgent keeps the steps an agent knew of: a supervisor whispering
// to them or barging in, and the step out after one. Monitoring is unseen,
// in the call and after it; only supervisors read it on the engagement.
func heardByAgent(steps []SupervisionStep) []SupervisionStep {
	out := []SupervisionStep{}
	known := map[string]bool{} // supervisors whose last step the agent knew of
	for _, s := range steps {
		switch s.Mode {
		case ModeWhisper, ModeBarge:
			out, known[s.Supervisor] = append(out, s), true
		case modeStop:
			if known[s.Supervisor] {
				out = append(out, s)
			}
			known[s.Supervisor] = false
		default:
			if known[s.Supervisor] {
				// Back to monitoring: to the agent, the supervisor left.
				out = append(out, SupervisionStep{Supervisor: s.Supervisor, Mode: modeStop, At: s.At})
			}
			known[s.Supervisor] = false
		}
	}
	return out
}

// EngagementWatchers is what the co-browse relay and the whiteboards ask
// of peers that also know who watches an engagement (Engagements does):
// the desk connections of the supervisors in its call now.
type EngagementWatchers interface {
	Watchers(ctx context.Context, entryID string) ([]string, error)
}

// watchersEvery is how long a connection keeps the watchers of an
// engagement before asking again: a co-browse stream sends several
// batches a second, and a supervisor stepping in may wait that long.
const watchersEvery = time.Second

// watching is what a connection remembers of an engagement's watchers.
type watching struct {
	ids []string
	at  time.Time
}

// watchersOf returns the watchers of the engagement entryID as the sender
// conn last asked (at most watchersEvery ago) and whether one of them is
// new since; peers that know no watchers give none.
func watchersOf(ctx context.Context, peers any, c *media.Conn, entryID string) (ids []string, fresh bool) {
	w, ok := peers.(EngagementWatchers)
	if !ok {
		return nil, false
	}
	key := "watchers." + entryID
	prev, _ := c.Get(key).(*watching)
	if prev != nil && time.Since(prev.at) < watchersEvery {
		return prev.ids, false
	}
	ids, err := w.Watchers(ctx, entryID)
	if err != nil {
		if prev != nil {
			return prev.ids, false
		}
		return nil, false
	}
	for _, id := range ids {
		if prev == nil || !slices.Contains(prev.ids, id) {
			fresh = true
		}
	}
	c.Set(key, &watching{ids: ids, at: time.Now()})
	return ids, fresh
}

// toWatchers sends a board message to the supervisors in the engagement's
// call: they see the board as the parties draw it.
func (w *Whiteboard) toWatchers(ctx context.Context, c *media.Conn, entryID, typ string, data any) {
	watchers, _ := watchersOf(ctx, w.peers, c, entryID)
	for _, id := range watchers {
		w.sig.SendToConn(id, typ, data)
	}
}
