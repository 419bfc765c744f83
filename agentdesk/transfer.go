package agentdesk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/directory"
	"github.com/livemall/livemall/mall"
	"github.com/livemall/livemall/media"
)

// Transfers of a live engagement (M16): the agent who has the shopper
// hands them to an available colleague of the store — warm (the agents
// talk first while the shopper is on hold) or cold (straight through) —
// or puts them back at the front of the store's line or another store's.
// The engagement moves with the call: a colleague takes the same entry
// (its cart, suggestions, co-browse, whiteboard, checks and notes are
// keyed by it); another store's line gets a new entry that carries the
// verified facts and the reason. Each step is one transaction guarded on
// the state it expects; the call's side is directory/transfer.go.

// Transfer kinds and states (table engagement_transfers).
const (
	TransferWarm  = directory.TransferWarm
	TransferCold  = directory.TransferCold
	TransferQueue = "queue"

	transferRinging    = "ringing"
	transferConsulting = "consulting"
	transferCompleted  = "completed"
	transferQueued     = "queued"
	transferFailed     = "failed"
)

// maxTransferReason bounds the reason the next agent reads.
const maxTransferReason = 500

// Transfer is one transfer of an engagement.
type Transfer struct {
	ID          string     `gorm:"column:id;primaryKey" json:"id"`
	EntryID     string     `gorm:"column:entry_id" json:"entryId"`
	ToEntryID   *string    `gorm:"column:to_entry_id" json:"toEntryId,omitempty"`
	StoreID     int64      `gorm:"column:store_id" json:"-"`
	ToStoreID   int64      `gorm:"column:to_store_id" json:"-"`
	FromAgentID string     `gorm:"column:from_agent_id" json:"fromAgentId"`
	ToAgentID   *string    `gorm:"column:to_agent_id" json:"toAgentId,omitempty"`
	ToConnID    *string    `gorm:"column:to_conn_id" json:"-"`
	Kind        string     `gorm:"column:kind" json:"kind" ts:"'warm' | 'cold' | 'queue'"`
	Reason      string     `gorm:"column:reason" json:"reason"`
	State       string     `gorm:"column:state" json:"state" ts:"'ringing' | 'consulting' | 'completed' | 'no_answer' | 'declined' | 'queued' | 'failed'"`
	CreatedAt   time.Time  `gorm:"column:created_at" json:"createdAt"`
	AnsweredAt  *time.Time `gorm:"column:answered_at" json:"answeredAt,omitempty"`
	EndedAt     *time.Time `gorm:"column:ended_at" json:"endedAt,omitempty"`
}

// TableName tells GORM where transfers live.
func (Transfer) TableName() string { return "engagement_transfers" }

// ContextTransfer is on the ring card of a transferred shopper: who sent
// them, from which store, and why.
type ContextTransfer struct {
	From      string `json:"from"`
	FromStore string `json:"fromStore"`
	Reason    string `json:"reason"`
	Mode      string `json:"mode" ts:"'warm' | 'cold' | 'queue'"`
}

// TransferRooms is what transfers need from the calls: requests to the
// room of a live call, on whichever node hosts it (directory.Rooms
// implements it).
type TransferRooms interface {
	OfferTransfer(ctx context.Context, callID string, o directory.TransferOffer) error
	CompleteTransfer(ctx context.Context, callID, transferID string) error
	Requeue(ctx context.Context, callID string, d directory.TransferRequeue) error
}

// transferStores is what transfers need from the mall: the stores whose
// lines an engagement may go to (*mall.Catalog implements it).
type transferStores interface {
	StoreIDs(ctx context.Context) ([]int64, error)
	StoreBySlug(ctx context.Context, slug string) (*mall.Store, error)
}

var (
	_ TransferRooms       = (*directory.Rooms)(nil)
	_ transferStores      = (*mall.Catalog)(nil)
	_ directory.Transfers = (*Queue)(nil)
)

