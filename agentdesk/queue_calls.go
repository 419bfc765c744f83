package agentdesk

import (
	"context"
	"errors"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/directory"
)

// Enter puts a shopper's call in the store's queue, with the context the
// agent will see. With no agent online the shopper is offered a message or
// a call back at once.
func (q *Queue) Enter(ctx context.Context, qc directory.QueuedCall) error {
	e := &QueueEntry{ID: qc.EntryID, StoreID: qc.StoreID, CallID: qc.CallID, Node: qc.Node, ConnID: qc.ConnID, DeviceID: qc.DeviceID,
		ShopperName: qc.ShopperName, ShopperNumber: qc.ShopperNumber, Video: qc.Video,
		State: EntryWaiting, EnteredAt: time.Now().UTC()}
	c := q.shopperContext(ctx, qc)
	q.book(ctx, e, &c, qc.Appointment)
	e.Context = contextJSON(c)
	if qc.AccountID != "" {
		e.AccountID = &qc.AccountID
	} else {
		e.GuestHash = &qc.Guest
	}
	if qc.ProductID != 0 {
		e.ProductID = &qc.ProductID
	}
	// One statement: gorm's own transaction around it would only add two
	// round trips before the shopper's ring.
	db := q.db.WithContext(ctx).Session(&gorm.Session{SkipDefaultTransaction: true})
	err := db.Create(e).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) && e.AppointmentID != nil {
		// Another call of this appointment holds the front of the line, is
		// connected, or was served: this one queues as any other.
		q.log.Warn("appointment token already used: the call queues as any other", "store", e.StoreID, "entry", e.ID, "appointment", *e.AppointmentID)
		unbook(e, &c, qc.ShopperName)
		err = db.Create(e).Error
	}
	if err != nil {
		return err
	}
	online, err := q.onlineAgents(ctx, qc.StoreID)
	if err == nil && len(online) == 0 {
		q.offerFallback(ctx, e, "no_agents")
	}
	q.kick(qc.StoreID)
	return nil
}

// Answered connects the agent who picked up, if the offer is still theirs:
// the entry and the agent move together, in one transaction.
func (q *Queue) Answered(ctx context.Context, entryID, agentID, agentConnID string) error {
	var storeID int64
	err := q.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := time.Now().UTC()
		res := tx.Model(&QueueEntry{}).Where("id = ? AND state = ? AND agent_account_id = ?", entryID, EntryOffered, agentID).
			Updates(map[string]any{"state": EntryConnected, "answered_at": now, "agent_conn_id": agentConnID})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return apperr.New(apperr.Conflict, "this shopper is no longer offered to you")
		}
		ok, err := moveAgent(tx, agentID, AgentRinging, map[string]any{"state": AgentOnCall, "since": now})
		if err != nil {
			return err
		}
		if !ok {
			return apperr.New(apperr.Conflict, "you are not ringing for this shopper any more")
		}
		return tx.Model(&QueueEntry{}).Where("id = ?", entryID).Pluck("store_id", &storeID).Error
	})
	if err != nil {
		return err
	}
	q.agentChanged(ctx, agentID)
	q.kick(storeID)
	return nil
}

// OfferLapsed puts the shopper back at the head of the line after the
// agent declined or let it ring out (timedOut); either way the agent is set
// away, so the shopper is not offered straight back to them.
func (q *Queue) OfferLapsed(ctx context.Context, entryID, agentID string, timedOut bool) {
	storeID, err := q.takeBack(ctx, entryID, agentID)
	if err != nil {
		q.log.Warn("take back offer", "entry", entryID, "err", err)
		return
	}
	q.agentChanged(ctx, agentID)
	q.kick(storeID)
}

// takeBack returns an offered entry to the line and moves its agent on.
func (q *Queue) takeBack(ctx context.Context, entryID, agentID string) (int64, error) {
	var storeID int64
	err := q.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		e, err := entryOf(tx, entryID)
		if err != nil {
			return err
		}
		storeID = e.StoreID
		back := EntryWaiting
		if e.Callback {
			back = EntryCallback
		}
		res := tx.Model(&QueueEntry{}).Where("id = ? AND state = ? AND agent_account_id = ?", entryID, EntryOffered, agentID).
			Updates(map[string]any{"state": back, "agent_account_id": nil, "offered_at": nil})
		if res.Error != nil || res.RowsAffected != 1 {
			return res.Error
		}
		// The booked agent did not take their booked call: from now on any
		// agent may.
		if err := endPreference(tx, entryID, agentID, time.Now().UTC()); err != nil {
			return err
		}
		_, err = moveAgent(tx, agentID, AgentRinging, map[string]any{"state": AgentAway, "since": time.Now().UTC(), "entry_id": nil})
		return err
	})
	return storeID, err
}

