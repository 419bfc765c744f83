package agentdesk

import (
	"context"
	"errors"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/livemall/livemall/appointments"
)

// Bookings is what routing needs from the appointments: which appointment
// and agent a shopper's booked call belongs to (*appointments.Service
// implements it). The queue asks it with the token the shopper's call
// carries and trusts only its answer.
type Bookings interface {
	// BookedCall returns the appointment of token, the agent it was booked
	// with, the name the shopper booked under and the start of its slot,
	// provided the appointment belongs to storeID and may be joined now;
	// any other token is an error.
	BookedCall(ctx context.Context, storeID int64, token string) (appointments.BookedCall, error)
}

// BookedPreference is how long, from the moment a booked shopper joins
// the line, their call is offered only to the agent they booked (while
// that agent is online and not away: busy on a call or wrapping up, they
// are still the one the shopper booked). After it — or as soon as that
// agent declines, lets it ring out, goes away or goes offline — any free
// agent of the store may take the call; it keeps its place at the front of
// the line either way. Two minutes: long enough for the booked agent to
// finish a short call, short enough that a shopper who came at the agreed
// time is not kept waiting for one person.
const BookedPreference = 2 * time.Minute

// lineOrder is the order of a store's line: booked calls first (they had
// an appointment), then first come, first served.
const lineOrder = "CASE WHEN preferred_agent_id IS NULL THEN 1 ELSE 0 END, entered_at, id"

// lineBefore reports whether entry a stands before b in lineOrder.
func lineBefore(a, b *QueueEntry) bool {
	ab, bb := a.PreferredAgentID != nil, b.PreferredAgentID != nil
	if ab != bb {
		return ab
	}
	if !a.EnteredAt.Equal(b.EnteredAt) {
		return a.EnteredAt.Before(b.EnteredAt)
	}
	return a.ID < b.ID
}

// book marks the entry of a booked call: the booked agent is preferred
// for BookedPreference, the desk's context says whose appointment it is,
// and the entry claims the appointment (appointment_id), which a token may
// do once (see Enter). A token that does not check out (another store's,
// cancelled, missed, over, not yet due, or not a token at all) leaves an
// ordinary call: it is logged as a warning (a refused capability token may
// be a guess), never an error that would keep the shopper from the store.
func (q *Queue) book(ctx context.Context, e *QueueEntry, c *ShopperContext, token string) {
	if q.bookings == nil || token == "" {
		return
	}
	b, err := q.bookings.BookedCall(ctx, e.StoreID, token)
	if err != nil || b.AgentID == "" {
		q.log.Warn("appointment token ignored: the call queues as any other", "store", e.StoreID, "entry", e.ID, "err", err)
		return
	}
	until := e.EnteredAt.Add(BookedPreference)
	e.AppointmentID = &b.AppointmentID
	e.PreferredAgentID, e.PreferredUntil = &b.AgentID, &until
	if !c.Member && b.Name != "" {
		e.ShopperName = b.Name // a guest has no name of their own: the desk's line shows the booking's
	}
	refs, _ := q.accounts.Refs(ctx, []string{b.AgentID})
	c.Booking = &ContextBooking{StartsAt: b.StartsAt.UTC(), Name: b.Name, AgentID: b.AgentID, AgentName: refs[b.AgentID].Name}
}

// unbook turns the entry book marked back into an ordinary call (its
// appointment is claimed by another call), with shopperName, the name it
// had before.
func unbook(e *QueueEntry, c *ShopperContext, shopperName string) {
	e.AppointmentID, e.PreferredAgentID, e.PreferredUntil = nil, nil, nil
	e.ShopperName = shopperName
	c.Booking = nil
	e.Context = contextJSON(*c)
}

// endPreference lets any agent take the booked entry from now on (its
// booked agent declined or let it ring out); the entry keeps its place.
func endPreference(tx *gorm.DB, entryID, agentID string, now time.Time) error {
	return tx.Model(&QueueEntry{}).Where("id = ? AND preferred_agent_id = ? AND preferred_until > ?", entryID, agentID, now).
		Update("preferred_until", now).Error
}

// pickPair chooses, in tx, the next shopper of the store to offer and the
// agent to ring: free agents are taken longest idle first, the line in
// lineOrder. A booked entry whose preference holds (its agent is online,
// not away, and BookedPreference has not passed) may go only to its
// booked agent, and no other shopper takes that agent while it waits;
// every other entry goes to the longest-idle free agent. So a booked call
// whose agent is busy does not block the line behind it. errNoMatch says
// there is nothing to pair.
func pickPair(tx *gorm.DB, storeID int64, online []string, now time.Time) (*QueueEntry, *AgentState, error) {
	var agents []AgentState
	if err := tx.Where("store_id = ? AND account_id IN ?", storeID, online).Order("idle_since, account_id").Find(&agents).Error; err != nil {
		return nil, nil, err
	}
	var free []*AgentState
	freeByID := map[string]*AgentState{}
	for i := range agents {
		a := &agents[i]
		if a.State == AgentAvailable || (a.State == AgentWrapUp && a.WrapUntil != nil && !a.WrapUntil.After(now)) {
			free = append(free, a)
			freeByID[a.AccountID] = a
		}
	}
	if len(free) == 0 {
		return nil, nil, errNoMatch
	}
	// A place whose shopper lost their call (conn_id empty) is kept but
	// not offered: nobody would answer.
	inLineNow := func() *gorm.DB {
		return tx.Where("store_id = ? AND state IN ? AND conn_id <> ''", storeID, inLine)
	}
	// An agent who is away holds no booked call: it goes to any free agent
	// at once, as when its agent is offline, and comes back to them only
	// if it is still waiting when they are.
	away := map[string]bool{}
	for _, a := range agents {
		if a.State == AgentAway {
			away[a.AccountID] = true
		}
	}
	holders := slices.DeleteFunc(slices.Clone(online), func(id string) bool { return away[id] })
	var held []QueueEntry
	if err := inLineNow().Where("preferred_until > ? AND preferred_agent_id IN ?", now, holders).Order(lineOrder).Find(&held).Error; err != nil {
		return nil, nil, err
	}
	heldIDs := make([]string, 0, len(held))
	reserved := map[string]bool{}
	var pick *QueueEntry
	var agent *AgentState
	for i := range held {
		h := &held[i]
		heldIDs = append(heldIDs, h.ID)
		reserved[*h.PreferredAgentID] = true
		if a, ok := freeByID[*h.PreferredAgentID]; ok && pick == nil {
			pick, agent = h, a
		}
	}
	open := inLineNow()
	if len(heldIDs) > 0 {
		open = open.Where("id NOT IN ?", heldIDs)
	}
	var first QueueEntry
	err := open.Order(lineOrder).Take(&first).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
	case err != nil:
		return nil, nil, err
	default:
		for _, a := range free {
			if reserved[a.AccountID] {
				continue // a booked call waits for this agent
			}
			if pick == nil || lineBefore(&first, pick) {
				pick, agent = &first, a
			}
			break
		}
	}
	if pick == nil {
		return nil, nil, errNoMatch
	}
	return pick, agent, nil
}