// TransferRequest is the body of POST /desk/engagements/{entry}/transfer:
// exactly one of AgentID (a colleague of the store, Mode warm or cold) and
// Store (the slug of a store whose line the shopper joins at the front).
type TransferRequest struct {
	AgentID string `json:"agentId"`
	Store   string `json:"store"`
	Mode    string `json:"mode"`
	Reason  string `json:"reason"`
}

// check validates the request's shape (not who may do it).
func (r TransferRequest) check() error {
	switch {
	case (r.AgentID == "") == (r.Store == ""):
		return apperr.New(apperr.Invalid, "transfer to a colleague (agentId) or to a store's line (store), one of them")
	case r.AgentID != "" && r.Mode != TransferWarm && r.Mode != TransferCold:
		return apperr.New(apperr.Invalid, "a transfer to a colleague is warm or cold, not %q", r.Mode)
	case r.Store != "" && r.Mode != "" && r.Mode != TransferCold:
		return apperr.New(apperr.Invalid, "a transfer to a store's line is cold: the shopper waits for the next agent")
	case utf8.RuneCountInString(r.Reason) > maxTransferReason:
		return apperr.New(apperr.Invalid, "keep the reason under %d characters", maxTransferReason)
	case !utf8.ValidString(r.Reason) || len(r.AgentID) > 64 || len(r.Store) > 64:
		return apperr.New(apperr.Invalid, "the transfer is malformed")
	}
	return nil
}

// newTransferID returns a fresh transfer id.
func newTransferID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "tr_" + hex.EncodeToString(b)
}

// transferRooms is the calls' transfer side, or a refusal.
func (q *Queue) transferRooms() (TransferRooms, error) {
	if t, ok := q.rooms.(TransferRooms); ok {
		return t, nil
	}
	return nil, apperr.New(apperr.Unavailable, "transfers are not available")
}

// nameOf is an account's name.
func (q *Queue) nameOf(ctx context.Context, id string) string {
	refs, _ := q.accounts.Refs(ctx, []string{id})
	return refs[id].Name
}

// StartTransfer hands agentID's live engagement entryID on: to a
// colleague (their desk rings; the shopper is on hold) or to a store's
// line (at its front; the agent is freed). Only the agent who has the
// engagement may, to an available agent of the store other than
// themselves or to a store that takes calls, one transfer at a time;
// refusals are apperr errors and write nothing.
func (q *Queue) StartTransfer(ctx context.Context, agentID string, storeID int64, entryID string, req TransferRequest) (*Transfer, error) {
	if err := req.check(); err != nil {
		return nil, err
	}
	rooms, err := q.transferRooms()
	if err != nil {
		return nil, err
	}
	var e QueueEntry
	err = q.db.WithContext(ctx).Where("id = ? AND agent_account_id = ? AND store_id = ? AND state = ? AND callback = ?", entryID, agentID, storeID, EntryConnected, false).Take(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "no live call %q of yours to transfer", entryID)
	}
	if err != nil {
		return nil, err
	}
	var inFlight int64
	q.db.WithContext(ctx).Model(&Transfer{}).Where("entry_id = ? AND ended_at IS NULL", e.ID).Count(&inFlight)
	if inFlight > 0 {
		return nil, apperr.New(apperr.Conflict, "this call is being transferred already")
	}
	if req.Store != "" {
		return q.transferToLine(ctx, rooms, &e, agentID, req)
	}
	return q.transferToColleague(ctx, rooms, &e, agentID, req)
}