// Chose records the shopper's answer to a fallback offer.
func (q *Queue) Chose(ctx context.Context, entryID, choice string) error {
	changes := map[string]any{}
	switch choice {
	case "message":
		changes["state"] = EntryMessage
	case "callback":
		changes["state"], changes["callback"] = EntryCallback, true
	case "wait":
		changes["fallback_at"] = time.Now().UTC()
	default:
		return apperr.New(apperr.Invalid, "choice must be message, callback or wait, not %q", choice)
	}
	res := q.db.WithContext(ctx).Model(&QueueEntry{}).Where("id = ? AND state = ?", entryID, EntryWaiting).Updates(changes)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return apperr.New(apperr.Conflict, "your place in the queue has changed: an agent may be picking up")
	}
	var storeID int64
	q.db.WithContext(ctx).Model(&QueueEntry{}).Where("id = ?", entryID).Pluck("store_id", &storeID)
	q.kick(storeID)
	return nil
}

// Ended settles an entry whose call is over: a shopper who left before an
// agent answered abandoned the queue; a connected one was served and their
// agent goes into wrap-up.
func (q *Queue) Ended(ctx context.Context, entryID string) {
	var e *QueueEntry
	err := q.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if e, err = entryOf(tx, entryID); err != nil {
			return err
		}
		now := time.Now().UTC()
		switch e.State {
		case EntryWaiting, EntryOffered:
			if err := tx.Model(&QueueEntry{}).Where("id = ? AND state = ?", e.ID, e.State).Updates(map[string]any{"state": EntryAbandoned, "ended_at": now}).Error; err != nil {
				return err
			}
			if e.State == EntryOffered && e.AgentAccountID != nil {
				_, err := moveAgent(tx.Where("entry_id = ?", e.ID), *e.AgentAccountID, AgentRinging, map[string]any{"state": AgentAvailable, "since": now, "entry_id": nil})
				return err
			}
		case EntryConnected:
			if err := tx.Model(&QueueEntry{}).Where("id = ? AND state = ?", e.ID, e.State).Updates(map[string]any{"state": EntryServed, "ended_at": now}).Error; err != nil {
				return err
			}
			wrapUntil := now.Add(q.cfg.WrapUp)
			if e.AgentAccountID != nil {
				_, err := moveAgent(tx.Where("entry_id = ?", e.ID), *e.AgentAccountID, AgentOnCall,
					map[string]any{"state": AgentWrapUp, "since": now, "wrap_until": wrapUntil, "idle_since": wrapUntil})
				return err
			}
		case EntryMessage:
			return tx.Model(&QueueEntry{}).Where("id = ? AND ended_at IS NULL", e.ID).Update("ended_at", now).Error
		}
		return nil
	})
	if err != nil {
		q.log.Warn("end queue entry", "entry", entryID, "err", err)
		return
	}
	if e.AgentAccountID != nil {
		q.agentChanged(ctx, *e.AgentAccountID)
	}
	q.kick(e.StoreID)
}