// transferToColleague rings an available colleague for the engagement.
func (q *Queue) transferToColleague(ctx context.Context, rooms TransferRooms, e *QueueEntry, agentID string, req TransferRequest) (*Transfer, error) {
	if req.AgentID == agentID {
		return nil, apperr.New(apperr.Invalid, "you cannot transfer a call to yourself")
	}
	agents, err := q.accounts.StaffOf(ctx, e.StoreID, auth.RoleAgent)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(agents, req.AgentID) {
		return nil, apperr.New(apperr.NotFound, "no agent %q in your store", req.AgentID)
	}
	name := q.nameOf(ctx, req.AgentID)
	online, err := q.dir.OnlineAgents(ctx, e.StoreID)
	if err != nil {
		return nil, err
	}
	if _, ok := online[req.AgentID]; !ok {
		return nil, apperr.New(apperr.Conflict, "%s is offline", name)
	}
	now := time.Now().UTC()
	to := req.AgentID
	t := &Transfer{ID: newTransferID(), EntryID: e.ID, StoreID: e.StoreID, ToStoreID: e.StoreID, FromAgentID: agentID, ToAgentID: &to,
		Kind: req.Mode, Reason: strings.TrimSpace(req.Reason), State: transferRinging, CreatedAt: now}
	err = q.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		cur, err := agentStateOf(tx, req.AgentID, e.StoreID)
		if err != nil {
			return err
		}
		if eff := cur.effective(now); eff.State != AgentAvailable {
			return apperr.New(apperr.Conflict, "%s is %s: choose someone available", name, humanAgentState(eff.State))
		}
		if err := tx.Create(t).Error; err != nil {
			return apperr.New(apperr.Conflict, "this call is being transferred already")
		}
		ok, err := moveAgent(tx, req.AgentID, cur.State, map[string]any{"state": AgentRinging, "since": now, "entry_id": e.ID, "wrap_until": nil})
		if err != nil {
			return err
		}
		if !ok {
			return apperr.New(apperr.Conflict, "%s is no longer available", name)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	q.agentChanged(ctx, req.AgentID)
	if err := q.ringForTransfer(ctx, rooms, e, t, agentID, name); err != nil {
		q.TransferLapsed(ctx, t.ID, req.AgentID, transferFailed)
		return nil, err
	}
	return t, nil
}

// ringForTransfer asks the call's room to ring the colleague's devices
// with the engagement's context and the transfer's reason.
func (q *Queue) ringForTransfer(ctx context.Context, rooms TransferRooms, e *QueueEntry, t *Transfer, fromID, toName string) error {
	targets, err := q.dir.RingTargetsOf(ctx, *t.ToAgentID)
	if err != nil {
		return err
	}
	devices := make([]string, 0, len(targets))
	for _, d := range targets {
		devices = append(devices, d.DeviceID)
	}
	if len(devices) == 0 {
		return apperr.New(apperr.Unavailable, "%s has no device online", toName)
	}
	store := q.storeRef(ctx, e.StoreID)
	secs := max(int(q.cfg.RingTimeout/time.Second), 1)
	fromName := q.nameOf(ctx, fromID)
	c := e.contextOf()
	c.Transfer = &ContextTransfer{From: fromName, FromStore: store.Name, Reason: t.Reason, Mode: t.Kind}
	c.Cart = q.cartNow(ctx, e, c.Cart)
	offer, err := json.Marshal(QueueOffer{EntryID: e.ID, Store: store, RingSeconds: secs, Context: c})
	if err != nil {
		return err
	}
	return rooms.OfferTransfer(ctx, e.CallID, directory.TransferOffer{TransferID: t.ID, EntryID: e.ID, Mode: t.Kind, AgentID: *t.ToAgentID, AgentName: toName,
		FromName: fromName, Devices: devices, RingSeconds: secs, Queue: offer})
}

// TransferAnswered is the colleague picking up (directory.Transfers): a
// warm transfer moves to the agents' consultation, a cold one hands the
// engagement over at once. The transfer, the entry and both agents move
// in one transaction, each guarded on the state it expects.
func (q *Queue) TransferAnswered(ctx context.Context, transferID, agentID, connID string) error {
	var t Transfer
	err := q.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("id = ? AND to_agent_id = ? AND state = ?", transferID, agentID, transferRinging).Take(&t).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return apperr.New(apperr.Conflict, "this transfer is no longer offered to you")
			}
			return err
		}
		now := time.Now().UTC()
		ok, err := moveAgent(tx, agentID, AgentRinging, map[string]any{"state": AgentOnCall, "since": now})
		if err != nil {
			return err
		}
		if !ok {
			return apperr.New(apperr.Conflict, "you are not ringing for this transfer any more")
		}
		res := tx.Model(&Transfer{}).Where("id = ? AND state = ?", t.ID, transferRinging).
			Updates(map[string]any{"state": transferConsulting, "answered_at": now, "to_conn_id": connID})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return apperr.New(apperr.Conflict, "this transfer is no longer offered to you")
		}
		if t.Kind == TransferCold {
			t.ToConnID = &connID
			return q.handOver(tx, &t, now)
		}
		return nil
	})
	if err != nil {
		return err
	}
	q.agentChanged(ctx, agentID)
	if t.Kind == TransferCold {
		q.agentChanged(ctx, t.FromAgentID)
	}
	return nil
}