// CallBack hands the agent the shopper they were offered to call back and
// puts the agent on the call.
func (q *Queue) CallBack(ctx context.Context, agentID, entryID string) (*directory.CallbackTarget, error) {
	var t directory.CallbackTarget
	err := q.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		e, err := entryOf(tx, entryID)
		if err != nil || !e.Callback || e.State != EntryOffered || e.AgentAccountID == nil || *e.AgentAccountID != agentID {
			return apperr.New(apperr.NotFound, "no call back %q is waiting for you", entryID)
		}
		now := time.Now().UTC()
		if err := tx.Model(&QueueEntry{}).Where("id = ? AND state = ?", e.ID, EntryOffered).Updates(map[string]any{"state": EntryConnected, "answered_at": now}).Error; err != nil {
			return err
		}
		ok, err := moveAgent(tx, agentID, AgentRinging, map[string]any{"state": AgentOnCall, "since": now})
		if err != nil {
			return err
		}
		if !ok {
			return apperr.New(apperr.Conflict, "you are not free to call back")
		}
		store, _ := q.stores.StoreRef(ctx, e.StoreID)
		queue, _ := q.dir.Numbers.SalesNumber(ctx, e.StoreID)
		t = directory.CallbackTarget{EntryID: e.ID, StoreName: store.Name, Name: e.ShopperName, Queue: queue}
		if e.AccountID != nil {
			num, _ := q.dir.Numbers.PrimaryNumber(ctx, *e.AccountID)
			if num == "" {
				return apperr.New(apperr.Conflict, "%s has no number to call back", e.ShopperName)
			}
			t.Number = &num
		} else {
			t.Guest, t.ConnID = *e.GuestHash, e.ConnID
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	q.agentChanged(ctx, agentID)
	return &t, nil
}

// Rejoin moves the shopper's place in the store's line to their new call
// qc when their earlier call was lost: a waiting entry of the same shopper
// (account, or guest cookie) whose call no node hosts any more, or whose
// place is kept without a call within the reconnect grace. The entry keeps
// its id and arrival time, so the shopper keeps their place or better.
// Each move is one guarded update (the entry must still be waiting on the
// call it was seen on), so two nodes never resume one place twice.
func (q *Queue) Rejoin(ctx context.Context, qc directory.QueuedCall) (string, bool) {
	db := q.db.WithContext(ctx)
	if qc.AccountID == "" && qc.Guest == "" {
		return "", false
	}
	find := func() ([]QueueEntry, error) {
		mine := db.Where("store_id = ? AND state IN ? AND callback = ?", qc.StoreID, []string{EntryWaiting, EntryOffered}, false)
		if qc.AccountID != "" {
			mine = mine.Where("account_id = ?", qc.AccountID)
		} else {
			mine = mine.Where("guest_hash = ?", qc.Guest)
		}
		var held []QueueEntry
		err := mine.Order("entered_at, id").Find(&held).Error
		return held, err
	}
	// A place being offered to an agent when its call was lost comes back
	// to the line a moment later (the offer fails at once: no room
	// answers); wait for that rather than open a second place. A place
	// that moves while it is being taken back is looked at again.
	graceStart := time.Now().UTC().Add(-q.cfg.ReconnectGrace)
	for try := 0; try < 30; try++ {
		if try > 0 {
			select {
			case <-ctx.Done():
				return "", false
			case <-time.After(100 * time.Millisecond):
			}
		}
		held, err := find()
		if err != nil {
			q.log.Warn("find a lost place", "err", err)
			return "", false
		}
		if slices.ContainsFunc(held, func(e QueueEntry) bool {
			return e.State == EntryOffered && e.CallID != qc.CallID && !q.rooms.Hosted(ctx, e.CallID)
		}) {
			continue
		}
		raced := false
		for _, e := range held {
			if e.State != EntryWaiting || e.CallID == qc.CallID {
				continue
			}
			if e.ConnID == "" && (e.EndedAt == nil || e.EndedAt.Before(graceStart)) {
				continue // kept past the grace: given up
			}
			if e.ConnID != "" && q.rooms.Hosted(ctx, e.CallID) {
				continue // that call lives on (another tab): its place is its own
			}
			still := db.Model(&QueueEntry{}).Where("id = ? AND state = ? AND call_id = ? AND conn_id = ?", e.ID, EntryWaiting, e.CallID, e.ConnID)
			if e.ConnID == "" {
				still = still.Where("ended_at >= ?", graceStart)
			}
			res := still.Updates(map[string]any{"call_id": qc.CallID, "node": qc.Node, "conn_id": qc.ConnID, "device_id": qc.DeviceID,
				"video": qc.Video, "ended_at": nil})
			if res.Error != nil || res.RowsAffected != 1 {
				raced = true
				continue
			}
			q.log.Info("shopper rejoined their place", "entry", e.ID, "node", qc.Node)
			q.kick(e.StoreID)
			return e.ID, true
		}
		if !raced {
			return "", false
		}
	}
	return "", false
}

// Lost keeps the place of a waiting shopper whose socket went away: the
// entry stays in line without a call (conn_id empty, ended_at when it was
// lost), is not offered, and is given up after the reconnect grace unless
// the shopper dials again (Rejoin). An entry that is not simply waiting on
// that call any more (an agent is being offered it) ends as Ended would.
func (q *Queue) Lost(ctx context.Context, entryID, callID string) {
	res := q.db.WithContext(ctx).Model(&QueueEntry{}).Where("id = ? AND state = ? AND call_id = ? AND callback = ?", entryID, EntryWaiting, callID, false).
		Updates(map[string]any{"conn_id": "", "ended_at": time.Now().UTC()})
	if res.Error != nil || res.RowsAffected != 1 {
		if e, err := entryOf(q.db.WithContext(ctx), entryID); err == nil && e.CallID == callID {
			q.Ended(ctx, entryID)
		}
		return
	}
	var storeID int64
	q.db.WithContext(ctx).Model(&QueueEntry{}).Where("id = ?", entryID).Pluck("store_id", &storeID)
	q.kick(storeID)
}