// handOver gives the engagement to the transfer's target and puts the
// first agent into wrap-up (inside the caller's transaction).
func (q *Queue) handOver(tx *gorm.DB, t *Transfer, now time.Time) error {
	res := tx.Model(&Transfer{}).Where("id = ? AND state = ?", t.ID, transferConsulting).Updates(map[string]any{"state": transferCompleted, "ended_at": now, "to_entry_id": t.EntryID})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return apperr.New(apperr.Conflict, "the transfer cannot be completed now")
	}
	res = tx.Model(&QueueEntry{}).Where("id = ? AND state = ? AND agent_account_id = ?", t.EntryID, EntryConnected, t.FromAgentID).
		Updates(map[string]any{"agent_account_id": *t.ToAgentID, "agent_conn_id": t.ToConnID})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return apperr.New(apperr.Conflict, "the call is no longer live with its first agent")
	}
	wrapUntil := now.Add(q.cfg.WrapUp)
	_, err := moveAgent(tx, t.FromAgentID, AgentOnCall, map[string]any{"state": AgentWrapUp, "since": now, "wrap_until": wrapUntil, "idle_since": wrapUntil})
	return err
}

// cartNow is the shopper's cart as it is now (suggestions made during
// the call included), for the ring card of the next agent; was when it
// cannot be read.
func (q *Queue) cartNow(ctx context.Context, e *QueueEntry, was ContextCart) ContextCart {
	if q.carts == nil {
		return was
	}
	v, err := q.carts.View(ctx, e.shopperOf())
	if err != nil {
		return was
	}
	out := ContextCart{Lines: []ContextLine{}, Currency: mall.Currency, TotalMinor: v.TotalMinor}
	for _, it := range v.Items {
		out.Lines = append(out.Lines, ContextLine{ProductID: it.ProductID, Name: it.Name, Quantity: it.Quantity, UnitPriceMinor: it.UnitPriceMinor})
	}
	return out
}

// TransferCompleted hands the engagement of a warm transfer whose target
// answered to the target (directory.Transfers): the first agent
// completed it, or hung up while the agents consulted.
func (q *Queue) TransferCompleted(ctx context.Context, transferID string) error {
	var t Transfer
	err := q.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("id = ? AND state = ?", transferID, transferConsulting).Take(&t).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return apperr.New(apperr.Conflict, "the transfer's target has not answered")
			}
			return err
		}
		return q.handOver(tx, &t, time.Now().UTC())
	})
	if err != nil {
		return err
	}
	q.agentChanged(ctx, t.FromAgentID)
	return nil
}

// CompleteTransfer is the first agent's "Complete transfer": once the
// colleague of a warm transfer answered, they take the shopper and the
// first agent leaves. Another agent's transfer is NotFound; one whose
// target has not answered is a Conflict.
func (q *Queue) CompleteTransfer(ctx context.Context, agentID, transferID string) (*Transfer, error) {
	rooms, err := q.transferRooms()
	if err != nil {
		return nil, err
	}
	var t Transfer
	err = q.db.WithContext(ctx).Where("id = ? AND from_agent_id = ?", transferID, agentID).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "no transfer %q of yours", transferID)
	}
	if err != nil {
		return nil, err
	}
	if t.Kind != TransferWarm || t.State != transferConsulting {
		return nil, apperr.New(apperr.Conflict, "the transfer cannot be completed: it is %s", strings.ReplaceAll(t.State, "_", " "))
	}
	var callID string
	q.db.WithContext(ctx).Model(&QueueEntry{}).Where("id = ?", t.EntryID).Pluck("call_id", &callID)
	if err := q.TransferCompleted(ctx, t.ID); err != nil {
		return nil, err
	}
	if err := rooms.CompleteTransfer(ctx, callID, t.ID); err != nil {
		q.log.Warn("complete transfer in the call", "transfer", t.ID, "err", err)
		return nil, err
	}
	t.State = transferCompleted
	return &t, nil
}

// TransferLapsed records a transfer that did not happen (directory
// .Transfers): the target did not answer (set away, as a lapsed offer
// does), declined, or the call or the consultation ended (failed). The
// target, ringing or consulting, is freed; the shopper is back with the
// first agent.
func (q *Queue) TransferLapsed(ctx context.Context, transferID, agentID, outcome string) {
	switch outcome {
	case "no_answer", "declined", transferFailed:
	default:
		outcome = transferFailed
	}
	var storeID int64
	err := q.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var t Transfer
		if err := tx.Where("id = ? AND state IN ?", transferID, []string{transferRinging, transferConsulting}).Take(&t).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return nil // settled already
			}
			return err
		}
		storeID = t.StoreID
		now := time.Now().UTC()
		if err := tx.Model(&Transfer{}).Where("id = ? AND state = ?", t.ID, t.State).Updates(map[string]any{"state": outcome, "ended_at": now}).Error; err != nil {
			return err
		}
		next := map[string]any{"state": AgentAvailable, "since": now, "entry_id": nil, "idle_since": now}
		if outcome == "no_answer" {
			next = map[string]any{"state": AgentAway, "since": now, "entry_id": nil}
		}
		from := AgentRinging
		if t.State == transferConsulting {
			from = AgentOnCall
		}
		_, err := moveAgent(tx.Where("entry_id = ?", t.EntryID), agentID, from, next)
		return err
	})
	if err != nil {
		q.log.Warn("transfer lapsed", "transfer", transferID, "err", err)
		return
	}
	q.agentChanged(ctx, agentID)
	if storeID != 0 {
		q.kick(storeID)
	}
}

// transferToLine puts the shopper back in a store's line, ahead of
// everyone waiting there (booked calls aside), and frees the agent. The
// own store's line keeps the entry; another store's opens a new entry
// there that carries the verified facts, the product and the reason, and
// the first entry is served. The place is parked (no connection) until
// the call has moved, so no agent is offered a call still with its
// first agent.
func (q *Queue) transferToLine(ctx context.Context, rooms TransferRooms, e *QueueEntry, agentID string, req TransferRequest) (*Transfer, error) {
	finder, ok := q.stores.(transferStores)
	if !ok {
		return nil, apperr.New(apperr.Unavailable, "transfers are not available")
	}
	target, err := finder.StoreBySlug(ctx, req.Store)
	if err != nil || target == nil {
		return nil, apperr.New(apperr.NotFound, "no store %q", req.Store)
	}
	if n, _ := q.dir.Numbers.SalesNumber(ctx, target.ID); n == "" {
		return nil, apperr.New(apperr.NotFound, "%s takes no calls", target.Name)
	}
	reason := strings.TrimSpace(req.Reason)
	if target.ID != e.StoreID && reason == "" {
		return nil, apperr.New(apperr.Invalid, "say why the shopper goes to %s: their next agent reads it", target.Name)
	}
	now := time.Now().UTC()
	from := q.storeRef(ctx, e.StoreID)
	fromName := q.nameOf(ctx, agentID)
	t := &Transfer{ID: newTransferID(), EntryID: e.ID, StoreID: e.StoreID, ToStoreID: target.ID, FromAgentID: agentID,
		Kind: TransferQueue, Reason: reason, State: transferQueued, CreatedAt: now, EndedAt: &now}
	toEntry := e.ID
	err = q.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		front, err := frontOfLine(tx, target.ID, e.ID, now)
		if err != nil {
			return err
		}
		c := e.contextOf()
		c.Transfer = &ContextTransfer{From: fromName, FromStore: from.Name, Reason: reason, Mode: TransferQueue}
		if target.ID == e.StoreID {
			res := tx.Model(&QueueEntry{}).Where("id = ? AND state = ? AND agent_account_id = ?", e.ID, EntryConnected, agentID).
				Updates(map[string]any{"state": EntryWaiting, "agent_account_id": nil, "agent_conn_id": nil, "offered_at": nil, "conn_id": "",
					"entered_at": front, "context": contextJSON(c), "fallback_at": now})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return apperr.New(apperr.Conflict, "the call is no longer yours to transfer")
			}
		} else {
			res := tx.Model(&QueueEntry{}).Where("id = ? AND state = ? AND agent_account_id = ?", e.ID, EntryConnected, agentID).
				Updates(map[string]any{"state": EntryServed, "ended_at": now})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return apperr.New(apperr.Conflict, "the call is no longer yours to transfer")
			}
			c.Cart = ContextCart{Lines: []ContextLine{}, Currency: mall.Currency}
			c.Product = nil
			n := &QueueEntry{ID: directory.NewEntryID(), StoreID: target.ID, CallID: e.CallID, Node: e.Node, ConnID: "", DeviceID: e.DeviceID,
				AccountID: e.AccountID, GuestHash: e.GuestHash, ShopperName: e.ShopperName, ShopperNumber: e.ShopperNumber, Video: e.Video,
				Context: contextJSON(c), State: EntryWaiting, EnteredAt: front, FallbackAt: &now}
			if err := tx.Create(n).Error; err != nil {
				return err
			}
			toEntry = n.ID
		}
		t.ToEntryID = &toEntry
		if err := tx.Create(t).Error; err != nil {
			return apperr.New(apperr.Conflict, "this call is being transferred already")
		}
		wrapUntil := now.Add(q.cfg.WrapUp)
		_, err = moveAgent(tx, agentID, AgentOnCall, map[string]any{"state": AgentWrapUp, "since": now, "wrap_until": wrapUntil, "idle_since": wrapUntil})
		return err
	})
	if err != nil {
		return nil, err
	}
	q.agentChanged(ctx, agentID)
	err = rooms.Requeue(ctx, e.CallID, directory.TransferRequeue{TransferID: t.ID, EntryID: toEntry, StoreID: target.ID,
		Store: media.StoreRef{Slug: target.Slug, Name: target.Name}})
	if err != nil {
		// The call is gone: its place goes with it.
		q.db.WithContext(ctx).Model(&QueueEntry{}).Where("id = ? AND state = ?", toEntry, EntryWaiting).Updates(map[string]any{"state": EntryAbandoned, "ended_at": now})
		q.db.WithContext(ctx).Model(&Transfer{}).Where("id = ?", t.ID).Update("state", transferFailed)
		q.kick(target.ID)
		return nil, err
	}
	q.db.WithContext(ctx).Model(&QueueEntry{}).Where("id = ? AND state = ? AND conn_id = ''", toEntry, EntryWaiting).Update("conn_id", e.ConnID)
	q.kick(target.ID)
	q.kick(e.StoreID)
	return t, nil
}

// frontOfLine is the arrival time that puts an entry ahead of everyone
// waiting in the store's line (a second before the first of them), or
// now when nobody waits.
func frontOfLine(tx *gorm.DB, storeID int64, except string, now time.Time) (time.Time, error) {
	var first []time.Time
	err := tx.Model(&QueueEntry{}).Where("store_id = ? AND state IN ? AND id <> ?", storeID, inLine, except).Order("entered_at").Limit(1).Pluck("entered_at", &first).Error
	if err != nil || len(first) == 0 {
		return now, err
	}
	if f := first[0].UTC().Add(-time.Second); f.Before(now) {
		return f, nil
	}
	return now, nil
}

// TransferTarget is a colleague the desk may transfer to, with their
// state as the dialog shows it: available, busy, away or offline; only
// the available ones can take a transfer.
type TransferTarget struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	State string `json:"state" ts:"'available' | 'busy' | 'away' | 'offline'"`
}

// TransferLine is a store's line the desk may transfer to.
type TransferLine struct {
	Slug    string `json:"slug"`
	Name    string `json:"name"`
	Own     bool   `json:"own"`
	Waiting int64  `json:"waiting"`
}

// TransferTargets lists the agent's colleagues with their states and the
// stores' lines, the own store's first.
func (q *Queue) TransferTargets(ctx context.Context, agentID string, storeID int64) ([]TransferTarget, []TransferLine, error) {
	ids, err := q.accounts.StaffOf(ctx, storeID, auth.RoleAgent)
	if err != nil {
		return nil, nil, err
	}
	ids = slices.DeleteFunc(ids, func(id string) bool { return id == agentID })
	refs, err := q.accounts.Refs(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	online, err := q.dir.OnlineAgents(ctx, storeID)
	if err != nil {
		return nil, nil, err
	}
	var states []AgentState
	if len(ids) > 0 {
		q.db.WithContext(ctx).Where("account_id IN ?", ids).Find(&states)
	}
	byID := map[string]AgentState{}
	now := time.Now().UTC()
	for _, s := range states {
		byID[s.AccountID] = s.effective(now)
	}
	people := make([]TransferTarget, 0, len(ids))
	for _, id := range ids {
		st := "offline"
		if _, ok := online[id]; ok {
			switch byID[id].State {
			case AgentAvailable:
				st = "available"
			case AgentAway:
				st = "away"
			case AgentOffline, "":
				st = "offline"
			default:
				st = "busy"
			}
		}
		people = append(people, TransferTarget{ID: id, Name: refs[id].Name, State: st})
	}
	slices.SortFunc(people, func(a, b TransferTarget) int { return strings.Compare(a.Name, b.Name) })
	lines := []TransferLine{}
	finder, ok := q.stores.(transferStores)
	if !ok {
		return people, lines, nil
	}
	storeIDs, err := finder.StoreIDs(ctx)
	if err != nil {
		return nil, nil, err
	}
	numbers, err := q.dir.Numbers.SalesNumbers(ctx, storeIDs)
	if err != nil {
		return nil, nil, err
	}
	for _, id := range storeIDs {
		if numbers[id] == "" {
			continue
		}
		ref := q.storeRef(ctx, id)
		var waiting int64
		q.db.WithContext(ctx).Model(&QueueEntry{}).Where("store_id = ? AND state = ?", id, EntryWaiting).Count(&waiting)
		lines = append(lines, TransferLine{Slug: ref.Slug, Name: ref.Name, Own: id == storeID, Waiting: waiting})
	}
	slices.SortStableFunc(lines, func(a, b TransferLine) int {
		if a.Own != b.Own {
			if a.Own {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return people, lines, nil
}

// TransfersOf lists the transfers of an engagement (and those that
// brought it to this entry from another store's), oldest first, with the
// agents' names: the engagement's history shows everyone who served it.
func (q *Queue) TransfersOf(ctx context.Context, entryID string) ([]TransferView, error) {
	var ts []Transfer
	if err := q.db.WithContext(ctx).Where("entry_id = ? OR to_entry_id = ?", entryID, entryID).Order("created_at, id").Find(&ts).Error; err != nil {
		return nil, err
	}
	ids := []string{}
	for _, t := range ts {
		ids = append(ids, t.FromAgentID)
		if t.ToAgentID != nil {
			ids = append(ids, *t.ToAgentID)
		}
	}
	refs, _ := q.accounts.Refs(ctx, ids)
	out := make([]TransferView, 0, len(ts))
	for _, t := range ts {
		v := TransferView{Transfer: t, From: refs[t.FromAgentID].Name}
		if t.ToAgentID != nil {
			v.To = refs[*t.ToAgentID].Name
		} else {
			v.To = q.storeRef(ctx, t.ToStoreID).Name
		}
		out = append(out, v)
	}
	return out, nil
}

// TransferView is a transfer with the names of who sent and who (or which
// store's line) received.
type TransferView struct {
	Transfer
	From string `json:"from"`
	To   string `json:"to"`
}
